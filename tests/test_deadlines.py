"""Issue 12, hole 5: --backend-timeout is the whole deadline, and a hung backend never delays a static menu."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from engine.backend.demo import DemoBackend
from engine.clock import ManualClock
from engine.ports.backend import BackendTimeout, CallContext
from engine.run.build import build_engine
from engine.types import Inbound
from gateways.http_app import start_http

CTX = CallContext("8613800138000", "ussd", "s-1")


@pytest.fixture
async def hung() -> AsyncIterator[tuple[str, list[float]]]:
    """A backend that accepts every request and never answers (records when each attempt came)."""
    seen: list[float] = []
    release = asyncio.Event()

    async def hang(request: web.Request) -> web.Response:
        seen.append(time.monotonic())
        await release.wait()
        return web.json_response({})

    app = web.Application()
    app.router.add_post("/{op}", hang)
    runner, port = await start_http(app, "127.0.0.1", 0)
    try:
        yield f"http://127.0.0.1:{port}", seen
    finally:
        release.set()
        await runner.cleanup()


async def test_backend_timeout_is_the_whole_deadline_retries_included(hung: tuple[str, list[float]]) -> None:
    """The timeout error was retried, so 2 s became 4 s; and --backend-timeout did not reach the HTTP backend."""
    url, seen = hung
    engine = build_engine("flows", url, call_timeout=0.4)
    started = time.monotonic()
    with pytest.raises(BackendTimeout):
        await engine.backend.call("balance", {}, CTX)  # idempotent: one retry allowed, within the same 0.4 s
    elapsed = time.monotonic() - started
    assert 0.35 < elapsed < 0.6 and len(seen) == 1
    await engine.backend.close()


async def test_a_hung_backend_never_delays_the_static_welcome_menu(hung: tuple[str, list[float]]) -> None:
    """The profile (language) look-up had no deadline and ran under the session lock."""
    url, _ = hung
    engine = build_engine("flows", url, call_timeout=2.0)
    for i in range(3):
        started = time.monotonic()
        reply = (await engine.handle(Inbound("ussd", "8613800138000", "", "begin", f"s{i}", "*100#")))[0]
        assert reply.text.startswith("欢迎使用10086自助服务") and reply.wait is not None
        assert time.monotonic() - started < 0.3
    await engine.backend.close()


async def test_the_profile_language_still_applies_when_the_backend_answers() -> None:
    engine = build_engine("flows", DemoBackend(clock=ManualClock()))
    reply = (await engine.handle(Inbound("ussd", "8613900139000", "", "begin", "e1", "*100#")))[0]
    assert reply.text.startswith("Welcome to 10086")
