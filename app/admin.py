"""Admin endpoints: reload flows without dropping live sessions.

With a bearer token configured (``MENUFLOW_ADMIN_TOKEN``) every caller must
carry it; without one only direct loopback callers are served — not a request
a reverse proxy on the same host relayed (it carries proxy headers).
"""

from __future__ import annotations

from collections.abc import Callable

from aiohttp import web

from gateways.http_input import direct_loopback, has_token

Reload = Callable[[], list[str]]


def authorised(request: web.Request, token: str) -> bool:
    if token:
        return has_token(request, token, in_query=False)
    return direct_loopback(request)


def add_admin_routes(app: web.Application, reload: Reload, token: str) -> None:
    async def do_reload(request: web.Request) -> web.Response:
        if not authorised(request, token):
            return web.json_response({"error": "unauthorised"}, status=401)
        problems = reload()
        if problems:
            return web.json_response({"reloaded": False, "errors": problems}, status=422)
        return web.json_response({"reloaded": True})

    app.router.add_post("/admin/reload", do_reload)
