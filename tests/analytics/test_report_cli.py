"""`menuflow report` and `menuflow journey` from the command line, over real event stores."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

from app.analytics import inputs
from engine.events.log import EventLog
from engine.events.record import Recorder
from engine.events.sqlite import SqliteEventStore
from tests.analytics.known_events import known_events
from tests.engine.helpers import ZH, Phone, engine_for


def menuflow(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "app.cli", *args], capture_output=True, text=True, timeout=60,
                          check=False, env=env)


def write_known(path: Path) -> str:
    async def write() -> None:
        store = SqliteEventStore(str(path))
        await store.write(known_events())
        await store.close()

    asyncio.run(write())
    return str(path)


def test_json_has_the_figures_other_tools_read(tmp_path: Path) -> None:
    events = write_known(tmp_path / "ev.sqlite")
    others = tmp_path / "others.csv"
    others.write_text("channel,business\nshops,5\nhotline,3\n", encoding="utf-8")
    base = tmp_path / "base.csv"
    base.write_text("region,subscribers\nnorth,6\nsouth,4\n", encoding="utf-8")
    out = menuflow("report", "--events", events, "--since", "2025-06-01T00:00+00:00",
                   "--until", "2025-06-03T00:00+00:00", "--other-channels", str(others),
                   "--subscriber-base", str(base), "--format", "json")
    assert out.returncode == 0, out.stderr
    f = json.loads(out.stdout)
    assert (f["business"], f["queries"], f["customers"], f["agent_cost_saved_yuan"]) == (2, 1, 3, 1.54)
    assert f["business_by_channel"] == {"ussd": 1, "sms": 1}
    assert (f["e_channel_share"], f["penetration"]) == (0.2, 0.3)
    assert f["funnels"]["main"][1] == {"state": "pkg", "entered": 2, "left": 2}


def test_text_summary_and_clear_errors(tmp_path: Path) -> None:
    events = write_known(tmp_path / "ev.sqlite")
    out = menuflow("report", "--events", events, "--since", "2025-06-01", "--until", "2025-06-02",
                   "--agent-cost", "1")
    assert out.returncode == 0, out.stderr
    assert "business 2 (queries 1 counted apart)" in out.stdout and "agent cost saved 2.00 yuan" in out.stdout
    bad = tmp_path / "bad.csv"
    bad.write_text("shops,many\n", encoding="utf-8")
    out = menuflow("report", "--events", events, "--other-channels", str(bad))
    assert out.returncode == 2 and "bad.csv:1: business for 'shops' must be a whole number" in out.stderr
    out = menuflow("report", "--events", str(tmp_path / "missing.sqlite"))
    assert out.returncode == 2 and "missing.sqlite" in out.stderr and "Traceback" not in out.stderr
    out = menuflow("report", "--events", events, "--since", "June")
    assert out.returncode == 2 and "expected a date" in out.stderr


def test_subscriber_base_as_number_or_one_row_per_subscriber(tmp_path: Path) -> None:
    assert inputs.subscriber_base("12_000_000") == 12_000_000
    rows = tmp_path / "subs.csv"
    rows.write_text("msisdn\n8613800138000\n8613900139000\n", encoding="utf-8")
    assert inputs.subscriber_base(str(rows)) == 2


async def test_journey_tells_one_subscriber_across_channels(tmp_path: Path) -> None:
    path = tmp_path / "ev.sqlite"
    store = SqliteEventStore(str(path))
    log = EventLog(store, Recorder(await store.stored_key()))
    engine, clock, _ = engine_for("flows")
    engine.observers.append(log)
    await Phone(engine, "sms").send("YE")
    clock.advance(3600)
    ussd = Phone(engine, "ussd")
    await ussd.dial()
    await ussd.send("2")
    await ussd.send("", event="end")
    clock.advance(60)
    await Phone(engine, "sms", msisdn="8613900139000").send("YE")  # someone else
    await log.close()
    period = ("--since", "2000-01-01", "--until", "2100-01-01")
    out = await asyncio.to_thread(menuflow, "journey", ZH, "--events", str(path), *period)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    headers = [line for line in lines if not line.startswith("  ")]
    assert [h.split()[-1] for h in headers] == ["SMS", "USSD"]
    assert any("balance (query) ok" in line for line in lines)
    assert any("bill (query) ok" in line for line in lines) and any("ended: abort" in line for line in lines)
    missing = await asyncio.to_thread(menuflow, "journey", "8613700137000", "--events", str(path), *period)
    assert missing.returncode == 1 and "no sessions" in missing.stdout
