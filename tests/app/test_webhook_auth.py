"""Webhooks beyond loopback need a token; loopback-only listeners do not."""

from __future__ import annotations

import aiohttp
import pytest

from app.cli import parser
from app.serve import Server
from gateways.http_input import is_loopback

FORM = {"sessionId": "s1", "serviceCode": "*100#", "phoneNumber": "+8613800138000", "networkCode": "1", "text": ""}


@pytest.mark.parametrize("flag", ["--ussd-http", "--ivr-http"])
async def test_refuses_to_expose_webhooks_without_a_token(flag: str, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("MENUFLOW_USSD_WEBHOOK_TOKEN", "MENUFLOW_IVR_WEBHOOK_TOKEN", "MENUFLOW_TWILIO_AUTH_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    server = Server(parser().parse_args(["serve", flag, "0.0.0.0:0"]))
    with pytest.raises(ValueError, match="reachable beyond loopback"):
        await server.start()
    await server.stop()


async def test_twilio_signature_alone_does_not_expose_voicexml(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("MENUFLOW_IVR_WEBHOOK_TOKEN", "MENUFLOW_VXML_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MENUFLOW_TWILIO_AUTH_TOKEN", "tok")
    server = Server(parser().parse_args(["serve", "--ivr-http", "0.0.0.0:0"]))
    with pytest.raises(ValueError, match="MENUFLOW_VXML_TOKEN"):
        await server.start()
    await server.stop()


async def test_vxml_token_guards_voicexml_when_exposed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MENUFLOW_IVR_WEBHOOK_TOKEN", raising=False)
    monkeypatch.setenv("MENUFLOW_TWILIO_AUTH_TOKEN", "tok")
    monkeypatch.setenv("MENUFLOW_VXML_TOKEN", "vx")
    server = Server(parser().parse_args(["serve", "--ivr-http", "0.0.0.0:0"]))
    run = await server.start()
    port = run.addresses["ivr"].rsplit(":", 1)[1]
    try:
        async with aiohttp.ClientSession() as http:
            async with http.get(f"http://127.0.0.1:{port}/ivr/vxml") as resp:
                assert resp.status == 401
            async with http.get(f"http://127.0.0.1:{port}/ivr/vxml?token=vx") as resp:
                assert resp.status == 200
    finally:
        await server.stop()


async def test_token_guards_ussd_when_exposed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MENUFLOW_USSD_WEBHOOK_TOKEN", "t0ken")
    server = Server(parser().parse_args(["serve", "--ussd-http", "0.0.0.0:0"]))
    run = await server.start()
    port = run.addresses["ussd"].rsplit(":", 1)[1]
    try:
        async with aiohttp.ClientSession() as http:
            async with http.post(f"http://127.0.0.1:{port}/ussd/at", data=FORM) as resp:
                assert resp.status == 401
            async with http.post(f"http://127.0.0.1:{port}/ussd/at?token=t0ken", data=FORM) as resp:
                assert resp.status == 200 and (await resp.text()).startswith("CON ")
            headers = {"Authorization": "Bearer t0ken"}
            async with http.post(f"http://127.0.0.1:{port}/ussd/at", data=FORM, headers=headers) as resp:
                assert resp.status == 200
            async with http.get(f"http://127.0.0.1:{port}/healthz") as resp:
                assert resp.status == 200  # only the webhooks are guarded
    finally:
        await server.stop()


async def test_explicit_trust_allows_exposure(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MENUFLOW_USSD_WEBHOOK_TOKEN", raising=False)
    server = Server(parser().parse_args(["serve", "--ussd-http", "0.0.0.0:0", "--allow-unauthenticated"]))
    await server.start()
    await server.stop()


def test_loopback_names() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("10.0.0.5") and not is_loopback("example.net")
