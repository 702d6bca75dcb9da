"""End to end through the real engine and the demo 10086 flow: FastAGI and TwiML."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from engine.clock import ManualClock
from engine.run.build import build_engine
from engine.run.engine import Engine
from engine.types import Inbound, Reply
from gateways.ivr.fastagi import AgiServer, start_agi
from gateways.ivr.options import IvrOptions
from gateways.ivr.twiml import add_twiml_routes
from simulator.fake_asterisk import FakeAsterisk, agi_environment


class Recorder:
    """Passes every inbound to the engine and keeps what it saw (assertions only)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.seen: list[Inbound] = []

    async def __call__(self, inbound: Inbound) -> list[Reply]:
        self.seen.append(inbound)
        return await self.engine.handle(inbound)


@pytest.fixture
def engine() -> Recorder:
    return Recorder(build_engine("flows", clock=ManualClock()))


async def agi_call(engine: Recorder, inputs: list[str], opts: IvrOptions | None = None,
                   barges: bool = True, **env: str) -> tuple[list[str], AgiServer]:
    server = await start_agi(engine, "127.0.0.1", 0, opts or IvrOptions())
    try:
        fake = FakeAsterisk("127.0.0.1", server.port, env=agi_environment(**env), inputs=inputs,
                            barges=barges)
        commands = await fake.run()
        await server.settle()
    finally:
        await server.close()
    return commands, server


async def test_agi_balance_speaks_50_00_then_goodbye(engine: Recorder) -> None:
    commands, server = await agi_call(engine, ["1", "2", "2"], barges=False, script="10086",
                                      callerid="13800138000")
    keys = '"0123456789*#"'
    i = commands.index(f"SAY NUMBER 50 {keys}")
    assert commands[i : i + 3] == [f"SAY NUMBER 50 {keys}", f'STREAM FILE "letters/dot" {keys}',
                                   f"SAY DIGITS 00 {keys}"]
    assert commands[1] == f'STREAM FILE "welcome" {keys}'
    assert commands[-2:] == ['SET VARIABLE MENUFLOW_RESULT "completed"', "HANGUP"]
    assert [(i.event, i.text) for i in engine.seen] == [("begin", ""), ("input", "1"), ("input", "2"), ("input", "2")]
    assert {(i.msisdn, i.service_code) for i in engine.seen} == {("8613800138000", "10086")}
    assert server.stats.completed == 1


async def test_agi_tts_app_speaks_balance_text(engine: Recorder) -> None:
    commands, _ = await agi_call(engine, ["1", "2"], IvrOptions(tts_app="MRCPSynth"))
    tts = [c for c in commands if c.startswith("EXEC MRCPSynth")]
    assert "50.00" in tts[1] and "欢迎致电" in tts[0]


async def test_agi_agent_transfer_and_english(engine: Recorder) -> None:
    commands, server = await agi_call(engine, ["0"], script="10086?lang=en", uniqueid="t.1")
    assert 'EXEC Queue "queue-10086,,,,120"' in commands and commands[-1] == "HANGUP"
    assert engine.seen[0].locale == "en" and server.stats.transfers == 1


async def test_agi_silence_then_hangup_ends_engine_session(engine: Recorder) -> None:
    server = await start_agi(engine, "127.0.0.1", 0, IvrOptions())
    try:
        fake = FakeAsterisk("127.0.0.1", server.port,
                            rules=[("WAIT FOR DIGIT", ["200 result=0"]), ("WAIT FOR DIGIT", None)])
        await fake.run()
        await server.settle()
    finally:
        await server.close()
    assert [i.event for i in engine.seen] == ["begin", "noinput", "end"]


@pytest.fixture
async def twiml(engine: Recorder) -> AsyncIterator[TestClient[web.Request, web.Application]]:
    app = web.Application()
    add_twiml_routes(app, engine, IvrOptions())
    async with TestClient(TestServer(app, host="127.0.0.1")) as c:
        yield c


async def test_twiml_balance_through_engine(twiml: TestClient[web.Request, web.Application]) -> None:
    form = {"CallSid": "CAe2e", "From": "+8613800138000", "To": "+8610086", "CallStatus": "in-progress"}
    doc = ET.fromstring(await (await twiml.post("/ivr/twiml?service=10086", data=form)).text())
    assert "欢迎致电" in (doc.findtext("Gather/Say") or "")
    doc = ET.fromstring(await (await twiml.post("/ivr/twiml?service=10086&step=input",
                                                data={**form, "Digits": "1"})).text())
    assert "50.00" in (doc.findtext("Gather/Say") or "")
