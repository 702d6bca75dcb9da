"""TwiML and VoiceXML webhooks over real HTTP on 127.0.0.1; documents parsed with xml.etree."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from urllib.parse import parse_qs, urlsplit

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from engine.clock import ManualClock
from engine.types import Inbound, Reply, Wait
from gateways.http_input import twilio_signature
from gateways.ivr.options import IvrOptions
from gateways.ivr.twiml import add_twiml_routes
from gateways.ivr.vxml import add_vxml_routes

from .conftest import MAIN, MenuHandler

V = "{http://www.w3.org/2001/vxml}"
CALL = {"CallSid": "CA123", "From": "+8613800138000", "To": "+8610086", "CallStatus": "in-progress"}


@pytest.fixture
async def client(menu: MenuHandler) -> AsyncIterator[TestClient[web.Request, web.Application]]:
    app = web.Application()
    opts = IvrOptions(audio_base_url="https://media.example/p/", prefer_audio=True,
                      twiml_dial="sip:{target}@pbx.example")
    add_twiml_routes(app, menu, opts, ManualClock())
    add_vxml_routes(app, menu, opts, ManualClock())
    async with TestClient(TestServer(app, host="127.0.0.1")) as c:
        yield c


async def post(client: TestClient[web.Request, web.Application], url: str,
               data: dict[str, str]) -> ET.Element:
    resp = await client.post(url, data=data)
    assert resp.status == 200, await resp.text()
    return ET.fromstring(await resp.text())


async def test_twiml_menu_gather_then_balance(client: TestClient[web.Request, web.Application],
                                              menu: MenuHandler) -> None:
    doc = await post(client, "/ivr/twiml?service=10086", CALL)
    gather = doc.find("Gather")
    assert gather is not None and gather.get("input") == "dtmf"
    assert (gather.get("numDigits"), gather.get("timeout"), gather.get("finishOnKey")) == ("1", "5", "")
    assert gather.findtext("Play") == "https://media.example/p/menu/main.wav"
    action = gather.get("action") or ""
    assert parse_qs(urlsplit(action).query) == {"service": ["10086"], "step": ["input"]}
    assert doc.findtext("Redirect") == "/ivr/twiml?service=10086&step=noinput"
    doc = await post(client, action, {**CALL, "Digits": "1"})
    assert doc.findtext("Say") == "您的余额为50.00元。"
    assert doc.find("Say").get("language") == "zh-CN"  # type: ignore[union-attr]
    assert doc.find("Hangup") is not None
    assert menu.events() == [("begin", ""), ("input", "1")]
    assert menu.seen[0].msisdn == "8613800138000" and menu.seen[0].service_code == "10086"


async def test_twiml_noinput_transfer_and_status_end(client: TestClient[web.Request, web.Application],
                                                     menu: MenuHandler) -> None:
    await post(client, "/ivr/twiml", CALL)
    await post(client, "/ivr/twiml?step=noinput", CALL)
    await post(client, "/ivr/twiml?step=input", {**CALL, "Digits": ""})
    await post(client, "/ivr/twiml", {**CALL, "CallStatus": "completed"})
    await post(client, "/ivr/twiml", {**CALL, "CallStatus": "completed"})
    assert menu.events() == [("begin", ""), ("noinput", ""), ("noinput", ""), ("end", "")]
    assert menu.seen[0].service_code == "10086"
    call2 = {**CALL, "CallSid": "CA999"}
    await post(client, "/ivr/twiml", call2)
    doc = await post(client, "/ivr/twiml?step=input", {**call2, "Digits": "0"})
    assert doc.findtext("Dial/Sip") == "sip:agents@pbx.example"
    await post(client, "/ivr/twiml", {**call2, "CallStatus": "completed"})
    assert [e for e, _ in menu.events()].count("end") == 1


async def test_twiml_pin_entry_escapes_text(client: TestClient[web.Request, web.Application],
                                            menu: MenuHandler) -> None:
    async def odd(inbound: Inbound) -> list[Reply]:
        return [Reply(channel="ivr", msisdn="", text="a < b & \"c\" ]]>", locale="en",
                      wait=Wait(kind="digits", max_digits=6, barge_in=False, timeout=7.5))]

    app = web.Application()
    add_twiml_routes(app, odd, IvrOptions())
    async with TestClient(TestServer(app, host="127.0.0.1")) as c:
        resp = await c.post("/ivr/twiml", data=CALL)
        doc = ET.fromstring(await resp.text())
    assert doc.findtext("Say") == "a < b & \"c\" ]]>"
    assert doc.find("Say").get("language") == "en-US"  # type: ignore[union-attr]
    gather = doc.find("Gather")
    assert gather is not None and len(gather) == 0  # no barge-in: speech before the Gather
    assert (gather.get("numDigits"), gather.get("finishOnKey"), gather.get("timeout")) == ("6", "#", "8")


@pytest.mark.parametrize(
    ("data", "status", "reason"),
    [
        ({}, 400, "missing field CallSid"),
        ({"CallSid": "CA1"}, 400, "missing field From"),
        ({"CallSid": "CA1'<x>", "From": "1"}, 400, "CallSid has unexpected"),
        ({**CALL, "Digits": "12abc"}, 400, "Digits must be DTMF"),
        ({**CALL, "pad": "x" * 20000}, 413, "body larger"),
    ],
)
async def test_twiml_rejects_bad_input(client: TestClient[web.Request, web.Application],
                                       data: dict[str, str], status: int, reason: str) -> None:
    resp = await client.post("/ivr/twiml?step=input", data=data)
    assert resp.status == status
    assert reason in await resp.text()


async def test_twiml_garbage_body_is_not_500(client: TestClient[web.Request, web.Application]) -> None:
    resp = await client.post("/ivr/twiml", data=b"\xff\xfe\x00garbage",
                             headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert resp.status == 400
    resp = await client.post("/ivr/twiml", data=b"{}", headers={"Content-Type": "application/json"})
    assert resp.status == 415


async def test_twiml_engine_failure_hangs_up_politely(menu: MenuHandler) -> None:
    async def broken(inbound: Inbound) -> list[Reply]:
        raise RuntimeError("boom")

    app = web.Application()
    add_twiml_routes(app, broken, IvrOptions())
    async with TestClient(TestServer(app, host="127.0.0.1")) as c:
        resp = await c.post("/ivr/twiml", data=CALL)
        assert resp.status == 200
        assert ET.fromstring(await resp.text()).find("Hangup") is not None


def submit_of(el: ET.Element | None) -> tuple[str, str]:
    assert el is not None
    sub = el.find(f"{V}submit")
    assert sub is not None
    return sub.get("next") or "", sub.get("namelist") or ""


async def test_vxml_bootstrap_then_menu_then_balance(client: TestClient[web.Request, web.Application],
                                                     menu: MenuHandler) -> None:
    resp = await client.get("/ivr/vxml?service=10086")
    assert resp.content_type == "application/voicexml+xml"
    boot = ET.fromstring(await resp.text())
    assert boot.get("version") == "2.1"
    exprs = {v.get("name"): v.get("expr") for v in boot.iter(f"{V}var")}
    assert exprs["caller"] == "session.connection.remote.uri"
    callid = (exprs["callid"] or "").strip("'")
    nxt, names = submit_of(boot.find(f"{V}form/{V}block"))
    assert names == "callid caller called" and "step=begin" in nxt

    ids = {"callid": callid, "caller": "tel:+8613800138000", "called": "tel:10086"}
    doc = await post(client, nxt, ids)
    field = doc.find(f"{V}form/{V}field")
    assert field is not None and field.get("name") == "digits"
    grammar = field.find(f"{V}grammar")
    assert grammar is not None and grammar.get("mode") == "dtmf"
    keys = [i.text for i in grammar.iter(f"{V}item") if i.text]
    assert keys == list("0123456789*")
    prompt = field.find(f"{V}prompt")
    assert prompt is not None and prompt.get("bargein") == "true"
    audio = prompt.find(f"{V}audio")
    assert audio is not None and audio.get("src") == "https://media.example/p/menu/main.wav"
    assert audio.text == MAIN
    nxt, names = submit_of(field.find(f"{V}filled"))
    assert names == "callid caller called digits"
    assert submit_of(field.find(f"{V}noinput"))[0].endswith("step=noinput")
    hang = doc.find(f"{V}form/{V}catch")
    assert hang is not None and hang.get("event") == "connection.disconnect.hangup"

    doc = await post(client, nxt, {**ids, "caller": "8613800138000", "digits": "1"})
    block = doc.find(f"{V}form/{V}block")
    assert block is not None and block.find(f"{V}disconnect") is not None
    assert block.findtext(f"{V}prompt") == "您的余额为50.00元。"
    assert menu.events() == [("begin", ""), ("input", "1")]
    assert {(i.msisdn, i.service_code, i.session_key) for i in menu.seen} == {
        ("8613800138000", "10086", callid)}


async def test_vxml_pin_nomatch_hangup_and_transfer(client: TestClient[web.Request, web.Application],
                                                    menu: MenuHandler) -> None:
    ids = {"callid": "v1", "caller": "13800138000", "called": "10086"}
    await post(client, "/ivr/vxml?step=begin", ids)
    await post(client, "/ivr/vxml?step=input", {**ids, "digits": "2"})
    doc = await post(client, "/ivr/vxml?step=input", {**ids, "digits": "1"})
    grammar = doc.find(f"{V}form/{V}field/{V}grammar")
    assert grammar is not None
    assert grammar.get("src") == "builtin:dtmf/digits?minlength=1;maxlength=6"
    props = {p.get("name"): p.get("value") for p in doc.iter(f"{V}property")}
    assert props == {"timeout": "5s", "interdigittimeout": "3s", "termchar": "#",
                     "recordutterance": "false"}
    await post(client, "/ivr/vxml?step=nomatch", ids)
    await post(client, "/ivr/vxml?step=end", ids)
    assert menu.events()[-2:] == [("input", ""), ("end", "")]
    assert menu.seen[-2].meta == {"nomatch": True}

    ids2 = {**ids, "callid": "v2"}
    await post(client, "/ivr/vxml?step=begin", ids2)
    doc = await post(client, "/ivr/vxml?step=input", {**ids2, "digits": "0"})
    xfer = doc.find(f"{V}form/{V}transfer")
    assert xfer is not None and xfer.get("dest") == "tel:agents"


@pytest.mark.parametrize(
    ("url", "data", "status", "reason"),
    [
        ("/ivr/vxml?step=bogus", {"callid": "x"}, 400, "unknown step"),
        ("/ivr/vxml?step=input", {"callid": "x"}, 400, "missing field caller"),
        ("/ivr/vxml?step=input", {"callid": "x y", "caller": "1"}, 400, "callid has unexpected"),
        ("/ivr/vxml?step=input", {"callid": "x", "caller": "1", "digits": "<"}, 400, "digits must"),
    ],
)
async def test_vxml_rejects_bad_input(client: TestClient[web.Request, web.Application], url: str,
                                      data: dict[str, str], status: int, reason: str) -> None:
    resp = await client.post(url, data=data)
    assert resp.status == status and reason in await resp.text()


async def test_signed_and_token_protected_webhooks(menu: MenuHandler) -> None:
    opts = IvrOptions(twilio_auth_token="tok", webhook_token="s3cret",
                      public_url="https://ivr.example.com")
    app = web.Application()
    add_twiml_routes(app, menu, opts)
    add_vxml_routes(app, menu, opts)
    async with TestClient(TestServer(app, host="127.0.0.1")) as c:
        path = "/ivr/twiml?service=10086&token=s3cret"
        good = twilio_signature("tok", "https://ivr.example.com" + path, CALL)
        resp = await c.post(path, data=CALL, headers={"X-Twilio-Signature": "bad"})
        assert resp.status == 403 and "X-Twilio-Signature" in await resp.text()
        resp = await c.post("/ivr/twiml?service=10086", data=CALL, headers={"X-Twilio-Signature": good})
        assert resp.status == 401 and "token" in await resp.text()
        resp = await c.post(path, data=CALL, headers={"X-Twilio-Signature": good})
        assert resp.status == 200
        action = ET.fromstring(await resp.text()).find("Gather").get("action")  # type: ignore[union-attr]
        assert parse_qs(urlsplit(action).query)["token"] == ["s3cret"]
        resp = await c.get("/ivr/vxml?service=10086")
        assert resp.status == 401
        resp = await c.get("/ivr/vxml?service=10086&token=s3cret")
        assert resp.status == 200
    assert [e for e, _ in menu.events()] == ["begin"]


async def test_vxml_has_its_own_token_when_twiml_relies_on_the_signature(menu: MenuHandler) -> None:
    opts = IvrOptions(twilio_auth_token="tok", vxml_token="vx")
    app = web.Application()
    add_twiml_routes(app, menu, opts)
    add_vxml_routes(app, menu, opts)
    ids = {"callid": "v1", "caller": "13800138000", "called": "10086"}
    async with TestClient(TestServer(app, host="127.0.0.1")) as c:
        resp = await c.post("/ivr/vxml?step=begin", data=ids)
        assert resp.status == 401 and "missing or wrong token" in await resp.text()
        resp = await c.post("/ivr/vxml?step=begin&token=wrong", data=ids)
        assert resp.status == 401
        resp = await c.post("/ivr/vxml?step=begin", data=ids, headers={"Authorization": "Bearer vx"})
        assert resp.status == 200
        resp = await c.post("/ivr/vxml?step=begin&token=vx", data=ids)
        assert resp.status == 200
        nxt = ET.fromstring(await resp.text()).find(f"{V}form/{V}field/{V}filled/{V}submit")
        assert nxt is not None and "token=vx" in (nxt.get("next") or "")  # carried to the next step
        resp = await c.post("/ivr/twiml", data=CALL)
        assert resp.status == 403  # the vxml token opens nothing on /ivr/twiml
    assert [e for e, _ in menu.events()] == ["begin", "begin"]


async def test_duplicate_field_is_refused(client: TestClient[web.Request, web.Application]) -> None:
    resp = await client.post("/ivr/twiml?step=input", data="CallSid=CA1&From=1&Digits=1&Digits=2",
                             headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert resp.status == 400 and "field 'Digits' given more than once" in await resp.text()
