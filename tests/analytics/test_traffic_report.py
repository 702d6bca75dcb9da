"""End to end: synthetic subscribers through the real engine, the event log, and the report over it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import msgpack

from app.analytics.figures import Inputs, Period, compute
from engine.events.sqlite import SqliteEventStore
from simulator.traffic import generate

START = 1_780_000_000.0


async def test_report_over_generated_traffic(tmp_path: Path) -> None:
    path = str(tmp_path / "ev.sqlite")
    walked = await generate(path, days=2, subscribers=40, per_day=60, seed=7, start=START)
    store = SqliteEventStore(path)
    records = await store.read(START, START + 3 * 86_400)
    await store.close()
    f = compute(records, Period(START, START + 3 * 86_400), Inputs(other_channels={"shops": 100}))
    assert f["sessions"]["started"] == walked
    assert set(f["business_by_channel"]) == {"sms", "ussd", "ivr"} and f["queries"] > f["business"] > 0
    assert f["business_by_category"].keys() <= {"package", "payment"}
    assert all(f["sessions"]["outcomes"][k] > 0 for k in ("completed", "abandoned", "timed_out", "transferred"))
    assert 0 < f["e_channel_share"] < 1 and 0 < f["active_customers"] <= f["customers"] <= 40
    assert any(step["left"] for step in f["funnels"]["10086"])
    assert f["operations"]["verify_password"]["refused"] > 0  # the wrong passwords some typed
    stored = repr([msgpack.unpackb(b) for (b,) in sqlite3.connect(path).execute("SELECT records FROM segments")])
    assert "86135" not in stored and "123456" not in stored and "111111" not in stored
