"""Issue 12, holes 7 and 8 over real HTTP: hostile bodies answer 4xx, sessions stay with their number,
admin and metrics take tokens and do not trust a relayed loopback caller."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from app.cli import parser
from app.serve import Server
from tests.engine.helpers import engine_for
from tests.ussd.helpers import live

BEGIN = {"type": "begin", "session_id": "s1", "msisdn": "8613800138000", "service_code": "*100#"}


@pytest.fixture
async def server(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[tuple[str, Server]]:
    for name in ("MENUFLOW_ADMIN_TOKEN", "MENUFLOW_METRICS_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    srv = Server(parser().parse_args(["serve", "--ussd-http", "127.0.0.1:0"]))
    run = await srv.start()
    try:
        yield run.addresses["ussd"], srv
    finally:
        await srv.stop()


async def post_json(url: str, raw: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as http, http.post(
            url, data=raw.encode("utf-8", "surrogatepass"), headers={"Content-Type": "application/json"}) as resp:
        return resp.status, await resp.text()


async def test_hostile_json_answers_400_not_500(server: tuple[str, Server]) -> None:
    base, _ = server
    big = '{"type": "begin", "session_id": "s", "msisdn": "8613800138000", "service_code": "*100#", "n": %s}'
    status, text = await post_json(f"{base}/ussd", big % ("9" * 5000))
    assert status == 400 and "number is too long" in text
    lone = '{"type": "begin", "session_id": "\\ud800", "msisdn": "8613800138000", "service_code": "*100#"}'
    status, text = await post_json(f"{base}/ussd", lone)
    assert status == 400 and "lone surrogate" in text
    status, text = await post_json(f"{base}/ussd", '{"type": "begin", "session_id": "s", "msisdn": "\\udfff"}')
    assert status == 400


async def test_a_session_id_belongs_to_its_number() -> None:
    """Another phoneNumber with the victim's sessionId could continue or cancel the victim's session."""
    engine, _, _ = engine_for("flows")
    async with live(engine.handle) as s:
        assert (await s.at_text("victim", "")).startswith("CON 欢迎使用")
        stolen = await s.at_text("victim", "1", msisdn="8613700137000")
        assert stolen.startswith("END") and "余额" not in stolen
        resp = await s.at("victim", "", msisdn="8613700137000", status="Failed")  # a forged end notification
        assert resp.status == 200
        assert (await s.at_text("victim", "1")).startswith("CON 尊敬的客户，您的账户余额为50.00元")
    session = await engine.store.get("ussd:victim")
    assert session is not None and session.msisdn == "8613800138000"


async def test_the_engine_itself_refuses_another_number_on_a_session() -> None:
    from engine.types import Inbound

    engine, _, _ = engine_for("flows")
    await engine.handle(Inbound("ivr", "8613800138000", "", "begin", "call-1", "10086"))
    reply = (await engine.handle(Inbound("ivr", "8613700137000", "1", "input", "call-1", "10086")))[0]
    assert reply.wait is None and "余额" not in reply.text
    await engine.handle(Inbound("ivr", "8613700137000", "", "end", "call-1", "10086"))
    assert await engine.store.get("ivr:call-1") is not None


async def get(url: str, **kw: Any) -> int:
    async with aiohttp.ClientSession() as http, http.post(url, **kw) as resp:
        return resp.status


async def test_admin_does_not_trust_a_relayed_loopback_caller(server: tuple[str, Server]) -> None:
    base, _ = server
    assert await get(f"{base}/admin/reload") == 200
    for header in ({"X-Forwarded-For": "203.0.113.9"}, {"Forwarded": "for=203.0.113.9"}, {"X-Real-IP": "1.2.3.4"}):
        assert await get(f"{base}/admin/reload", headers=header) == 401


async def test_admin_and_metrics_tokens(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MENUFLOW_ADMIN_TOKEN", "adm")
    monkeypatch.setenv("MENUFLOW_METRICS_TOKEN", "met")
    srv = Server(parser().parse_args(["serve", "--ussd-http", "127.0.0.1:0"]))
    run = await srv.start()
    base = run.addresses["ussd"]
    try:
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{base}/metrics") as resp:
                assert resp.status == 401
            async with http.get(f"{base}/metrics", headers={"Authorization": "Bearer met"}) as resp:
                assert resp.status == 200 and "menuflow" in await resp.text()
            async with http.get(f"{base}/healthz") as resp:
                assert resp.status == 200  # the load balancer's probe needs no token
        assert await get(f"{base}/admin/reload") == 401
        assert await get(f"{base}/admin/reload", headers={"Authorization": "Bearer adm"}) == 200
    finally:
        await srv.stop()
