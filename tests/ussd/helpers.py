"""A tiny real menu handler and a live USSD HTTP server on 127.0.0.1 for the tests.

The handler is a plain coroutine with the engine's contract (Inbound in, list
of Reply out), so the gateway is exercised exactly as the engine will drive it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import ClientResponse, web
from aiohttp.test_utils import TestClient, TestServer

from engine.clock import ManualClock
from engine.types import Handler, Inbound, PushSink, Reply, Wait
from gateways.http_app import create_http_app, metrics_registry
from gateways.ussd import UssdGateway, UssdOptions, add_ussd_routes

MSISDN = "8613800138000"
MAIN = "主菜单\n1 余额查询\n2 留言\n3 慢查询"


@dataclass
class MenuHandler:
    """main: 1 → END balance; 2 → echo loop (0 ends); 3 → waits for ``release``; else re-prompt."""

    seen: list[Inbound] = field(default_factory=list)
    states: dict[str, str] = field(default_factory=dict)
    release: asyncio.Event = field(default_factory=asyncio.Event)
    fail_on: str | None = None

    async def __call__(self, inbound: Inbound) -> list[Reply]:
        self.seen.append(inbound)
        key = inbound.session_key
        if inbound.event == "end":
            self.states.pop(key, None)
            return []
        if inbound.event == "begin":
            self.states[key] = "main"
            return [self._con(inbound, MAIN)]
        if inbound.text == self.fail_on:
            raise RuntimeError(f"secret input {inbound.text}")
        state = self.states.get(key, "main")
        if state == "echo":
            if inbound.text == "0":
                return [self._end(inbound, "再见")]
            return [self._con(inbound, f"收到:{inbound.text}")]
        if inbound.text == "1":
            return [self._end(inbound, "您的余额为 50.00 元")]
        if inbound.text == "2":
            self.states[key] = "echo"
            return [self._con(inbound, "请输入留言")]
        if inbound.text == "3":
            await self.release.wait()
            return [self._end(inbound, "慢查询结果: 42")]
        return [self._con(inbound, "无效选择\n" + MAIN)]

    @staticmethod
    def _con(inbound: Inbound, text: str) -> Reply:
        return Reply(channel="ussd", msisdn=inbound.msisdn, text=text, wait=Wait())

    @staticmethod
    def _end(inbound: Inbound, text: str) -> Reply:
        return Reply(channel="ussd", msisdn=inbound.msisdn, text=text)

    def inputs(self, session: str) -> list[tuple[str, str]]:
        return [(i.event, i.text) for i in self.seen if i.session_key == session]


@dataclass
class Live:
    client: TestClient[Any, Any]
    app: web.Application
    #: The MenuHandler (or the subclass) the server calls; Any when a real engine is used.
    handler: Any
    pushes: list[Reply]
    gateway: UssdGateway
    clock: ManualClock
    pushed: asyncio.Event

    def count(self, name: str, dialect: str = "at") -> float:
        """Current value of the counter ``menuflow_ussd_<name>_total`` for ``dialect``."""
        registry = metrics_registry(self.app)
        value = registry.get_sample_value(f"menuflow_ussd_{name}_total", {"dialect": dialect})
        return value or 0.0

    async def at(
        self, session: str, text: str, *, code: str = "*100#", msisdn: str = MSISDN, **extra: str
    ) -> ClientResponse:
        form = {"sessionId": session, "serviceCode": code, "phoneNumber": "+" + msisdn, "text": text}
        form.update(extra)
        return await self.client.post("/ussd/at", data=form)

    async def at_text(self, session: str, text: str, **kw: str) -> str:
        resp = await self.at(session, text, **kw)
        assert resp.status == 200, await resp.text()
        return await resp.text()

    async def js(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        resp = await self.client.post("/ussd", json=body)
        data: dict[str, Any] = await resp.json()
        return resp.status, data


@asynccontextmanager
async def live(
    handler: Handler | None = None,
    *,
    max_body: int = 4096,
    push: PushSink | None = None,
    clock: ManualClock | None = None,
    **opts: Any,
) -> AsyncIterator[Live]:
    """A real server on a free loopback port with both dialects mounted; pushes are recorded."""
    handler = handler or MenuHandler()
    pushes: list[Reply] = []
    pushed = asyncio.Event()

    async def record(reply: Reply) -> None:
        pushes.append(reply)
        pushed.set()

    clock = clock or ManualClock()
    app = create_http_app(max_body=max_body)
    gateway = add_ussd_routes(app, handler, push or record, UssdOptions(**opts), clock=clock)
    client: TestClient[Any, Any] = TestClient(TestServer(app, host="127.0.0.1", port=0))
    await client.start_server()
    try:
        yield Live(client, app, handler, pushes, gateway, clock, pushed)
    finally:
        await client.close()
