"""The 10086 flows through the real engine, on the demo backend in-process and over HTTP.

Only figures (balances, codes) are asserted, not wording, so copy edits in the
flows do not break these tests; the menu paths (5 more → 1 top-up / 3 password)
are the flows' contract with subscribers.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from engine.backend.catalogue import OPERATIONS
from engine.backend.demo import DemoBackend
from engine.backend.http import HttpBackend
from engine.clock import ManualClock
from engine.ports.backend import Backend, CallContext
from engine.run.build import build_engine
from engine.run.engine import Engine
from engine.types import Event, Inbound, Reply
from simulator.backend_server import serve_backend

MSISDN = "8613800138000"
CTX = CallContext(MSISDN, "test", "check")


@dataclass
class Rig:
    engine: Engine
    demo: DemoBackend
    clock: ManualClock

    async def ussd(self, text: str, session: str = "u-1") -> list[Reply]:
        event: Event = "begin" if text == "*100#" else "input"
        inbound = Inbound(
            "ussd",
            MSISDN,
            text=text,
            event=event,
            session_key=session,
            service_code="*100#",
            received_at=self.clock.now(),
        )
        return await self.engine.handle(inbound)


@pytest.fixture(params=["demo", "http"])
async def rig(request: pytest.FixtureRequest) -> AsyncIterator[Rig]:
    clock = ManualClock()
    demo = DemoBackend(clock=clock)
    if request.param == "demo":
        yield Rig(build_engine("flows", backend=demo, clock=clock, call_timeout=0.3), demo, clock)
    else:
        async with serve_backend(demo) as url:
            backend: Backend = HttpBackend(url, OPERATIONS.values(), timeout=0.3)
            yield Rig(build_engine("flows", backend=backend, clock=clock, call_timeout=1.0), demo, clock)
            await backend.close()
    await demo.close()


async def test_balance(rig: Rig) -> None:
    await rig.ussd("*100#")
    assert "50.00" in (await rig.ussd("1"))[0].text


async def test_topup_after_confirmation(rig: Rig) -> None:
    for step in ("*100#", "5", "1", "20", "123456"):
        await rig.ussd(step)
    assert (await rig.demo.call("balance", {}, CTX))["balance"] == "50.00", "nothing before the yes"
    assert "70.00" in (await rig.ussd("1"))[0].text
    assert (await rig.demo.call("balance", {}, CTX))["balance"] == "70.00"


async def test_change_password(rig: Rig, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    for step in ("*100#", "5", "3", "1", "123456", "802413"):
        await rig.ussd(step)
    assert await rig.demo.call("verify_password", {"password": "802413"}, CTX) == {}
    assert "123456" not in caplog.text and "802413" not in caplog.text


async def test_password_reset_by_sms_code(rig: Rig, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    for step in ("*100#", "5", "3"):
        await rig.ussd(step)
    replies = await rig.ussd("2")
    pushes = [r for r in replies if r.push and r.channel == "sms"]
    match = re.search(r"\d{6}", pushes[0].text)
    assert match is not None
    code = match.group()
    await rig.ussd(code)
    await rig.ussd("802413")
    assert await rig.demo.call("verify_password", {"password": "802413"}, CTX) == {}
    assert code not in caplog.text and "802413" not in caplog.text


async def test_slow_backend_gets_a_polite_answer(rig: Rig) -> None:
    rig.demo.inject("balance", None, delay=0.8)
    await rig.ussd("*100#")
    reply = (await rig.ussd("1"))[0]
    assert reply.text and "50.00" not in reply.text and "Traceback" not in reply.text
