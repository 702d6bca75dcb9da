"""``menuflow serve`` wiring: one engine behind every channel, pushes through the SMS bind."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from app.cli import parser
from app.serve import Running, Server
from engine.events.sqlite import SqliteEventStore
from simulator.fake_asterisk import FakeAsterisk
from simulator.smsc import SmscSimulator
from tests.net import free_port

ROOT = Path(__file__).resolve().parents[2]
CREDS = {"menuflow": "secret"}


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[tuple[Running, SmscSimulator, Server]]:
    async with SmscSimulator(credentials=CREDS) as smsc:
        args = parser().parse_args([
            "serve", "--smpp", f"127.0.0.1:{smsc.port}", "--smpp-system-id", "menuflow", "--smpp-password", "secret",
            "--ussd-http", "127.0.0.1:0", "--agi", "127.0.0.1:0", "--events", str(tmp_path / "events.sqlite"),
        ])
        server = Server(args)
        run = await server.start()
        assert run.sms is not None
        await run.sms.wait_bound(5)
        try:
            yield run, smsc, server
        finally:
            await server.stop()


def _url(run: Running, name: str) -> str:
    return run.addresses[name]


async def _at(session: aiohttp.ClientSession, base: str, text: str) -> str:
    form = {"sessionId": "s1", "serviceCode": "*100#", "phoneNumber": "+8613800138000", "networkCode": "1",
            "text": text}
    async with session.post(f"{base}/ussd/at", data=form) as resp:
        assert resp.status == 200
        return await resp.text()


async def test_sms_ussd_and_reload_through_one_engine(served: tuple[Running, SmscSimulator, Server]) -> None:
    run, smsc, _ = served
    await smsc.deliver("8613800138000", "10086", "余额")
    [mt] = await smsc.wait_messages(1)
    assert mt.destination == "8613800138000" and mt.source == "10086" and "50.00" in mt.text
    async with aiohttp.ClientSession() as http:
        base = _url(run, "ussd")
        assert (await _at(http, base, "")).startswith("CON 欢迎使用10086")
        assert "50.00" in await _at(http, base, "1")
        async with http.post(f"{base}/admin/reload") as resp:
            assert resp.status == 200 and (await resp.json()) == {"reloaded": True}
        async with http.get(f"{base}/metrics") as resp:
            body = await resp.text()
        assert 'menuflow_backend_calls_total{category="query",channel="sms",op="balance",outcome="ok"}' in body
        assert 'menuflow_queries_total{channel="sms"} 1.0' in body
        assert "menuflow_business_total{" not in body  # a balance query is not business
        assert 'menuflow_sms_mo_received_total{bind="0"} 1.0' in body
        assert "menuflow_events_dropped_total 0.0" in body
        assert 'menuflow_sms_bound{bind="0"} 1.0' in body
        assert 'menuflow_sms_mt_queued_total{bind="0"} 1.0' in body
    assert run.events is not None and await run.events.flush()
    records = await run.events.store.read(0, 1e12)
    assert {(r.channel, r.data["op"]) for r in records if r.kind == "call"} >= {("sms", "balance"), ("ussd", "balance")}


async def test_ussd_push_goes_out_as_sms(served: tuple[Running, SmscSimulator, Server]) -> None:
    run, smsc, _ = served
    async with aiohttp.ClientSession() as http:
        base = _url(run, "ussd")
        for step in ("", "5", "5*3", "5*3*2"):  # more services → password → reset: the code comes by SMS
            reply = await _at(http, base, step)
        assert "验证码已短信发送" in reply
    [mt] = await smsc.wait_messages(1)
    assert mt.destination == "8613800138000" and "验证码为" in mt.text


async def test_ivr_caller_no_agent_took_gets_the_busy_sms_through_the_bind(
        served: tuple[Running, SmscSimulator, Server]) -> None:
    run, smsc, _ = served
    port = int(run.addresses["agi"].rsplit(":", 1)[1])
    fake = FakeAsterisk("127.0.0.1", port, inputs=["0"], variables={"QUEUESTATUS": "JOINEMPTY"})
    commands = await fake.run()
    assert commands[-4:] == ['EXEC Queue "queue-10086,,,,120"', "GET VARIABLE QUEUESTATUS",
                             'STREAM FILE "10086/msg/agent_busy" ""', "HANGUP"]
    [mt] = await smsc.wait_messages(1)
    assert mt.destination == "8613800138000" and mt.source == "10086"
    assert mt.text.startswith("【10086】抱歉，坐席繁忙。您可随时自助办理")
    async with aiohttp.ClientSession() as http, http.get(f"{_url(run, 'ussd')}/metrics") as resp:
        body = await resp.text()
    assert 'menuflow_agent_unavailable_total{reason="no_agents"} 1.0' in body
    assert 'menuflow_transfers_total{channel="ivr"} 1.0' in body
    assert run.events is not None and await run.events.flush()
    records = await run.events.store.read(0, 1e12)
    [unreached] = [r for r in records if r.kind == "agent_unavailable"]
    assert dict(unreached.data) == {"reason": "no_agents", "waited": 0, "target": "queue-10086"}
    assert [r.data["reason"] for r in records if r.kind == "end"] == ["transfer"]


async def test_admin_reload_needs_token_when_configured() -> None:
    from aiohttp import web

    from app.admin import add_admin_routes

    app = web.Application()
    add_admin_routes(app, lambda: [], "s3cret")
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        async with aiohttp.ClientSession() as http:
            async with http.post(f"http://127.0.0.1:{port}/admin/reload") as resp:
                assert resp.status == 401
            headers = {"Authorization": "Bearer s3cret"}
            async with http.post(f"http://127.0.0.1:{port}/admin/reload", headers=headers) as resp:
                assert resp.status == 200
    finally:
        await runner.cleanup()


def test_serve_process_public_contract_and_clean_shutdown(tmp_path: Path) -> None:
    """The documented command line: USSD over HTTP, SIGHUP reload, SIGTERM exits 0."""
    port = free_port()
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    events = tmp_path / "events.sqlite"
    proc = subprocess.Popen([sys.executable, "-m", "app.cli", "serve", "--ussd-http", f"127.0.0.1:{port}",
                             "--events", str(events)],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert proc.stdout is not None
        seen = []
        while not seen or "menuflow serving" not in seen[-1]:
            seen.append(proc.stdout.readline())
            assert seen[-1], "".join(seen)

        async def talk() -> list[str]:
            async with aiohttp.ClientSession() as http:
                base = f"http://127.0.0.1:{port}"
                return [await _at(http, base, t) for t in ("", "1", "1*2", "1*2*9")]

        first, balance, _declined, invalid = asyncio.run(talk())
        assert first.startswith("CON ") and "50.00" in balance and balance.startswith("CON ")
        assert invalid.startswith("CON 输入有误")
        proc.send_signal(signal.SIGHUP)
        while "flows reloaded" not in seen[-1]:  # the reload is done before we ask it to stop
            seen.append(proc.stdout.readline())
            assert seen[-1], "".join(seen)
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=20)
        out = "".join(seen) + out
        assert proc.returncode == 0, out
        assert "Traceback" not in out
        # the last batch lands at shutdown: the balance query and the invalid "9" are in the log
        records = asyncio.run(SqliteEventStore(str(events)).read(0, 1e12))
        assert [r.data["op"] for r in records if r.kind == "call"] == ["balance"]
        assert [r.data["text"] for r in records if r.kind == "invalid"] == ["9"]
    finally:
        if proc.poll() is None:
            proc.kill()


async def test_several_binds_in_one_process() -> None:
    async with SmscSimulator(credentials=CREDS) as smsc:
        args = parser().parse_args([
            "serve", "--smpp", f"127.0.0.1:{smsc.port}", "--smpp-system-id", "menuflow", "--smpp-password", "secret",
            "--smpp-binds", "3",
        ])
        server = Server(args)
        run = await server.start()
        try:
            for service in run.binds:
                await service.wait_bound(5)
            assert smsc.bound_sessions == 3
            for i in range(6):
                await smsc.deliver(f"86138001380{i:02d}", "10086", "YE")
            messages = await smsc.wait_messages(6)
            assert sorted(m.destination for m in messages) == [f"86138001380{i:02d}" for i in range(6)]
        finally:
            await server.stop()


async def test_unreachable_redis_is_an_answer_and_a_metric_not_a_500() -> None:
    args = parser().parse_args([
        "serve", "--ussd-http", "127.0.0.1:0", "--store", f"redis://127.0.0.1:{free_port()}/0",
    ])
    server = Server(args)
    run = await server.start()
    try:
        async with aiohttp.ClientSession() as http:
            base = _url(run, "ussd")
            assert (await _at(http, base, "")).startswith("END ")
            async with http.get(f"{base}/metrics") as resp:
                body = await resp.text()
        assert 'menuflow_ussd_unavailable_total{dialect="at"} 1.0' in body
    finally:
        await server.stop()
