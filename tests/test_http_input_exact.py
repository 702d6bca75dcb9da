"""The webhook input/auth layer to the byte: exact refusal texts, limits at their value and one past,
who counts as local, and signatures checked against vectors computed here, over real HTTP on 127.0.0.1.

tests/test_http_input.py shows each refusal happens; this file pins what a mutation of
gateways/http_input.py would change (a limit off by one, a reason reworded, a URL built differently).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
from collections.abc import AsyncIterator

import pytest
from aiohttp import ClientResponse, web
from aiohttp.test_utils import TestClient, TestServer

from gateways.http_input import (
    PROXY_HEADERS,
    RequestError,
    check_token,
    check_twilio_signature,
    direct_loopback,
    has_token,
    is_loopback,
    plain_error,
    read_form,
)

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
LIMIT = 1024
Client = TestClient[web.Request, web.Application]


async def admit(request: web.Request) -> web.Response:
    """A webhook as the channels write one: form, then token or signature by path; echoes the form."""
    try:
        form = await read_form(request, max_body=LIMIT)
        if request.path == "/guarded":
            check_token(request, "s3cret")
        elif request.path == "/signed":  # behind a proxy whose public URL has a path and a trailing slash
            check_twilio_signature(request, form, "tok", "https://hooks.example/proxy-X/")
        elif request.path == "/local-signed":  # no public URL: the URL as we see it
            check_twilio_signature(request, form, "tok")
    except RequestError as exc:
        return plain_error(exc)
    return web.json_response(form)


async def who(request: web.Request) -> web.Response:
    return web.json_response({"direct": direct_loopback(request), "token": has_token(request, "s3cret"),
                              "header_only": has_token(request, "s3cret", in_query=False)})


@pytest.fixture
def seen() -> list[web.Request]:
    return []


@pytest.fixture
async def client(seen: list[web.Request]) -> AsyncIterator[Client]:
    async def recorded(request: web.Request) -> web.Response:
        seen.append(request)
        return await admit(request)

    app = web.Application()
    for path in ("/form", "/guarded", "/signed", "/local-signed"):
        app.router.add_post(path, recorded)
    app.router.add_get("/who", who)
    async with TestClient(TestServer(app, host="127.0.0.1")) as c:
        yield c


async def exactly(resp: ClientResponse, status: int, text: str) -> None:
    """A refusal as plain_error sends it: the status, the reason and a newline, as UTF-8 text/plain."""
    assert (resp.status, await resp.text()) == (status, text + "\n")
    assert resp.headers["Content-Type"] == "text/plain; charset=utf-8"


# -- body size ---------------------------------------------------------------------


async def test_a_body_of_exactly_the_limit_is_read_and_one_byte_more_is_413(client: Client) -> None:
    at_limit = b"a=" + b"1" * (LIMIT - 2)
    resp = await client.post("/form", data=at_limit, headers=FORM)
    assert resp.status == 200 and await resp.json() == {"a": "1" * (LIMIT - 2)}
    await exactly(await client.post("/form", data=at_limit + b"1", headers=FORM),
                  413, f"request body larger than {LIMIT} bytes")


async def pieces(seen: list[web.Request], first: bytes, rest: bytes) -> AsyncIterator[bytes]:
    """A chunked body in two reads: ``rest`` is sent only once the server has taken ``first``."""
    yield first
    while not seen or seen[0].content.total_bytes < len(first):
        await asyncio.sleep(0)
    for _ in range(10):  # let read_body's readany wake up and take what arrived
        await asyncio.sleep(0)
    yield rest


async def test_a_body_in_pieces_is_joined_and_counted_across_pieces(client: Client, seen: list[web.Request]) -> None:
    first = b"a=1&b="
    rest = b"2" * (LIMIT - len(first))  # together exactly the limit
    resp = await client.post("/form", data=pieces(seen, first, rest), headers=FORM)
    assert resp.status == 200 and await resp.json() == {"a": "1", "b": rest.decode()}

    seen.clear()  # each piece under the limit, together one byte past it
    await exactly(await client.post("/form", data=pieces(seen, first, rest + b"2"), headers=FORM),
                  413, f"request body larger than {LIMIT} bytes")


# -- content type, charset, encoding ----------------------------------------------


@pytest.mark.parametrize("ctype", [
    "application/x-www-form-urlencoded; charset=UTF-8",
    "application/x-www-form-urlencoded; charset=utf8",
    "application/x-www-form-urlencoded; charset=us-ascii",
    "application/x-www-form-urlencoded; charset=ASCII",
])
async def test_utf8_and_ascii_charsets_are_read(client: Client, ctype: str) -> None:
    resp = await client.post("/form", data=b"a=1", headers={"Content-Type": ctype})
    assert resp.status == 200 and await resp.json() == {"a": "1"}


@pytest.mark.parametrize(("ctype", "reason"), [
    ("text/plain", "Content-Type must be application/x-www-form-urlencoded, got 'text/plain'"),
    ("application/x-www-form-urlencoded; charset=latin-1", "charset must be utf-8, got 'latin-1'"),
])
async def test_a_type_or_charset_we_would_guess_about_is_415_with_its_name(
        client: Client, ctype: str, reason: str) -> None:
    await exactly(await client.post("/form", data=b"a=1", headers={"Content-Type": ctype}), 415, reason)


async def test_bad_utf8_is_400_with_its_reason(client: Client) -> None:
    await exactly(await client.post("/form", data=b"a=\xc3", headers=FORM), 400, "request body is not valid UTF-8")


# -- form fields -------------------------------------------------------------------


@pytest.mark.parametrize(("body", "form"), [
    ("a=1&&b=2&", {"a": "1", "b": "2"}),  # empty parts are skipped, not the end
    ("a=b=c", {"a": "b=c"}),  # the first '=' splits
    ("f%C3%A9=1", {"fé": "1"}),  # a name with only '%'
    ("a+b=1", {"a b": "1"}),  # a name with only '+'
    ("a%2Bb+c=1", {"a+b c": "1"}),
    ("k=1+2", {"k": "1 2"}),  # a value with only '+'
    ("k=%2A100%23", {"k": "*100#"}),
    ("k", {"k": ""}),
])
async def test_names_and_values_are_decoded_like_parse_qsl(client: Client, body: str, form: dict[str, str]) -> None:
    resp = await client.post("/form", data=body, headers=FORM)
    assert resp.status == 200 and await resp.json() == form


async def test_a_name_given_twice_after_decoding_is_400(client: Client) -> None:
    await exactly(await client.post("/form", data="a%20b=1&a+b=2", headers=FORM),
                  400, "field 'a b' given more than once")


async def test_64_fields_are_read_and_65_are_400(client: Client) -> None:
    fields = "&".join(f"f{i}=1" for i in range(64))
    resp = await client.post("/form", data=fields, headers=FORM)
    assert resp.status == 200 and len(await resp.json()) == 64
    await exactly(await client.post("/form", data=fields + "&g=1", headers=FORM),
                  400, "too many form fields (at most 64)")


async def test_bad_utf8_after_percent_decoding_is_400(client: Client) -> None:
    await exactly(await client.post("/form", data="a=%C3", headers=FORM),
                  400, "form field is not valid UTF-8 after percent-decoding")


# -- tokens ------------------------------------------------------------------------


@pytest.mark.parametrize(("path", "headers"), [
    ("/guarded", {}),
    ("/guarded?token=", {}),
    ("/guarded?token=s3cre", {}),
    ("/guarded?token=s3cretX", {}),
    ("/guarded", {"Authorization": "Basic s3cret"}),
    ("/guarded?token=s3cret", {"Authorization": "Bearer wrong"}),  # a wrong header is not rescued by the query
])
async def test_a_missing_or_wrong_token_is_401(client: Client, path: str, headers: dict[str, str]) -> None:
    await exactly(await client.post(path, data="a=1", headers={**FORM, **headers}), 401, "missing or wrong token")


async def test_has_token_takes_the_query_only_where_asked(client: Client) -> None:
    async def get(path: str, **headers: str) -> dict[str, bool]:
        resp = await client.get(path, headers=headers)
        assert resp.status == 200
        answer: dict[str, bool] = await resp.json()
        return answer

    assert await get("/who") == {"direct": True, "token": False, "header_only": False}
    assert await get("/who?token=s3cret") == {"direct": True, "token": True, "header_only": False}
    assert await get("/who", Authorization="Bearer s3cret") == {"direct": True, "token": True, "header_only": True}
    assert await get("/who?token=nope") == {"direct": True, "token": False, "header_only": False}


# -- who is local ------------------------------------------------------------------


@pytest.mark.parametrize("header", PROXY_HEADERS)
async def test_a_loopback_caller_relayed_by_a_proxy_is_not_direct(client: Client, header: str) -> None:
    resp = await client.get("/who", headers={header: "203.0.113.7"})
    assert (await resp.json())["direct"] is False


@pytest.mark.parametrize(("host", "loopback"), [
    ("localhost", True), ("127.0.0.1", True), ("127.8.9.10", True), ("::1", True),
    ("", False), ("0.0.0.0", False), ("10.0.0.5", False), ("::", False), ("example.net", False),
])
def test_is_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


# -- Twilio signatures -------------------------------------------------------------

TWILIO_FORM = {"Digits": "1", "CallSid": "CA1"}


def by_hand(url: str) -> str:
    """Twilio's scheme written out: the URL, then each field's name and value in name order."""
    data = url + "CallSid" + "CA1" + "Digits" + "1"
    return base64.b64encode(hmac.new(b"tok", data.encode(), hashlib.sha1).digest()).decode()


async def test_the_signature_is_over_the_public_url_without_its_trailing_slash(client: Client) -> None:
    signed = "xAIy8hs07klE0juFaxn/JzzffuA="  # HMAC-SHA1("tok", "https://hooks.example/proxy-X/signed?x=1CallSidCA1Digits1")
    assert by_hand("https://hooks.example/proxy-X/signed?x=1") == signed
    resp = await client.post("/signed?x=1", data=TWILIO_FORM, headers={"X-Twilio-Signature": signed})
    assert resp.status == 200 and await resp.json() == TWILIO_FORM
    for wrong in (by_hand("https://hooks.example/proxy-X//signed?x=1"), by_hand("https://hooks.example/proxy-/signed?x=1"),
                  signed.lower(), ""):
        await exactly(await client.post("/signed?x=1", data=TWILIO_FORM, headers={"X-Twilio-Signature": wrong}),
                      403, "invalid X-Twilio-Signature")
    await exactly(await client.post("/signed?x=1", data=TWILIO_FORM), 403, "invalid X-Twilio-Signature")


async def test_without_a_public_url_the_signature_is_over_the_url_we_see(client: Client) -> None:
    seen_url = f"http://127.0.0.1:{client.port}/local-signed?x=1"
    resp = await client.post("/local-signed?x=1", data=TWILIO_FORM, headers={"X-Twilio-Signature": by_hand(seen_url)})
    assert resp.status == 200 and await resp.json() == TWILIO_FORM
    await exactly(await client.post("/local-signed?x=1", data=TWILIO_FORM,
                                    headers={"X-Twilio-Signature": by_hand("https://hooks.example/local-signed?x=1")}),
                  403, "invalid X-Twilio-Signature")


# -- plain_error -------------------------------------------------------------------


async def test_plain_error_sends_status_reason_and_utf8_text() -> None:
    async def refuse(request: web.Request) -> web.Response:
        return plain_error(RequestError("余额 field 'b' given more than once", status=422))

    app = web.Application()
    app.router.add_get("/", refuse)
    async with TestClient(TestServer(app, host="127.0.0.1")) as c:
        resp = await c.get("/")
        assert resp.status == 422
        assert resp.headers["Content-Type"] == "text/plain; charset=utf-8"
        assert await resp.read() == "余额 field 'b' given more than once\n".encode()
