"""HttpBackend against real loopback servers that misbehave on purpose."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import Any

import pytest
from aiohttp import web

from engine.backend.catalogue import OPERATIONS
from engine.backend.demo import DemoBackend
from engine.backend.http import HttpBackend, parse_operations
from engine.clock import ManualClock
from engine.ports.backend import BackendTimeout, BackendUnavailable, BusinessError, CallContext
from simulator.backend_server import serve_backend

CTX = CallContext(msisdn="8613800138000", channel="ivr", session_id="call-7", locale="en")
Reply = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class Recorder:
    """A scripted operator: answers with ``replies`` in turn (the last one repeats)."""

    replies: list[Reply]
    bodies: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.bodies.append(await request.json())
        self.headers.append(dict(request.headers))
        self.paths.append(request.path)
        return await self.replies[min(len(self.bodies), len(self.replies)) - 1](request)


def answer(status: int = 200, body: Any = None, text: str | None = None) -> Reply:
    async def reply(_: web.Request) -> web.StreamResponse:
        if text is not None:
            return web.Response(status=status, text=text)
        return web.json_response(body if body is not None else {"ok": True}, status=status)

    return reply


def slow(seconds: float) -> Reply:
    async def reply(_: web.Request) -> web.StreamResponse:
        await asyncio.sleep(seconds)
        return web.json_response({"late": True})

    return reply


@pytest.fixture
async def scripted() -> AsyncIterator[Callable[..., Awaitable[tuple[Recorder, HttpBackend]]]]:
    runners: list[web.AppRunner] = []
    backends: list[HttpBackend] = []

    async def start(*replies: Reply, timeout: float = 2.0, **kwargs: Any) -> tuple[Recorder, HttpBackend]:
        recorder = Recorder(list(replies))
        app = web.Application()
        app.router.add_post("/api/{operation}", recorder.handle)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        runners.append(runner)
        host, port = runner.addresses[0][:2]
        backend = HttpBackend(f"http://{host}:{port}/api/", OPERATIONS.values(), timeout=timeout, **kwargs)
        backends.append(backend)
        return recorder, backend

    yield start
    for backend in backends:
        await backend.close()
    for runner in runners:
        await runner.cleanup()


async def test_wire_format(scripted: Any) -> None:
    rec, backend = await scripted(answer(body={"balance": "50.00", "currency": "CNY"}), token="s3cret")
    assert await backend.call("balance", {}, CTX) == {"balance": "50.00", "currency": "CNY"}
    await backend.call("topup", {"amount": "20"}, CTX)
    await backend.call("topup", {"amount": "20", "idempotency_key": "confirm-3"}, CTX)
    assert rec.paths == ["/api/balance", "/api/topup", "/api/topup"]
    assert rec.bodies[0] == {
        "msisdn": "8613800138000",
        "channel": "ivr",
        "session_id": "call-7",
        "locale": "en",
        "auth": "none",
        "params": {},
        "idempotency_key": None,
    }
    derived = rec.bodies[1]["idempotency_key"]
    assert isinstance(derived, str) and len(derived) == 32
    assert rec.bodies[2]["idempotency_key"] == "confirm-3"
    assert rec.headers[0]["Authorization"] == "Bearer s3cret"
    assert rec.headers[0]["Content-Type"] == "application/json"


async def test_business_error_carries_code_and_details(scripted: Any) -> None:
    error = {"code": "INSUFFICIENT_BALANCE", "message": "too poor", "details": {"balance": "0.80"}}
    _, backend = await scripted(answer(422, {"error": error}))
    with pytest.raises(BusinessError) as info:
        await backend.call("subscribe", {"code": "VIDEO15"}, CTX)
    got = (info.value.code, str(info.value), info.value.details)
    assert got == ("INSUFFICIENT_BALANCE", "too poor", error["details"])


async def test_the_timeout_is_the_whole_deadline_so_a_timeout_is_not_retried(scripted: Any) -> None:
    """A retry after a timeout would double the deadline the operator configured (issue 12, hole 5)."""
    rec, backend = await scripted(slow(0.5), timeout=0.1)
    with pytest.raises(BackendTimeout):
        await backend.call("balance", {}, CTX)
    assert len(rec.bodies) == 1
    with pytest.raises(BackendTimeout):
        await backend.call("topup", {"amount": "20"}, CTX)
    assert len(rec.bodies) == 2


async def test_a_quick_failure_is_retried_within_the_deadline(scripted: Any) -> None:
    rec, backend = await scripted(answer(503, text="busy"), answer(body={"balance": "50.00"}), timeout=1.0)
    assert await backend.call("balance", {}, CTX) == {"balance": "50.00"}
    assert len(rec.bodies) == 2


@pytest.mark.parametrize(
    ("reply", "code"),
    [
        (answer(500, text="Internal Server Error"), "HTTP_500"),
        (answer(200, text="<html>not json</html>"), "BAD_RESPONSE"),
        (answer(200, body=["a", "list"]), "BAD_RESPONSE"),
        (answer(400, text="bad"), "HTTP_400"),
        (answer(404, {"error": {"code": "UNKNOWN_OPERATION"}}), "HTTP_404"),
    ],
)
async def test_broken_answers_are_unavailable(scripted: Any, reply: Reply, code: str) -> None:
    rec, backend = await scripted(reply)
    with pytest.raises(BackendUnavailable) as info:
        await backend.call("balance", {}, CTX)
    assert info.value.code == code
    assert len(rec.bodies) == 2, "idempotent: one retry"
    with pytest.raises(BackendUnavailable):
        await backend.call("redeem_points", {"item": "DATA100"}, CTX)
    assert len(rec.bodies) == 3, "not idempotent: no retry"


async def test_gateway_timeout_status_is_a_timeout(scripted: Any) -> None:
    _, backend = await scripted(answer(504, {"error": {"code": "TIMEOUT"}}))
    with pytest.raises(BackendTimeout):
        await backend.call("balance", {}, CTX)


async def test_retry_recovers(scripted: Any) -> None:
    rec, backend = await scripted(answer(503, text="busy"), answer(body={"points": 3}))
    assert await backend.call("points", {}, CTX) == {"points": 3}
    assert len(rec.bodies) == 2


async def test_no_retries_when_disabled(scripted: Any) -> None:
    rec, backend = await scripted(answer(503, text="busy"), retries=0)
    with pytest.raises(BackendUnavailable):
        await backend.call("points", {}, CTX)
    assert len(rec.bodies) == 1


async def test_connection_refused_is_unavailable() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    backend = HttpBackend(f"http://127.0.0.1:{port}", OPERATIONS.values(), timeout=1.0)
    try:
        with pytest.raises(BackendUnavailable) as info:
            await backend.call("balance", {}, CTX)
        assert info.value.code == "CONNECTION"
    finally:
        await backend.close()


async def test_undeclared_operation_never_reaches_the_wire(scripted: Any) -> None:
    rec, backend = await scripted(answer())
    with pytest.raises(BackendUnavailable) as info:
        await backend.call("launch_rocket", {}, CTX)
    assert info.value.code == "UNKNOWN_OPERATION" and rec.bodies == []


async def test_session_reopens_after_close(scripted: Any) -> None:
    _, backend = await scripted(answer(body={"points": 1}))
    await backend.call("points", {}, CTX)
    await backend.close()
    assert await backend.call("points", {}, CTX) == {"points": 1}


async def test_secrets_never_logged(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    demo = DemoBackend(clock=ManualClock())
    async with serve_backend(demo) as url:
        backend = HttpBackend(url, OPERATIONS.values())
        ctx = CallContext("8613800138000", "ussd", "s-9")
        await backend.call("verify_password", {"password": "123456"}, ctx)
        with pytest.raises(BusinessError):
            await backend.call("verify_password", {"password": "918273"}, ctx)
        await backend.call("change_password", {"new_password": "802413"}, replace(ctx, auth="password"))
        code = (await backend.call("request_reset_code", {}, ctx))["code"]
        await backend.call("verify_reset_code", {"code": code}, ctx)
        await backend.call("reset_password", {"new_password": "735194"}, ctx)
        await backend.close()
    await demo.close()
    assert "backend verify_password attempt 1: ok" in caplog.text
    for secret in ("123456", "918273", "802413", code, "735194"):
        assert secret not in caplog.text


def test_operations_from_config() -> None:
    config: dict[str, dict[str, Any]] = {
        "balance": {},
        "topup": {"params": ["amount"], "paid": True, "idempotent": False},
        "pin": {"secret_params": ["pin"]},
    }
    ops = parse_operations(config)
    assert ops["balance"].idempotent and not ops["balance"].paid
    assert ops["topup"].params == ("amount",) and ops["topup"].paid and not ops["topup"].idempotent
    assert ops["pin"].secret_params == ("pin",)
    with pytest.raises(ValueError, match=r"operations.topup: unknown key 'cost'"):
        parse_operations({"topup": {"cost": 1}})
    with pytest.raises(ValueError, match=r"operations.topup.params: expected a list of names, got 'amount'"):
        parse_operations({"topup": {"params": "amount"}})
    with pytest.raises(ValueError, match=r"operations.topup.paid: expected true or false, got 'yes'"):
        parse_operations({"topup": {"paid": "yes"}})
    assert json.dumps(sorted(parse_operations(OPERATIONS.values()))) == json.dumps(sorted(OPERATIONS))
