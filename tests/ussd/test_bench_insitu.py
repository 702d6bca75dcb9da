"""bench.insitu times serve's parts from inside: only their own running time, observers apart from the engine."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench import insitu
from engine.ports.events import EngineEvent
from engine.run.build import build_engine
from engine.run.context import TurnContext
from engine.run.engine import Engine
from engine.store.loader import open_store
from engine.types import Inbound

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def fresh() -> Iterator[None]:
    insitu.reset()
    yield
    insitu.reset()


def spin(seconds: float) -> None:
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


async def test_a_part_is_charged_its_running_time_not_its_waits() -> None:
    async def part(x: int) -> int:
        spin(0.002)
        await asyncio.sleep(0.05)  # another request would run here: not this part's time
        spin(0.002)
        return x + 1

    assert await insitu.timed_async(part, "parse")(1) == 2
    (ns,) = insitu.spent["parse"]
    assert 0.004 <= ns / 1e9 < 0.03


async def test_a_failing_or_cancelled_part_behaves_as_without_the_stopwatch() -> None:
    async def fails() -> None:
        await asyncio.sleep(0)
        raise KeyError("x")

    with pytest.raises(KeyError):
        await insitu.timed_async(fails, "gateway")()

    started = asyncio.Event()

    async def waits() -> None:
        started.set()
        await asyncio.sleep(10)

    task = asyncio.ensure_future(insitu.timed_async(waits, "gateway")())
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_the_engines_turn_excludes_its_observers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Engine, "handle", insitu.timed_async(Engine.handle, "engine"))
    monkeypatch.setattr(TurnContext, "emit", insitu.timed_emit(TurnContext.emit))
    engine = build_engine(str(ROOT / "bench" / "flows"), "demo", store=open_store(None))

    def slow(event: EngineEvent) -> None:
        spin(0.02)

    engine.observers.append(slow)
    try:
        await engine.handle(Inbound("ussd", "8613800138000", event="begin", session_key="s1", service_code="*199#"))
    finally:
        await engine.backend.close()
    (turn,), (observed,) = insitu.spent["engine"], insitu.spent["observers"]
    assert observed >= 0.02e9  # at least one event, each spun 20 ms in the observer
    assert turn < 0.02e9  # the engine's own work (tens of µs), without the observer's spinning


def test_report_writes_per_turn_figures_without_the_slowest_percent(tmp_path: Path) -> None:
    insitu.spent["engine"].extend([10_000] * 99 + [10_000_000])  # one turn pre-empted for 10 ms
    insitu.spent["observers"].extend([2_000] * 100)
    insitu.spent["parse"].extend([30_000] * 100)
    path = tmp_path / "parts.json"
    figures = insitu.report(str(path))
    assert json.loads(path.read_text()) == figures
    assert figures["turns"] == 100
    assert figures["engine_us"] == 10.0 and figures["engine_median_us"] == 10.0
    assert figures["observers_us"] == 2.0 and figures["parse_us"] == 30.0 and figures["gateway_us"] == 0.0


def test_per_turn_scales_a_part_called_several_times_a_turn() -> None:
    assert insitu.per_turn([1_000] * 200, 100) == 2.0  # two emits a turn, 1 µs each
    assert insitu.per_turn([], 100) == 0.0 and insitu.per_turn([1_000], 0) == 0.0
