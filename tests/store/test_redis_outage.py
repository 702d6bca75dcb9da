"""Redis away or silent: the subscriber hears "busy" at once, the log gets one line, nothing hangs."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from app.metrics import EngineMetrics
from engine.ports.sessions import StoreUnavailable
from engine.run.build import build_engine
from engine.store.redis import RedisStore
from engine.types import Inbound
from tests.net import free_port

FLOWS = str(Path(__file__).resolve().parents[2] / "bench" / "flows")
BUSY = "系统繁忙"


def dial() -> Inbound:
    return Inbound("ussd", "8613800138000", "", "begin", session_key="out1", service_code="*199#")


@pytest.fixture
async def silent_port() -> AsyncIterator[int]:
    """A TCP server that accepts and reads but never answers: a hung Redis."""

    async def swallow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while await reader.read(4096):
            pass
        writer.close()

    server = await asyncio.start_server(swallow, "127.0.0.1", 0)
    yield server.sockets[0].getsockname()[1]
    server.close()


async def test_refused_connection_is_busy_one_warning_and_a_metric(caplog: pytest.LogCaptureFixture) -> None:
    store = RedisStore(f"redis://127.0.0.1:{free_port()}/0")
    engine = build_engine(flows=FLOWS, backend="demo", store=store)
    registry = CollectorRegistry()
    engine.observers.append(EngineMetrics(registry))
    try:
        with caplog.at_level(logging.WARNING, logger="menuflow.engine"):
            reply = (await engine.handle(dial()))[0]
        assert reply.text.startswith(BUSY)
        [record] = [r for r in caplog.records if r.name == "menuflow.engine"]
        assert record.levelno == logging.WARNING and "StoreUnavailable" in record.getMessage()
        assert record.exc_info is None  # an outage is not a bug: no traceback per subscriber
        failed = registry.get_sample_value("menuflow_inputs_failed_total", {"channel": "ussd", "reason": "store"})
        assert failed == 1.0
    finally:
        await store.close()


async def test_a_silent_redis_times_out_instead_of_hanging(silent_port: int) -> None:
    store = RedisStore(f"redis://127.0.0.1:{silent_port}/0?socket_timeout=0.3")
    engine = build_engine(flows=FLOWS, backend="demo", store=store)
    try:
        began = time.monotonic()
        reply = (await asyncio.wait_for(engine.handle(dial()), 5))[0]
        assert reply.text.startswith(BUSY)
        assert time.monotonic() - began < 2
        with pytest.raises(StoreUnavailable, match="Timeout"):
            await store.get("ussd:out1")
    finally:
        await store.close()
