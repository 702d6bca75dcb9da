"""A reference server for the HTTP backend's wire format, serving any Backend.

Operators implementing the wire format can compare against it; the contract
tests run the same suite through it (HttpBackend → this server → DemoBackend);
and ``python -m simulator.backend_server`` stands up the demo operator as a
separate service, so ``--backend http://...`` can be tried end to end.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from aiohttp import web

from engine.ports.backend import AUTH_LEVELS, Backend, BackendFailure, BackendTimeout, BusinessError, CallContext

BACKEND_KEY = web.AppKey("backend", Backend)


def _json(data: Any, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, dumps=lambda o: json.dumps(o, ensure_ascii=False))


def _error(status: int, code: str, message: str = "", details: dict[str, Any] | None = None) -> web.Response:
    error = {"code": code, "message": message or code, "details": details or {}}
    return _json({"error": error}, status)


async def _handle(request: web.Request) -> web.Response:
    backend = request.app[BACKEND_KEY]
    operation = request.match_info["operation"]
    if operation not in backend.operations():
        return _error(404, "UNKNOWN_OPERATION", f"no operation {operation!r}")
    try:
        body = await request.json()
    except ValueError:
        return _error(400, "BAD_REQUEST", "body is not JSON")
    if not isinstance(body, dict) or not isinstance(body.get("params", {}), dict) or not body.get("msisdn"):
        return _error(400, "BAD_REQUEST", "expected an object with msisdn and params")
    key = body.get("idempotency_key")
    ctx = CallContext(
        msisdn=str(body["msisdn"]),
        channel=str(body.get("channel") or "http"),
        session_id=str(body.get("session_id") or ""),
        locale=str(body.get("locale") or "zh"),
        extra={"idempotency_key": key} if key else {},
        auth=body.get("auth") if body.get("auth") in AUTH_LEVELS else "none",
    )
    try:
        result = await backend.call(operation, body.get("params", {}), ctx)
    except BusinessError as exc:
        return _error(422, exc.code, str(exc), exc.details)
    except BackendTimeout as exc:
        return _error(504, exc.code or "TIMEOUT", str(exc))
    except BackendFailure as exc:
        return _error(503, exc.code or "UNAVAILABLE", str(exc))
    return _json(result)


def make_app(backend: Backend) -> web.Application:
    """An aiohttp app answering ``POST /{operation}``; the caller owns ``backend``."""
    app = web.Application()
    app[BACKEND_KEY] = backend
    app.router.add_post("/{operation}", _handle)
    return app


@asynccontextmanager
async def serve_backend(backend: Backend, host: str = "127.0.0.1", port: int = 0) -> AsyncIterator[str]:
    """Serve ``backend`` in this event loop; yields the base URL (port 0 picks a free port)."""
    runner = web.AppRunner(make_app(backend), access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        bound_host, bound_port = runner.addresses[0][:2]
        yield f"http://{bound_host}:{bound_port}"
    finally:
        await runner.cleanup()


def main(argv: list[str] | None = None) -> None:
    """Serve the demo operator: ``python -m simulator.backend_server --port 8099``."""
    from engine.backend.demo import DemoBackend

    parser = argparse.ArgumentParser(description="Serve the demo operator over the HTTP backend wire format")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8099)
    parser.add_argument("--db", default=None, help="SQLite file (default: in memory)")
    args = parser.parse_args(argv)
    backend = DemoBackend(args.db)
    app = make_app(backend)

    async def _close(_: web.Application) -> None:
        await backend.close()

    app.on_cleanup.append(_close)
    web.run_app(app, host=args.host, port=args.port)


if __name__ == "__main__":
    main()
