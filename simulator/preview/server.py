"""The preview web app: flows reloaded when a file is saved, rendered per channel, walked by clicking.

Served by aiohttp on loopback only: it is a tool for the person editing the
flows, not a service. Saving a file is noticed by polling modification times
(one ``stat`` per flow file a second; no watcher library to install), after
which the flows are compiled and validated again; a broken save keeps the
last good flows on show, with the errors.
"""

from __future__ import annotations

import contextlib
import os
from typing import Any

from aiohttp import web

from engine.backend.catalogue import OPERATIONS
from engine.backend.demo import DemoBackend
from engine.backend.demo_seed import SUBSCRIBERS
from engine.flow.checks import check_paths
from engine.flow.diagnostics import Diagnostic, FlowError
from engine.flow.registry import FlowRegistry, flow_files
from engine.run.build import build_engine
from engine.states import LANGUAGE
from engine.types import Channel
from simulator.preview.page import PAGE
from simulator.preview.render import flow_view
from simulator.preview.walk import step

LOOPBACK = "127.0.0.1"


class Preview:
    """Flows, their diagnostics and a demo engine, kept in step with the files on disk."""

    def __init__(self, paths: list[str]) -> None:
        self.paths = paths
        self.registry = FlowRegistry(LANGUAGE, paths)
        self.diags: list[Diagnostic] = []
        self.stamp = ""
        self.generation = 0
        self.refresh()
        self.engine = build_engine(self.registry, DemoBackend())

    def _files_stamp(self) -> str:
        parts = []
        for path in flow_files(self.paths):
            try:
                st = os.stat(path)
            except OSError:
                continue
            parts.append(f"{path}:{st.st_mtime_ns}:{st.st_size}")
        return "|".join(parts)

    def refresh(self) -> bool:
        """Reload when a file changed since the last look; True when it did."""
        stamp = self._files_stamp()
        if stamp == self.stamp:
            return False
        self.stamp = stamp
        self.generation += 1
        self.diags = check_paths(LANGUAGE, self.paths, OPERATIONS)
        with contextlib.suppress(FlowError):  # the errors are in self.diags; the last good flows stay on show
            self.registry.load()
        return True


def _subscribers() -> list[dict[str, str]]:
    return [{"msisdn": s[0], "name": s[1], "locale": s[2]} for s in SUBSCRIBERS]


def make_app(paths: list[str]) -> web.Application:
    preview = Preview(paths)
    app = web.Application()

    async def page(_: web.Request) -> web.Response:
        return web.Response(text=PAGE, content_type="text/html", charset="utf-8")

    async def flows(_: web.Request) -> web.Response:
        preview.refresh()
        errors = [str(d) for d in preview.diags if d.severity == "error"]
        return web.json_response({"flows": sorted(preview.registry.current), "generation": preview.generation,
                                  "subscribers": _subscribers(), "errors": errors})

    async def one_flow(request: web.Request) -> web.Response:
        preview.refresh()
        flow = preview.registry.current.get(request.match_info["flow"])
        if flow is None:
            raise web.HTTPNotFound(text="no such flow")
        msisdn = request.query.get("msisdn", SUBSCRIBERS[0][0])
        locale = request.query.get("locale", flow.locale)
        data: dict[str, Any] = await flow_view(preview.engine, flow, preview.diags, msisdn, locale)
        data["generation"] = preview.generation
        return web.json_response(data)

    async def walk(request: web.Request) -> web.Response:
        body = await request.json()
        flow = preview.registry.current.get(str(body.get("flow")))
        channel = str(body.get("channel"))
        if flow is None or channel not in ("sms", "ussd", "ivr"):
            raise web.HTTPBadRequest(text="flow and channel (sms, ussd, ivr) are required")
        text = body.get("text")
        msisdn = str(body.get("msisdn") or SUBSCRIBERS[0][0])
        channel_name: Channel = channel  # type: ignore[assignment]
        result = await step(preview.engine, flow, channel_name, msisdn, None if text is None else str(text))
        return web.json_response(result)

    app.router.add_get("/", page)
    app.router.add_get("/api/flows", flows)
    app.router.add_get("/api/flow/{flow}", one_flow)
    app.router.add_post("/api/walk", walk)
    return app
