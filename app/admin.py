"""Admin endpoints: reload flows without dropping live sessions.

Open to loopback callers; from anywhere else a bearer token
(``MENUFLOW_ADMIN_TOKEN``) is required, and without a token configured the
endpoint refuses non-loopback callers outright.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable

from aiohttp import web

from gateways.webhook_auth import is_loopback

Reload = Callable[[], list[str]]


def authorised(request: web.Request, token: str) -> bool:
    if token:
        given = request.headers.get("Authorization", "")
        return hmac.compare_digest(given.encode(), f"Bearer {token}".encode())
    return is_loopback(request.remote or "")


def add_admin_routes(app: web.Application, reload: Reload, token: str) -> None:
    async def do_reload(request: web.Request) -> web.Response:
        if not authorised(request, token):
            return web.json_response({"error": "unauthorised"}, status=401)
        problems = reload()
        if problems:
            return web.json_response({"reloaded": False, "errors": problems}, status=422)
        return web.json_response({"reloaded": True})

    app.router.add_post("/admin/reload", do_reload)
