"""Admin endpoints: reload flows without dropping live sessions.

Open to loopback callers; from anywhere else a bearer token
(``MENUFLOW_ADMIN_TOKEN``) is required, and without a token configured the
endpoint refuses non-loopback callers outright.
"""

from __future__ import annotations

from collections.abc import Callable

from aiohttp import web

from gateways.http_input import has_token, is_loopback

Reload = Callable[[], list[str]]


def authorised(request: web.Request, token: str) -> bool:
    if token:
        return has_token(request, token, in_query=False)
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
