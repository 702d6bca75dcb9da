"""Wiring an engine from plain settings (``engine.run.build``), as ``menuflow serve`` does."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from engine.backend.demo import DemoBackend
from engine.backend.http import HttpBackend
from engine.clock import ManualClock
from engine.ports.backend import BackendTimeout, CallContext
from engine.run.build import build_engine, load_registry
from engine.store.limits import MemoryRateLimiter
from engine.store.memory import MemoryStore
from tests.engine.helpers import ZH, Phone

ROOT = Path(__file__).resolve().parents[2]


def test_the_defaults_are_the_demo_flows_on_the_demo_operator(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(ROOT)
    engine = build_engine()
    assert "10086" in engine.registry.current and isinstance(engine.backend, DemoBackend)
    assert engine.call_timeout == 2.0 and isinstance(engine.store, MemoryStore)
    assert set(load_registry().current) == set(engine.registry.current)


def test_one_path_or_several() -> None:
    demo = str(ROOT / "flows" / "10086")
    assert set(load_registry(demo).current) == set(load_registry([demo]).current) == {"10086", "auth"}


async def test_the_clock_reaches_the_demo_operator() -> None:
    clock = ManualClock()  # late May 2026; the system clock is elsewhere
    engine = build_engine(str(ROOT / "flows"), "demo", clock=clock)
    phone = Phone(engine, "sms")
    assert (await phone.send("ZD")).text.startswith("2026-05账单合计")


def test_given_parts_are_used() -> None:
    registry = load_registry(str(ROOT / "flows"))
    store, limits = MemoryStore(), MemoryRateLimiter()
    engine = build_engine(registry, "http://127.0.0.1:9/ops", store, call_timeout=0.4, ttl={"ussd": 30.0},
                          limits=limits)
    assert isinstance(engine.backend, HttpBackend)
    assert engine.registry is registry and engine.store is store and engine.world.limits is limits
    assert engine.call_timeout == 0.4 and engine.ttl["ussd"] == 30.0


async def test_the_deadline_reaches_an_http_backend() -> None:
    """A business system that accepts and never answers: the backend gives up at the configured deadline."""
    async def hang(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()  # until the client goes away

    server = await asyncio.start_server(hang, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        engine = build_engine(str(ROOT / "flows"), f"http://127.0.0.1:{port}", call_timeout=0.3)
        with pytest.raises(BackendTimeout) as err:
            await asyncio.wait_for(engine.backend.call("balance", {}, CallContext(ZH, "sms", "s")), 1.5)
        assert str(err.value) == "balance: no answer in 0.3s"
        await engine.backend.close()  # type: ignore[attr-defined]
    finally:
        server.close()
