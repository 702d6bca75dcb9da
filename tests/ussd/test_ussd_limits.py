"""Refusals: 413 past the body limit, 400/415 that name the problem, never a 500."""

from __future__ import annotations

import asyncio

import pytest

from .helpers import MSISDN, live

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
JSON = {"Content-Type": "application/json"}


async def test_body_over_the_limit_is_413() -> None:
    async with live(max_body=4096) as s:
        resp = await s.client.post("/ussd/at", data=b"text=" + b"1" * 5000, headers=FORM)
        assert resp.status == 413
        assert "4096" in await resp.text()
        resp = await s.client.post("/ussd", data=b"{" + b" " * 5000 + b"}", headers=JSON)
        assert resp.status == 413
        assert "4096" in (await resp.json())["error"]
        assert s.handler.seen == []


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"serviceCode": "*100#", "phoneNumber": MSISDN, "text": ""}, "missing field 'sessionId'"),
        ({"sessionId": "S", "serviceCode": "*100#", "text": ""}, "missing field 'phoneNumber'"),
        ({"sessionId": "S", "phoneNumber": MSISDN, "text": ""}, "missing field 'serviceCode'"),
        ({"sessionId": "S", "serviceCode": "100", "phoneNumber": "abc", "text": ""}, "'phoneNumber' must be"),
        ({"sessionId": "S", "serviceCode": "*1x0#", "phoneNumber": MSISDN}, "'serviceCode' must be a USSD"),
        ({"sessionId": "", "serviceCode": "*100#", "phoneNumber": MSISDN}, "'sessionId' must not be empty"),
        ({"sessionId": "S" * 200, "serviceCode": "*100#", "phoneNumber": MSISDN}, "'sessionId' is too long"),
        ({"sessionId": "S", "serviceCode": "*100#", "phoneNumber": MSISDN, "text": "1" * 3000},
         "'text' is too long"),
        ({"sessionId": "S", "serviceCode": "*100#", "phoneNumber": MSISDN, "text": "a\x00"}, "control"),
        ({"sessionId": "S", "phoneNumber": MSISDN, "status": "Weird"}, "'status' must be one of"),
    ],
)
async def test_at_field_validation_is_400_naming_the_field(form: dict[str, str], message: str) -> None:
    async with live(max_body=8192) as s:
        resp = await s.client.post("/ussd/at", data=form)
        assert resp.status == 400
        assert message in await resp.text()
        assert s.handler.seen == []
        assert s.count("rejected") == 1


@pytest.mark.parametrize(
    ("body", "headers", "status", "message"),
    [
        (b"sessionId=S&sessionId=T&serviceCode=*100%23&phoneNumber=1", FORM, 400, "more than once"),
        (b"sessionId=%FF&serviceCode=*100%23&phoneNumber=1", FORM, 400, "not valid UTF-8"),
        (b"sessionId=\xff\xfe", FORM, 400, "not valid UTF-8"),
        (b'{"sessionId": "S"}', JSON, 415, "Content-Type must be application/x-www-form-urlencoded"),
        (b"x=1", {"Content-Type": "application/x-www-form-urlencoded; charset=latin-1"}, 415, "utf-8"),
        (b"&".join(b"f%d=1" % i for i in range(100)), FORM, 400, "too many form fields"),
    ],
)
async def test_at_garbage_is_a_4xx(body: bytes, headers: dict[str, str], status: int, message: str) -> None:
    async with live() as s:
        resp = await s.client.post("/ussd/at", data=body, headers=headers)
        assert resp.status == status
        assert message in await resp.text()


@pytest.mark.parametrize(
    ("body", "headers", "status", "message"),
    [
        (b"not json", JSON, 400, "not valid JSON (line 1, column 1)"),
        (b"[1, 2]", JSON, 400, "must be a JSON object, got list"),
        (b'"\xff"', JSON, 400, "not valid UTF-8"),
        (b"[" * 100_000, JSON, 400, "not valid JSON"),
        (b"{}", {"Content-Type": "text/plain"}, 415, "Content-Type must be application/json"),
        (b"{}", {}, 415, "Content-Type must be application/json"),
        (b'{"type": "hello"}', JSON, 400, "'type' must be one of begin, continue, abort"),
        (b'{"type": ["begin"]}', JSON, 400, "'type' must be one of"),
        (b'{"type": "begin", "msisdn": "1"}', JSON, 400, "missing field 'session_id'"),
        (b'{"type": "begin", "session_id": 5, "msisdn": "1"}', JSON, 400,
         "'session_id' must be a string, got int"),
        (b'{"type": "begin", "session_id": "s", "msisdn": "86138"}', JSON, 400, "'msisdn' must be a phone"),
        (b'{"type": "begin", "session_id": "s", "msisdn": "8613800138000"}', JSON, 400,
         "missing field 'service_code'"),
        (b'{"type": "continue", "session_id": "s", "msisdn": "8613800138000"}', JSON, 400,
         "missing field 'input'"),
        (b'{"type": "continue", "session_id": "s", "msisdn": "8613800138000", "input": {}}', JSON, 400,
         "'input' must be a string, got dict"),
        (b'{"type": "continue", "session_id": "s", "msisdn": "8613800138000", "input": "'
         + b"9" * 300 + b'"}', JSON, 400, "'input' is too long (300 characters, at most 182)"),
        (b'{"type": "begin", "session_id": "s", "msisdn": "8613800138000", "service_code": "*100#",'
         b' "request_id": 7}', JSON, 400, "'request_id' must be a string"),
    ],
)
async def test_json_garbage_is_a_4xx_with_a_json_error(
    body: bytes, headers: dict[str, str], status: int, message: str
) -> None:
    async with live(max_body=200_000) as s:
        resp = await s.client.post("/ussd", data=body, headers=headers)
        assert resp.status == status
        assert message in (await resp.json())["error"]
        assert s.handler.seen == []


async def test_wrong_method_and_unknown_path_are_4xx() -> None:
    async with live() as s:
        assert (await s.client.get("/ussd/at")).status == 405
        assert (await s.client.post("/ussd/nope", data=b"x")).status == 404


async def test_broken_http_framing_gets_400_without_traceback() -> None:
    async with live() as s:
        port = s.client.server.port
        assert port is not None
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"POST /ussd/at HTTP/1.1\r\nContent-Length: nope\r\n\r\n")
        await writer.drain()
        raw = await reader.read(4096)
        writer.close()
        assert raw.split(b"\r\n", 1)[0].endswith(b" 400 Bad Request")
        assert b"Traceback" not in raw


async def test_engine_exception_becomes_end_unavailable_not_500(caplog: pytest.LogCaptureFixture) -> None:
    async with live() as s:
        s.handler.fail_on = "123456"
        await s.at_text("S", "")
        await s.at_text("S", "2")
        assert await s.at_text("S", "2*123456") == "END 服务暂时不可用，请稍后再试"
        assert s.count("engine_failures") == 1
        assert "123456" not in caplog.text
        assert "RuntimeError" in caplog.text

