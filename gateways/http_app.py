"""The one aiohttp Application that USSD and IVR webhooks mount on.

Shared here so every webhook gets the same guarantees: a body size limit
(413 past it), ``/healthz`` for the load balancer, ``/metrics`` for Prometheus,
and an error middleware that turns any unexpected exception into a plain
"internal error" — a subscriber or a gateway never sees a Python traceback.
Channels add their routes with ``add_ussd_routes(app, …)`` and
``add_twiml_routes(app, …)``.
"""

from __future__ import annotations

import argparse
import asyncio
import logging

from aiohttp import web
from aiohttp.typedefs import Handler as WebHandler
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

log = logging.getLogger("menuflow.http")

#: USSD and TwiML webhooks are a few hundred bytes; 64 KiB leaves room and stops abuse.
DEFAULT_MAX_BODY = 64 * 1024

METRICS_REGISTRY = web.AppKey("menuflow_metrics_registry", CollectorRegistry)


def create_http_app(
    *, max_body: int = DEFAULT_MAX_BODY, registry: CollectorRegistry | None = None
) -> web.Application:
    """An Application with the size limit, error middleware, /healthz and /metrics.

    ``registry`` defaults to a fresh one per app (tests build many apps in one
    process); channel metrics register on ``metrics_registry(app)``.
    """
    if max_body < 1024:
        raise ValueError(f"--http-max-body must be at least 1024 bytes, got {max_body}")
    app = web.Application(client_max_size=max_body, middlewares=[_error_middleware])
    app[METRICS_REGISTRY] = registry if registry is not None else CollectorRegistry()
    app.router.add_get("/healthz", _healthz)
    app.router.add_get("/metrics", _metrics)
    return app


def metrics_registry(app: web.Application) -> CollectorRegistry:
    return app[METRICS_REGISTRY]


@web.middleware
async def _error_middleware(request: web.Request, handler: WebHandler) -> web.StreamResponse:
    try:
        return await handler(request)
    except (web.HTTPException, asyncio.CancelledError):
        raise
    except Exception as exc:
        # The type only: an exception message may quote request content.
        log.error("unhandled %s on %s %s", type(exc).__name__, request.method, request.path)
        return web.Response(status=500, text="internal error", content_type="text/plain")


async def _healthz(request: web.Request) -> web.Response:
    return web.Response(text="ok", content_type="text/plain")


async def _metrics(request: web.Request) -> web.Response:
    body = generate_latest(request.app[METRICS_REGISTRY])
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


def add_http_arguments(parser: argparse.ArgumentParser) -> None:
    """Register the shared ``--http-*`` flags; safe to call from several channels."""
    try:
        parser.add_argument(
            "--http-max-body",
            metavar="BYTES",
            type=int,
            default=DEFAULT_MAX_BODY,
            help=f"largest webhook body accepted; larger gets 413 ({DEFAULT_MAX_BODY})",
        )
    except argparse.ArgumentError:
        return


async def start_http(app: web.Application, host: str, port: int) -> tuple[web.AppRunner, int]:
    """Serve ``app`` on host:port (0 picks a free port); returns the runner and the bound port.

    Call ``await runner.cleanup()`` to stop; it runs the app's shutdown hooks
    (USSD drains its SMS follow-ups there).
    """
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    bound = runner.addresses[0][1]
    return runner, int(bound)
