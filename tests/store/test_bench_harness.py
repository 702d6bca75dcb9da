"""The bench harness: one JSON object, targets turned into marks, failures reported."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from bench.common import Figures, checks, table

ROOT = Path(__file__).resolve().parents[2]


def test_checks_and_table_mark_targets_and_failures() -> None:
    modules: dict[str, Figures] = {
        "engine": {"ratio": 0.7, "bytes": 3000, "targets": {"ratio": [">=", 0.5], "bytes": ["<=", 2048]}},
        "ivr": {"error": "ModuleNotFoundError: No module named 'bench.ivr'"},
    }
    rows = checks(modules)
    assert [(r["figure"], r["ok"]) for r in rows] == [("ratio", True), ("bytes", False)]
    text = table({"cores": 2, "implementation": "CPython", "python": "3.11", "platform": "linux"}, modules)
    assert "target >= 0.5" in text and "PASS" in text and "FAIL" in text
    assert "ModuleNotFoundError" in text


def test_engine_bench_prints_one_json_object() -> None:
    cmd = [sys.executable, "-m", "bench", "--json", "--only", "engine", "--seconds", "0.1", "--redis", "none"]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=60, check=True)
    report = json.loads(done.stdout)
    engine = report["modules"]["engine"]
    assert "error" not in engine, engine
    assert report["machine"]["cores"] >= 1
    assert engine["raw_trigger_per_s"] > 0 and engine["engine_step_per_s"] > 0
    # 16 transitions over the 12 inputs of the walk: the leaf is a message that returns to the main menu.
    assert engine["triggers_per_step"] == 16 / 12 and engine["engine_floor_per_s"] > 0
    assert report["engine_floor_ratio"] == engine["engine_floor_ratio"]
    assert 0 < engine["session_bytes"] < 4096
    # the event log: one record per state entered (16 over 12 inputs), none dropped
    assert engine["events_per_step"] == 16 / 12 and engine["events_dropped"] == 0
    assert report["event_log_step_cost"] == engine["event_log_step_cost"] < 1
    assert {r["figure"] for r in report["checks"]} == {"session_create_per_s", "session_bytes"}
    assert report["engine_step_ratio"] == engine["engine_step_ratio"]  # printed, no longer a target


def test_the_report_derives_what_durability_costs_an_sms_round_trip() -> None:
    from bench.__main__ import summary

    modules: dict[str, Figures] = {
        "sms": {"sms_ratio": 0.35, "sms_serve_us_per_mo": 230.0},
        "sms_redis": {"sms_ratio": 0.17, "sms_serve_us_per_mo": 420.0, "sms_redis_server_us_per_mo": 85.0},
    }
    report = summary(modules)
    assert report["sms_redis_serve_us_per_mo"] == 420.0 and report["sms_redis_server_us_per_mo"] == 85.0
    assert report["sms_durability_us_per_mo"] == 275.0  # 420 + 85 - 230
    del modules["sms_redis"]["sms_redis_server_us_per_mo"]  # a run without Redis: nothing derived
    assert "sms_durability_us_per_mo" not in summary(modules)
