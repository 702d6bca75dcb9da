"""``menuflow sim``: talk to the flows as a subscriber would.

On a terminal it opens the full-screen phone (``simulator.phone``); with stdin
piped it runs line mode, one input per line, so walk-throughs can be scripted.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from app.commands.common import load_flows
from engine.events.loader import open_event_log
from engine.run.build import build_engine
from gateways.hostport import parse_host_port
from simulator.linemode import run_lines

DEFAULT_TO = {"sms": "10086", "ussd": "*100#", "ivr": "10086"}


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("sim", help="a phone in the terminal (line mode when stdin is not a terminal)")
    p.add_argument("--channel", choices=("sms", "ussd", "ivr"), default="sms")
    p.add_argument("--from", dest="msisdn", default="8613800138000", help="subscriber MSISDN")
    p.add_argument("--to", default=None, help="short code, USSD code or called number")
    p.add_argument("--flows", default="flows")
    p.add_argument("--backend", default="demo")
    p.add_argument("--lang", choices=("zh", "en"), default=None,
                   help="language hint sent with every input (default: the subscriber's profile)")
    p.add_argument("--record", metavar="FILE", help="write the session as a transcript for `menuflow test`")
    p.add_argument("--remote", metavar="URL",
                   help="USSD and IVR against a running `menuflow serve` (JSON at URL/ussd, TwiML at URL/ivr/twiml)")
    p.add_argument("--smsc", metavar="HOST:PORT", type=parse_host_port,
                   help="SMS through an SMSC simulator the phone runs here (bind `menuflow serve --smpp` to it)")
    p.add_argument("--speak", action="store_true", help="speak IVR prompts with espeak-ng")
    p.add_argument("--events", metavar="FILE.sqlite|postgresql://…",
                   help="write the event log there, as `menuflow serve --events` does")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    registry = load_flows(args.flows)
    if registry is None:
        return 1
    if sys.stdin.isatty() and sys.stdout.isatty():
        from simulator.phone.run import run_phone

        return asyncio.run(run_phone(args, registry))
    if args.record or args.remote or args.smsc or args.lang:
        print("menuflow sim: --record, --remote, --smsc and --lang need the full-screen phone (a terminal)",
              file=sys.stderr)
        return 2
    to = args.to or DEFAULT_TO[args.channel]

    async def main() -> int:
        engine = build_engine(registry, args.backend)
        try:
            events = await open_event_log(args.events) if args.events else None
        except ValueError as exc:
            print(f"menuflow sim: {exc}", file=sys.stderr)
            return 2
        if events is not None:
            engine.observers.append(events)
        try:
            return await run_lines(engine, args.channel, args.msisdn, to, sys.stdin, sys.stdout)
        finally:
            if events is not None:
                await events.close()
            await engine.backend.close()

    return asyncio.run(main())
