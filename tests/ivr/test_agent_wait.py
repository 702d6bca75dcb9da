"""The agent wait threshold over each IVR protocol, through the real engine and the demo 10086 flow.

The demo agent (`agent: {target: queue-10086, max_wait: 120}`) is key 0. Asterisk's answer comes
from the scripted peer's channel variables over a real socket; TwiML and VoiceXML go through
aiohttp's test server. Every push the engine returns is what ``menuflow serve`` sends by SMS.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from urllib.parse import parse_qs, urlsplit

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from engine.clock import ManualClock
from engine.run.build import build_engine
from engine.run.engine import Engine
from engine.types import Inbound, Reply
from gateways.ivr.agi_transfer import agent_app
from gateways.ivr.fastagi import start_agi
from gateways.ivr.options import IvrOptions
from gateways.ivr.twiml import add_twiml_routes
from gateways.ivr.vxml import add_vxml_routes
from simulator.fake_asterisk import FakeAsterisk, agi_environment

ZH = "8613800138000"
BUSY_ZH = "坐席繁忙，已短信告知您自助办理方式，再见。"
V = "{http://www.w3.org/2001/vxml}"
Client = TestClient[web.Request, web.Application]


class Calls:
    """The real engine behind a gateway, keeping every inbound and every SMS it pushed."""

    def __init__(self, clock: ManualClock) -> None:
        self.clock = clock
        self.engine: Engine = build_engine("flows", clock=clock)
        self.seen: list[Inbound] = []
        self.sms: list[Reply] = []

    async def __call__(self, inbound: Inbound) -> list[Reply]:
        self.seen.append(inbound)
        replies = await self.engine.handle(inbound)
        self.sms += [r for r in replies[1:] if r.push and r.channel == "sms"]
        if inbound.event == "input" and inbound.text == "0":
            self.clock.advance(125)  # the caller then waits in the queue
        return replies

    def events(self) -> list[tuple[str, str]]:
        return [(i.event, i.text) for i in self.seen]


@pytest.fixture
def calls() -> Calls:
    return Calls(ManualClock())


async def asterisk(calls: Calls, opts: IvrOptions | None = None, **fake: object) -> list[str]:
    """One call pressing 0 against a fresh FastAGI server; the scripted Asterisk's commands."""
    server = await start_agi(calls, "127.0.0.1", 0, opts or IvrOptions())
    try:
        commands = await FakeAsterisk("127.0.0.1", server.port, env=agi_environment(), inputs=["0"],
                                      **fake).run()  # type: ignore[arg-type]
        await server.settle()
    finally:
        await server.close()
    return commands


async def test_agi_queue_timeout_says_busy_and_sends_the_sms(calls: Calls) -> None:
    commands = await asterisk(calls, variables={"QUEUESTATUS": "TIMEOUT"})
    queue = commands.index('EXEC Queue "queue-10086,,,,120"')
    assert commands[queue - 3 : queue] == ['SET VARIABLE MENUFLOW_TRANSFER "queue-10086"',
                                           'SET VARIABLE MENUFLOW_RESULT "transfer"',
                                           "SET VARIABLE MENUFLOW_MAX_WAIT 120"]
    # the busy phrase's recording (no TTS application configured), then the only HANGUP
    assert commands[queue + 1 :] == ["GET VARIABLE QUEUESTATUS", 'STREAM FILE "10086/msg/agent_busy" ""', "HANGUP"]
    assert calls.events() == [("begin", ""), ("input", "0"), ("transfer_result", "timeout")]
    [sms] = calls.sms
    assert sms.msisdn == ZH and sms.text.startswith("【10086】抱歉，坐席繁忙，您已等待2分钟。")


async def test_agi_waits_for_the_queue_past_its_reply_timeout(calls: Calls) -> None:
    """Queue answers only when the caller leaves it: 0.3 s here, beyond a 0.1 s reply timeout."""
    commands = await asterisk(calls, IvrOptions(agi_reply_timeout=0.1), pauses={"EXEC Queue": 0.3},
                              variables={"QUEUESTATUS": "FULL"})
    assert commands[-3:] == ["GET VARIABLE QUEUESTATUS", 'STREAM FILE "10086/msg/agent_busy" ""', "HANGUP"]
    assert calls.events()[-1] == ("transfer_result", "full") and len(calls.sms) == 1


async def test_agi_speaks_the_busy_phrase_with_the_tts_app(calls: Calls) -> None:
    commands = await asterisk(calls, IvrOptions(tts_app="MRCPSynth"), variables={"QUEUESTATUS": "LEAVEEMPTY"})
    assert commands[-2:] == [f'EXEC MRCPSynth "{BUSY_ZH}"', "HANGUP"]
    assert calls.events()[-1] == ("transfer_result", "no_agents") and len(calls.sms) == 1


async def test_agi_agent_answered_sends_nothing(calls: Calls) -> None:
    commands = await asterisk(calls, variables={"QUEUESTATUS": "CONTINUE"})
    assert commands[-3:] == ['EXEC Queue "queue-10086,,,,120"', "GET VARIABLE QUEUESTATUS", "HANGUP"]
    assert calls.events()[-1] == ("transfer_result", "answered") and not calls.sms
    assert await calls.engine.store.get(f"ivr:{agi_environment()['agi_uniqueid']}") is None


async def test_agi_caller_hangs_up_in_the_queue_or_after_the_agent(calls: Calls) -> None:
    commands = await asterisk(calls, rules=[("EXEC Queue", ["HANGUP", "200 result=-1"])],
                              variables={"QUEUESTATUS": "TIMEOUT"})
    assert commands[-1] == 'EXEC Queue "queue-10086,,,,120"'  # no status read on a dead channel
    assert calls.events()[-1] == ("end", "") and not calls.sms
    assert await calls.engine.store.get(f"ivr:{agi_environment()['agi_uniqueid']}") is None


async def test_agi_unknown_or_unset_status_reports_nothing(calls: Calls) -> None:
    commands = await asterisk(calls, variables={"QUEUESTATUS": "WITHDRAW"})
    assert commands[-2:] == ["GET VARIABLE QUEUESTATUS", "HANGUP"]
    unset = Calls(ManualClock())
    await asterisk(unset)
    for seen in (calls, unset):
        assert seen.events()[-1] == ("end", "") and not seen.sms


async def test_agi_dial_mode_reads_dialstatus(calls: Calls) -> None:
    opts = IvrOptions(transfer_mode="dial", transfer_arg="PJSIP/{target}@pbx,30,tT")
    commands = await asterisk(calls, opts, variables={"DIALSTATUS": "BUSY"})
    assert 'EXEC Dial "PJSIP/queue-10086@pbx,120,tT"' in commands
    assert commands[commands.index("GET VARIABLE DIALSTATUS") - 1].startswith("EXEC Dial")
    assert calls.events()[-1] == ("transfer_result", "busy") and len(calls.sms) == 1


async def test_agi_goto_mode_leaves_the_threshold_to_the_dialplan(calls: Calls) -> None:
    commands = await asterisk(calls, IvrOptions(transfer_mode="goto", transfer_arg="agents"),
                              variables={"QUEUESTATUS": "TIMEOUT"})
    assert "SET VARIABLE MENUFLOW_MAX_WAIT 120" in commands
    assert commands[-3:] == ['SET CONTEXT "agents"', 'SET EXTENSION "queue-10086"', "SET PRIORITY 1"]
    assert calls.events() == [("begin", ""), ("input", "0")] and not calls.sms


def test_agent_app_lines_follow_asterisks_argument_order() -> None:
    queue = agent_app("queue", "", "q1", 90)
    assert (queue.app, queue.args, queue.status) == ("Queue", "q1,,,,90", "QUEUESTATUS")
    assert agent_app("dial", "SIP/{target}", "q1", 90).args == "SIP/q1,90"
    assert agent_app("dial", "SIP/{target},,r", "q1", 90).args == "SIP/q1,90,r"
    assert [queue.outcome(v) for v in ("timeout", " FULL", "JOINUNAVAIL", "CONTINUE", "WITHDRAW", "")] == [
        "timeout", "full", "no_agents", "answered", None, None]
    dial = agent_app("dial", "SIP/{target}", "q1", 90)
    assert [dial.outcome(v) for v in ("NOANSWER", "CHANUNAVAIL", "CONGESTION", "ANSWER", "CANCEL")] == [
        "timeout", "no_agents", "failed", "answered", None]


# -- TwiML --------------------------------------------------------------------------------------------

@pytest.fixture
async def web_ivr(calls: Calls) -> AsyncIterator[Client]:
    app = web.Application()
    add_twiml_routes(app, calls, IvrOptions())
    add_vxml_routes(app, calls, IvrOptions(vxml_transfer="sip:{target}@acd.example"))
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        yield client


async def twiml_to_agent(client: Client, sid: str) -> tuple[ET.Element, dict[str, str]]:
    form = {"CallSid": sid, "From": "+8613800138000", "To": "+8610086", "CallStatus": "in-progress"}
    await client.post("/ivr/twiml?service=10086", data=form)
    doc = ET.fromstring(await (await client.post("/ivr/twiml?service=10086&step=input",
                                                 data={**form, "Digits": "0"})).text())
    return doc, form


def dial_action(doc: ET.Element) -> str:
    dial = doc.find("Dial")
    assert dial is not None
    return dial.get("action", "")


async def test_twiml_dial_no_answer_says_busy_and_sends_the_sms(
        calls: Calls, web_ivr: Client) -> None:
    doc, form = await twiml_to_agent(web_ivr, "CAwait1")
    dial = doc.find("Dial")
    assert dial is not None and dial.text == "queue-10086"
    assert (dial.get("timeout"), dial.get("method")) == ("120", "POST")
    assert [e.tag for e in doc] == ["Say", "Dial"]  # the action decides what follows: no <Hangup/> here
    action = dial.get("action", "")
    assert parse_qs(urlsplit(action).query) == {"service": ["10086"], "step": ["agent"]}
    body = {**form, "DialCallStatus": "no-answer", "DialCallSid": "CAagent"}
    doc = ET.fromstring(await (await web_ivr.post(action, data=body)).text())
    assert doc.findtext("Say") == BUSY_ZH and doc.find("Hangup") is not None
    assert calls.events()[-1] == ("transfer_result", "timeout") and len(calls.sms) == 1
    again = ET.fromstring(await (await web_ivr.post(action, data=body)).text())  # Twilio retrying the callback
    assert again.find("Say") is None and again.find("Hangup") is not None and len(calls.sms) == 1


async def test_twiml_dial_outcomes(calls: Calls, web_ivr: Client) -> None:
    for i, (status, outcome) in enumerate((("busy", "busy"), ("failed", "failed"), ("completed", "answered"))):
        doc, form = await twiml_to_agent(web_ivr, f"CAo{i}")
        await web_ivr.post(dial_action(doc), data={**form, "DialCallStatus": status})
        assert calls.events()[-1] == ("transfer_result", outcome)
    assert len(calls.sms) == 2  # busy and failed; an agent answered the third


async def test_twiml_caller_gone_before_the_dial_ended(
        calls: Calls, web_ivr: Client) -> None:
    doc, form = await twiml_to_agent(web_ivr, "CAgone")
    action = dial_action(doc)
    for status in ({"CallStatus": "completed", "DialCallStatus": "no-answer"}, {"DialCallStatus": "canceled"}):
        resp = await web_ivr.post(action, data={**form, **status})
        assert resp.status == 200 and ET.fromstring(await resp.text()).find("Say") is None
    assert calls.events()[-2:] == [("end", ""), ("end", "")] and not calls.sms


# -- VoiceXML -----------------------------------------------------------------------------------------

async def vxml_to_agent(client: Client, callid: str) -> ET.Element:
    ids = {"callid": callid, "caller": "tel:+8613800138000", "called": "tel:10086"}
    await client.post("/ivr/vxml?service=10086&step=begin", data=ids)
    return ET.fromstring(await (await client.post("/ivr/vxml?service=10086&step=input",
                                                  data={**ids, "digits": "0"})).text())


async def test_vxml_transfer_noanswer_says_busy_and_sends_the_sms(
        calls: Calls, web_ivr: Client) -> None:
    doc = await vxml_to_agent(web_ivr, "vx1")
    xfer = doc.find(f"{V}form/{V}transfer")
    assert xfer is not None and (xfer.get("dest"), xfer.get("connecttimeout"), xfer.get("name")) == (
        "sip:queue-10086@acd.example", "120s", "agent")
    submit = xfer.find(f"{V}filled/{V}submit")
    assert submit is not None and submit.get("namelist") == "callid caller called agent"
    assert parse_qs(urlsplit(submit.get("next", "")).query)["step"] == ["agent"]
    names = {v.get("name"): v.get("expr") for v in doc.iter(f"{V}var")}
    assert names == {"callid": "'vx1'", "caller": "'8613800138000'", "called": "'10086'"}
    catches = {c.get("event"): c.find(f"{V}submit") for c in doc.iter(f"{V}catch")}
    assert set(catches) == {"connection.disconnect.hangup", "error.connection error.unsupported.transfer"}
    answer = await web_ivr.post(submit.get("next", ""), data={"callid": "vx1", "caller": "8613800138000",
                                                              "called": "10086", "agent": "noanswer"})
    doc = ET.fromstring(await answer.text())
    assert doc.findtext(f"{V}form/{V}block/{V}prompt") == BUSY_ZH
    assert doc.find(f"{V}form/{V}block/{V}disconnect") is not None
    assert calls.events()[-1] == ("transfer_result", "timeout") and len(calls.sms) == 1


async def test_vxml_transfer_results(calls: Calls, web_ivr: Client) -> None:
    cases = (("busy", "transfer_result", "busy"), ("network_busy", "transfer_result", "failed"),
             (None, "transfer_result", "failed"),  # a connection error: the catch submits no result
             ("far_end_disconnect", "transfer_result", "answered"), ("unknown", "end", ""))
    for i, (result, event, outcome) in enumerate(cases):
        await vxml_to_agent(web_ivr, f"vr{i}")
        ids = {"callid": f"vr{i}", "caller": "8613800138000", "called": "10086"}
        resp = await web_ivr.post("/ivr/vxml?service=10086&step=agent",
                                  data={**ids, **({"agent": result} if result else {})})
        assert resp.status == 200
        assert calls.events()[-1] == (event, outcome)
    assert len(calls.sms) == 3
