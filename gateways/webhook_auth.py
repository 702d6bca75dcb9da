"""Who may call the webhooks: anyone on loopback, a token holder from elsewhere.

USSD gateways (Africa's Talking included) can only be given a callback URL,
so the secret travels as ``?token=`` (or ``Authorization: Bearer``). serve
refuses to expose a webhook beyond loopback without one unless told the
network in front of it does the checking (``--allow-unauthenticated``).
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Awaitable, Callable

from aiohttp import web
from aiohttp.typedefs import Middleware

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _given(request: web.Request) -> str:
    auth = request.headers.get("Authorization", "")
    if auth.startswith("Bearer "):
        return auth[7:]
    return request.query.get("token", "")


def token_guard(prefix: str, token: str) -> Middleware:
    """Middleware: requests under ``prefix`` must carry ``token``."""

    @web.middleware
    async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path.startswith(prefix) and not hmac.compare_digest(_given(request).encode(), token.encode()):
            return web.Response(status=401, text="missing or wrong token", content_type="text/plain")
        return await handler(request)

    return guard
