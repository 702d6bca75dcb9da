"""USSD-over-HTTP dialects, parsed directly: every field rule at its limit, exact error texts.

The gateway tests (tests/ussd/) drive the dialects through a live server and a
menu; here each dialect's ``parse``/``render*`` is called on one request, so a
rule that changes shows up as exactly one failing case. The property tests feed
arbitrary bodies: ``parse`` must answer with a UssdRequest or a RequestError,
never raise.
"""

from __future__ import annotations

import asyncio
import functools
import json
from typing import Any
from unittest import mock

import pytest
from aiohttp import streams, web
from aiohttp.test_utils import make_mocked_request
from hypothesis import given, settings
from hypothesis import strategies as st

from gateways.ussd.dialects import (
    DIALECTS,
    AfricasTalking,
    GenericJson,
    RequestError,
    UssdAnswer,
    UssdDialect,
    UssdRequest,
    get_dialect,
)
from gateways.ussd.dialects.base import msisdn_field, service_code_field, session_id_field, text_field

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
PHONE = "8613800138000"


@functools.cache
def connection() -> dict[str, Any]:
    """The mocked app, protocol, writer and transport, made once: Mock() is slow (~1 ms each)."""
    req = make_mocked_request("POST", "/ussd")
    return {"app": req.app, "protocol": req.protocol, "writer": req.writer, "transport": req.transport}


def make_request(body: bytes, content_type: str | None, max_size: int = 1 << 20) -> web.Request:
    reader = streams.StreamReader(mock.NonCallableMock(), 1 << 20, loop=asyncio.get_running_loop())
    reader.feed_data(body)
    reader.feed_eof()
    headers = {"Content-Type": content_type} if content_type else {}
    return make_mocked_request(
        "POST", "/ussd", headers=headers, payload=reader, client_max_size=max_size, **connection()
    )


async def parse(dialect: UssdDialect, body: bytes, content_type: str | None, **kw: Any) -> UssdRequest | RequestError:
    return await dialect.parse(make_request(body, content_type, **kw), "86")


def form(**fields: str) -> bytes:
    from urllib.parse import urlencode

    return urlencode(fields).encode()


async def at(**fields: str) -> UssdRequest | RequestError:
    return await parse(AfricasTalking(), form(**fields), FORM)


def error_of(result: UssdRequest | RequestError) -> tuple[int, str]:
    assert isinstance(result, RequestError), result
    return result.status, result.message


AT_BASE = {"sessionId": "s1", "serviceCode": "*100#", "phoneNumber": "+8613800138000", "networkCode": "46000"}


# --- Africa's Talking ---------------------------------------------------------

async def test_at_request_without_text_field_is_a_begin() -> None:
    assert await at(**AT_BASE) == UssdRequest(
        dialect="at", session_id="s1", msisdn=PHONE, service_code="*100#", kind="begin",
        text="", cumulative=True, retry_key="", meta={"network_code": "46000"},
    )


async def test_at_input_carries_the_whole_cumulative_text() -> None:
    got = await at(**AT_BASE, text="1*2")
    assert got == UssdRequest(
        dialect="at", session_id="s1", msisdn=PHONE, service_code="*100#", kind="input",
        text="1*2", cumulative=True, retry_key="1*2", meta={"network_code": "46000"},
    )


@pytest.mark.parametrize("status", ["Success", "Incomplete", "Failed"])
async def test_at_end_of_session_notification(status: str) -> None:
    got = await at(**AT_BASE, status=status)
    assert got == UssdRequest(
        dialect="at", session_id="s1", msisdn=PHONE, service_code="*100#", kind="abort",
        meta={"network_code": "46000", "status": status},
    )


async def test_at_notification_without_service_code() -> None:
    fields = {k: v for k, v in AT_BASE.items() if k != "serviceCode"}
    got = await at(**fields, status="Failed")
    assert isinstance(got, UssdRequest)
    assert (got.kind, got.service_code, got.msisdn) == ("abort", "", PHONE)
    assert error_of(await at(**AT_BASE | {"serviceCode": "x"}, status="Failed")) == (
        400, "field 'serviceCode' must be a USSD code of digits, '*' and '#' (e.g. *100#)")


async def test_at_unknown_status_is_refused() -> None:
    assert error_of(await at(**AT_BASE, status="failed")) == (
        400, "field 'status' must be one of Success, Incomplete, Failed")


async def test_at_phone_numbers() -> None:
    raw = b"sessionId=s1&serviceCode=*100%23&phoneNumber=+447700900123"
    unencoded_plus = await parse(AfricasTalking(), raw, FORM)
    assert isinstance(unencoded_plus, UssdRequest) and unencoded_plus.msisdn == "447700900123"
    national = await at(**AT_BASE | {"phoneNumber": "13800138000"})
    assert isinstance(national, UssdRequest) and national.msisdn == PHONE
    fields = {k: v for k, v in AT_BASE.items() if k != "phoneNumber"}
    assert error_of(await at(**fields)) == (400, "missing field 'phoneNumber'")


async def test_at_network_code_and_text_limits() -> None:
    ok = await at(**AT_BASE | {"networkCode": "1" * 16})
    assert isinstance(ok, UssdRequest) and ok.meta == {"network_code": "1" * 16}
    assert error_of(await at(**AT_BASE | {"networkCode": "1" * 17})) == (
        400, "field 'networkCode' is too long (17 characters, at most 16)")
    no_network = await at(**{k: v for k, v in AT_BASE.items() if k != "networkCode"})
    assert isinstance(no_network, UssdRequest) and no_network.meta == {"network_code": ""}
    long_text = "1*" * 1023 + "12"
    assert len(long_text) == 2048
    ok = await at(**AT_BASE, text=long_text)
    assert isinstance(ok, UssdRequest) and ok.text == long_text
    assert error_of(await at(**AT_BASE, text=long_text + "3")) == (
        400, "field 'text' is too long (2049 characters, at most 2048)")


def test_at_rendering() -> None:
    dialect = AfricasTalking()
    assert dialect.paths == ("/ussd/at", "/ussd/at/events")
    more = dialect.render(UssdAnswer("s1", "菜单", more=True))
    end = dialect.render(UssdAnswer("s1", "再见", more=False))
    ack = dialect.render_ack("s1")
    err = dialect.render_error(RequestError("field 'x' bad", status=415))
    assert (more.text, end.text, ack.text, err.text) == ("CON 菜单", "END 再见", "OK", "field 'x' bad")
    assert (more.status, ack.status, err.status) == (200, 200, 415)
    for resp in (more, end, ack, err):
        assert resp.headers["Content-Type"] == "text/plain; charset=utf-8"


# --- Generic JSON -------------------------------------------------------------

async def js(body: Any, content_type: str | None = JSON) -> UssdRequest | RequestError:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return await parse(GenericJson(), raw, content_type)


JS_BASE = {"session_id": "s1", "msisdn": "+8613800138000", "service_code": "*100#"}


async def test_json_kinds() -> None:
    assert await js(JS_BASE | {"type": "begin"}) == UssdRequest(
        dialect="json", session_id="s1", msisdn=PHONE, service_code="*100#", kind="begin")
    assert await js(JS_BASE | {"type": "begin", "input": "ignored"}) == UssdRequest(
        dialect="json", session_id="s1", msisdn=PHONE, service_code="*100#", kind="begin")
    assert await js({"session_id": "s1", "msisdn": PHONE, "type": "continue", "input": "1",
                     "request_id": "r9"}) == UssdRequest(
        dialect="json", session_id="s1", msisdn=PHONE, service_code="", kind="input", text="1", retry_key="r9")
    assert await js({"session_id": "s1", "msisdn": PHONE, "type": "abort", "service_code": ""}) == UssdRequest(
        dialect="json", session_id="s1", msisdn=PHONE, service_code="", kind="abort")


@pytest.mark.parametrize(("body", "message"), [
    (JS_BASE, "field 'type' must be one of begin, continue, abort"),
    (JS_BASE | {"type": 1}, "field 'type' must be one of begin, continue, abort"),
    (JS_BASE | {"type": ["begin"]}, "field 'type' must be one of begin, continue, abort"),
    (JS_BASE | {"type": "Begin"}, "field 'type' must be one of begin, continue, abort"),
    ({"msisdn": PHONE, "type": "begin"}, "missing field 'session_id'"),
    ({"session_id": "s1", "msisdn": PHONE, "type": "begin"}, "missing field 'service_code'"),
    ({"session_id": "s1", "msisdn": PHONE, "type": "continue"}, "missing field 'input'"),
    (JS_BASE | {"type": "begin", "service_code": "*" + "1" * 32},
     "field 'service_code' is too long (33 characters, at most 32)"),
    (JS_BASE | {"type": "begin", "request_id": 7}, "field 'request_id' must be a string, got int"),
    (JS_BASE | {"type": "continue", "input": "1" * 183}, "field 'input' is too long (183 characters, at most 182)"),
    (b"[1]", "body must be a JSON object, got list"),
    (b"{", "body is not valid JSON (line 1, column 2)"),
    (b"[" * 100_000, "body is not valid JSON (nested too deeply)"),
])
async def test_json_errors(body: Any, message: str) -> None:
    assert error_of(await js(body)) == (400, message)


async def test_json_limits_at_their_value() -> None:
    code = "*" + "1" * 30 + "#"
    got = await js(JS_BASE | {"type": "begin", "service_code": code, "request_id": "r" * 128})
    assert isinstance(got, UssdRequest) and (got.service_code, got.retry_key) == (code, "r" * 128)
    got = await js({"session_id": "s1", "msisdn": PHONE, "type": "continue", "input": "1" * 182})
    assert isinstance(got, UssdRequest) and got.text == "1" * 182


async def test_json_content_type_is_required() -> None:
    assert error_of(await js(JS_BASE | {"type": "begin"}, content_type=None)) == (
        415, "Content-Type must be application/json, got 'application/octet-stream'")
    assert error_of(await js(JS_BASE | {"type": "begin"}, content_type=FORM)) == (
        415, f"Content-Type must be application/json, got '{FORM}'")


def test_json_rendering_keeps_chinese_readable() -> None:
    dialect = GenericJson()
    assert dialect.paths == ("/ussd",)
    cases = [
        (dialect.render(UssdAnswer("会话", "菜单", more=True)), 200,
         {"session_id": "会话", "message": "菜单", "action": "continue"}),
        (dialect.render(UssdAnswer("s1", "再见", more=False)), 200,
         {"session_id": "s1", "message": "再见", "action": "end"}),
        (dialect.render_ack("会话"), 200, {"session_id": "会话", "message": "", "action": "end"}),
        (dialect.render_error(RequestError("字段 bad", status=413)), 413, {"error": "字段 bad"}),
    ]
    for resp, status, payload in cases:
        assert resp.status == status
        assert resp.content_type == JSON
        assert isinstance(resp.body, bytes)
        assert resp.body.decode() == json.dumps(payload, ensure_ascii=False)


# --- shared body reading (forms.py) -------------------------------------------

@pytest.mark.parametrize("content_type", [
    None, FORM, f"{FORM}; charset=utf-8", f"{FORM}; charset=UTF8", f"{FORM}; charset=us-ascii",
    f"{FORM}; charset=ASCII",
])
async def test_form_content_types_accepted(content_type: str | None) -> None:
    assert isinstance(await parse(AfricasTalking(), form(**AT_BASE), content_type), UssdRequest)


async def test_form_content_types_refused() -> None:
    assert error_of(await parse(AfricasTalking(), form(**AT_BASE), JSON)) == (
        415, f"Content-Type must be {FORM}, got '{JSON}'")
    assert error_of(await parse(AfricasTalking(), form(**AT_BASE), f"{FORM}; charset=ISO-8859-1")) == (
        415, "charset must be utf-8, got 'ISO-8859-1'")


async def test_form_body_errors() -> None:
    at_ = AfricasTalking()
    assert error_of(await parse(at_, b"text=\xff", FORM)) == (400, "request body is not valid UTF-8")
    assert error_of(await parse(at_, b"text=%FF", FORM)) == (
        400, "form field is not valid UTF-8 after percent-decoding")
    assert error_of(await parse(at_, b"text=1&text=2", FORM)) == (400, "field 'text' given more than once")
    assert error_of(await parse(at_, b"text=&text=", FORM)) == (400, "field 'text' given more than once")
    # A blank field is present, not missing.
    assert error_of(await parse(at_, form(**AT_BASE | {"sessionId": ""}), FORM)) == (
        400, "field 'sessionId' must not be empty")
    assert error_of(await parse(at_, form(**AT_BASE), FORM, max_size=10)) == (
        413, "request body larger than 10 bytes")


async def test_form_field_count_limit() -> None:
    at_ = AfricasTalking()
    filler = {f"f{i}": "" for i in range(64 - len(AT_BASE))}
    assert isinstance(await parse(at_, form(**AT_BASE, **filler), FORM), UssdRequest)
    assert error_of(await parse(at_, form(**AT_BASE, **filler, extra=""), FORM)) == (
        400, "too many form fields (at most 64)")


# --- shared field rules (base.py) -----------------------------------------------

def field_error(fn: Any, *args: Any, **kw: Any) -> str:
    with pytest.raises(RequestError) as err:
        fn(*args, **kw)
    assert str(err.value) == err.value.message and err.value.status == 400
    return err.value.message


def test_text_field_rules() -> None:
    assert text_field({"a": "x" * 5}, "a", max_len=5) == "x" * 5
    assert field_error(text_field, {"a": "x" * 6}, "a", max_len=5) == "field 'a' is too long (6 characters, at most 5)"
    assert text_field({}, "a", required=False, max_len=5, default="d") == "d"
    assert field_error(text_field, {}, "a", max_len=5) == "missing field 'a'"
    assert field_error(text_field, {"a": None}, "a", max_len=5) == "missing field 'a'"
    assert field_error(text_field, {"a": ["x"]}, "a", max_len=5) == "field 'a' must be a string, got list"
    assert text_field({"a": "1\r\n2"}, "a", max_len=5) == "1\r\n2"
    for bad in ("\x00", "\t", "\x0b", "\x0c", "\x0e", "\x1f", "\x7f"):
        assert field_error(text_field, {"a": bad}, "a", max_len=5) == "field 'a' contains control characters"


def test_session_service_code_and_msisdn_fields() -> None:
    assert session_id_field({"s": " s1 "}, "s") == "s1"
    assert session_id_field({"s": "x" * 128}, "s") == "x" * 128
    assert field_error(session_id_field, {"s": "x" * 129}, "s") == "field 's' is too long (129 characters, at most 128)"
    assert field_error(session_id_field, {"s": "  "}, "s") == "field 's' must not be empty"
    assert service_code_field({"c": " *100*1# "}, "c") == "*100*1#"
    padded = "+86 138 0013 8000" + " " * 15
    assert len(padded) == 32
    assert msisdn_field({"m": padded}, "m", "86") == PHONE
    assert field_error(msisdn_field, {"m": padded + " "}, "m", "86") == (
        "field 'm' is too long (33 characters, at most 32)")
    assert msisdn_field({"m": "07700900123"}, "m", "44") == "447700900123"
    assert field_error(msisdn_field, {"m": "anonymous"}, "m", "86") == (
        "field 'm' must be a phone number (E.164 like +8613800138000, or national digits)")


def test_dialect_registry() -> None:
    assert sorted(DIALECTS) == ["at", "json"]
    first, second = get_dialect("at"), get_dialect("at")
    assert isinstance(first, AfricasTalking) and first is not second
    assert isinstance(get_dialect("json"), GenericJson)
    with pytest.raises(ValueError) as err:
        get_dialect("xml")
    assert str(err.value) == "unknown USSD dialect 'xml'; known: at, json"


# --- properties: arbitrary input is answered, never raised ------------------------

FEW = settings(max_examples=120, deadline=None)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)
json_objects = st.fixed_dictionaries(
    {},
    optional={
        "session_id": json_values, "msisdn": st.one_of(st.just(PHONE), json_values),
        "service_code": st.one_of(st.just("*100#"), json_values), "input": json_values,
        "type": st.one_of(st.sampled_from(["begin", "continue", "abort"]), json_values),
        "request_id": json_values,
    },
)
form_fields = st.dictionaries(
    st.sampled_from(["sessionId", "serviceCode", "phoneNumber", "networkCode", "text", "status", "x"]),
    st.text(max_size=40) | st.sampled_from(["s1", "*100#", " 8613800138000", "Failed", "1*2"]),
)
content_types = st.sampled_from([None, FORM, JSON, "text/plain", f"{FORM}; charset=latin-1"])


def check_any(dialect: UssdDialect, bodies: st.SearchStrategy[bytes], types: st.SearchStrategy[str | None]) -> None:
    """Parse arbitrary bodies on one event loop (a loop per example costs more than the parse)."""
    with asyncio.Runner() as runner:

        @FEW
        @given(bodies, types)
        def check(body: bytes, content_type: str | None) -> None:
            result = runner.run(parse(dialect, body, content_type, max_size=4096))
            if isinstance(result, RequestError):
                assert result.message and result.status in (400, 413, 415)
            else:
                assert isinstance(result, UssdRequest)
                assert result.msisdn.isdigit() and result.kind in ("begin", "input", "abort")

        check()


def test_json_dialect_answers_any_body() -> None:
    check_any(GenericJson(), st.one_of(st.binary(max_size=200), json_objects.map(lambda d: json.dumps(d).encode())),
              content_types)


def test_at_dialect_answers_any_body() -> None:
    check_any(AfricasTalking(), st.one_of(st.binary(max_size=200), form_fields.map(lambda d: form(**d))),
              content_types)


def test_at_dialect_answers_any_form() -> None:
    check_any(AfricasTalking(), form_fields.map(lambda d: form(**d)), st.just(FORM))
