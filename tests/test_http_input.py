"""The one webhook input/auth layer, over real HTTP on 127.0.0.1: every refusal has its status and reason."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp import ClientResponse, web
from aiohttp.test_utils import TestClient, TestServer

from gateways.http_input import (
    RequestError,
    check_token,
    check_twilio_signature,
    plain_error,
    read_form,
    token_guard,
    twilio_signature,
)

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
Client = TestClient[web.Request, web.Application]


async def echo(request: web.Request) -> web.Response:
    """Admits like a voice webhook: form, token, Twilio signature; echoes the form as JSON."""
    try:
        form = await read_form(request, max_body=1024)
        check_token(request, "s3cret" if "guarded" in request.path else "")
        if "signed" in request.path:
            check_twilio_signature(request, form, "tok", "https://hooks.example")
    except RequestError as exc:
        return plain_error(exc)
    return web.json_response(form)


@pytest.fixture
async def client() -> AsyncIterator[Client]:
    app = web.Application(middlewares=[token_guard("/ussd", "u-tok")])
    for path in ("/form", "/guarded", "/signed", "/ussd/at"):
        app.router.add_post(path, echo)
    async with TestClient(TestServer(app, host="127.0.0.1")) as c:
        yield c


async def refused(resp: ClientResponse, status: int, reason: str) -> None:
    assert resp.status == status
    assert reason in await resp.text()


async def test_a_plain_form_is_read(client: Client) -> None:
    resp = await client.post("/form", data="a=1&b=%E4%BD%99%E9%A2%9D&c=", headers=FORM)
    assert resp.status == 200 and await resp.json() == {"a": "1", "b": "余额", "c": ""}
    resp = await client.post("/form", data=b"a=1", skip_auto_headers=["Content-Type"])  # none: still a form
    assert await resp.json() == {"a": "1"}


async def test_body_past_the_limit_is_413_with_or_without_a_length(client: Client) -> None:
    await refused(await client.post("/form", data=b"a=" + b"1" * 2000, headers=FORM), 413, "larger than 1024")

    async def chunks() -> AsyncIterator[bytes]:  # chunked: no Content-Length to check up front
        for _ in range(4):
            yield b"1" * 400

    await refused(await client.post("/form", data=chunks(), headers=FORM), 413, "larger than 1024")


@pytest.mark.parametrize(("headers", "reason"), [
    ({"Content-Type": "application/json"}, "Content-Type must be application/x-www-form-urlencoded"),
    ({"Content-Type": "application/x-www-form-urlencoded; charset=gbk"}, "charset must be utf-8"),
])
async def test_a_body_we_would_guess_about_is_415(client: Client, headers: dict[str, str], reason: str) -> None:
    await refused(await client.post("/form", data=b"a=1", headers=headers), 415, reason)


@pytest.mark.parametrize(("body", "reason"), [
    (b"a=\xff\xfe", "request body is not valid UTF-8"),
    (b"a=%FF", "not valid UTF-8 after percent-decoding"),
    (b"a=1&b=2&a=3", "field 'a' given more than once"),
    (b"&".join(b"f%d=1" % i for i in range(65)), "too many form fields (at most 64)"),
])
async def test_a_malformed_form_is_400(client: Client, body: bytes, reason: str) -> None:
    await refused(await client.post("/form", data=body, headers=FORM), 400, reason)


async def test_token_as_bearer_or_query(client: Client) -> None:
    await refused(await client.post("/guarded", data="a=1", headers=FORM), 401, "missing or wrong token")
    await refused(await client.post("/guarded?token=nope", data="a=1", headers=FORM), 401, "wrong token")
    bad_bearer = {**FORM, "Authorization": "Bearer nope"}
    await refused(await client.post("/guarded?token=s3cret", data="a=1", headers=bad_bearer), 401, "token")
    assert (await client.post("/guarded?token=s3cret", data="a=1", headers=FORM)).status == 200
    bearer = {**FORM, "Authorization": "Bearer s3cret"}
    assert (await client.post("/guarded", data="a=1", headers=bearer)).status == 200


async def test_token_guard_covers_only_its_prefix(client: Client) -> None:
    await refused(await client.post("/ussd/at", data="a=1", headers=FORM), 401, "missing or wrong token")
    assert (await client.post("/ussd/at?token=u-tok", data="a=1", headers=FORM)).status == 200
    assert (await client.post("/form", data="a=1", headers=FORM)).status == 200


async def test_twilio_signature_over_the_public_url(client: Client) -> None:
    form = {"CallSid": "CA1", "Digits": "1"}
    good = twilio_signature("tok", "https://hooks.example/signed?x=1", form)
    resp = await client.post("/signed?x=1", data=form, headers={"X-Twilio-Signature": good})
    assert resp.status == 200 and await resp.json() == form
    await refused(await client.post("/signed?x=2", data=form, headers={"X-Twilio-Signature": good}),
                  403, "invalid X-Twilio-Signature")
    await refused(await client.post("/signed?x=1", data={**form, "Digits": "2"},
                                    headers={"X-Twilio-Signature": good}), 403, "invalid X-Twilio-Signature")
    await refused(await client.post("/signed?x=1", data=form), 403, "invalid X-Twilio-Signature")


def test_twilio_signature_matches_the_documented_example() -> None:
    params = {"CallSid": "CA1234567890ABCDE", "Caller": "+12349013030", "Digits": "1234",
              "From": "+12349013030", "To": "+18005551212"}
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    assert twilio_signature("12345", url, params) == "0/KCTR6DLpKmkAf8muzZqo1nDgQ="


def test_plain_error_is_the_reason_as_text() -> None:
    resp = plain_error(RequestError("field 'a' given more than once"))
    assert (resp.status, resp.content_type, resp.text) == (400, "text/plain", "field 'a' given more than once\n")
