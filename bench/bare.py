"""``python -m bench.bare --port N``: the ceiling — aiohttp answering at once, as its own process.

The same stack ``menuflow serve`` runs on (aiohttp on uvloop, access log off)
with nothing of ours: it parses the form as aiohttp does and answers a fixed
USSD menu on ``/ussd/at`` and a fixed TwiML document on ``/ivr/twiml``. What
``serve`` does divided by what this does is the cost of menuflow on the HTTP
path, on this machine, under the same load.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from aiohttp import web

TWIML = ('<?xml version="1.0" encoding="UTF-8"?><Response><Gather action="/ivr/twiml?step=input" numDigits="1">'
         "<Say>hello</Say></Gather></Response>")


async def ussd(request: web.Request) -> web.Response:
    form = await request.post()
    return web.Response(text=f"CON hello {form.get('text', '')}", content_type="text/plain")


async def twiml(request: web.Request) -> web.Response:
    await request.post()
    return web.Response(text=TWIML, content_type="application/xml")


async def serve(port: int) -> None:
    app = web.Application()
    app.router.add_post("/ussd/at", ussd)
    app.router.add_post("/ivr/twiml", twiml)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    print(f"bare serving: http://127.0.0.1:{port}", flush=True)
    await asyncio.Event().wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bare")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    try:
        import uvloop
    except ImportError:
        asyncio.run(serve(args.port))
    else:
        uvloop.run(serve(args.port))
    return 0


if __name__ == "__main__":
    sys.exit(main())
