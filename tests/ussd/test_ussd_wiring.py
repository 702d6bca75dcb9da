"""The serve hooks: flags → options, the shared app's /healthz, /metrics and error middleware."""

from __future__ import annotations

import argparse
import re

import aiohttp
import pytest
from aiohttp import web

from gateways.http_app import add_http_arguments, create_http_app, start_http
from gateways.ussd import UssdOptions, add_ussd_arguments, add_ussd_routes, ussd_options_from_args

from .helpers import MenuHandler, live


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="menuflow serve")
    add_ussd_arguments(p)
    add_http_arguments(p)  # a second channel registering the shared flags is harmless
    return p


def test_defaults() -> None:
    args = parser().parse_args([])
    assert args.http_max_body == 64 * 1024
    assert ussd_options_from_args(args) == UssdOptions()
    assert UssdOptions().budget == 3.0
    assert UssdOptions().session_timeout == 180.0


def test_flags_map_to_options() -> None:
    args = parser().parse_args(
        ["--ussd-http", "0.0.0.0:8080", "--ussd-budget", "1.5", "--ussd-session-timeout", "120",
         "--ussd-dialects", "at", "--ussd-country-code", "+254", "--ussd-locale", "en",
         "--http-max-body", "8192"]
    )
    opts = ussd_options_from_args(args)
    assert opts == UssdOptions(("0.0.0.0", 8080), 1.5, 120.0, ("at",), "254", "en")
    assert args.http_max_body == 8192


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--ussd-budget", "0"], "--ussd-budget must be > 0 seconds, got 0.0"),
        (["--ussd-session-timeout", "-1"], "--ussd-session-timeout must be > 0 seconds"),
        (["--ussd-dialects", "at,smoke"], "--ussd-dialects: unknown ['smoke']; known: at, json"),
        (["--ussd-dialects", ","], "--ussd-dialects: unknown (none given); known: at, json"),
        (["--ussd-country-code", "86x"], "--ussd-country-code must be 1-3 digits"),
    ],
)
def test_bad_values_name_the_setting(argv: list[str], message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        ussd_options_from_args(parser().parse_args(argv))


def test_tiny_body_limit_is_refused() -> None:
    with pytest.raises(ValueError, match="--http-max-body must be at least 1024 bytes, got 10"):
        create_http_app(max_body=10)


async def test_healthz_and_metrics() -> None:
    async with live() as s:
        assert await (await s.client.get("/healthz")).text() == "ok"
        await s.at_text("S", "")
        await s.client.post("/ussd/at", data={"sessionId": "S"})
        text = await (await s.client.get("/metrics")).text()
        for line in (
            'menuflow_ussd_requests_total{dialect="at"} 2.0',
            'menuflow_ussd_sessions_begun_total{dialect="at"} 1.0',
            'menuflow_ussd_rejected_total{dialect="at"} 1.0',
            "# TYPE menuflow_ussd_deadline_fallbacks_total counter",
        ):
            assert line in text


async def test_unexpected_error_is_a_plain_500_without_traceback() -> None:
    app = create_http_app()

    async def boom(request: web.Request) -> web.Response:
        raise KeyError("secret-value")

    app.router.add_get("/boom", boom)
    runner, port = await start_http(app, "127.0.0.1", 0)
    try:
        async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{port}/boom") as resp:
            assert resp.status == 500
            assert await resp.text() == "internal error"
    finally:
        await runner.cleanup()


async def test_start_http_serves_ussd_on_a_real_listener() -> None:
    app = create_http_app()

    async def push(reply: object) -> None:
        raise AssertionError("no push expected")

    add_ussd_routes(app, MenuHandler(), push, UssdOptions(dialects=("at",)))
    runner, port = await start_http(app, "127.0.0.1", 0)
    try:
        async with aiohttp.ClientSession() as http:
            form = {"sessionId": "R", "serviceCode": "*100#", "phoneNumber": "8613800138000", "text": ""}
            async with http.post(f"http://127.0.0.1:{port}/ussd/at", data=form) as resp:
                assert (await resp.text()).startswith("CON ")
            async with http.post(f"http://127.0.0.1:{port}/ussd", json={}) as resp:
                assert resp.status == 404
    finally:
        await runner.cleanup()
