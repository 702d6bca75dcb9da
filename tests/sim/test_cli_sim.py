"""`menuflow sim` from the command line: line mode when piped, the phone (with --record) otherwise."""

from __future__ import annotations

import argparse
import asyncio
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from app.cli import parser
from engine.events.sqlite import SqliteEventStore
from engine.flow.registry import FlowRegistry
from simulator.phone.run import run_phone


def sim(*args: str, stdin: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "app.cli", "sim", *args], input=stdin,
                          capture_output=True, text=True, timeout=30, check=False)


def test_piped_stdin_keeps_line_mode() -> None:
    out = sim("--channel", "sms", "--from", "8613800138000", stdin="YE\n")
    assert out.returncode == 0
    assert out.stdout.splitlines()[:2] == ["> YE", "尊敬的客户，您的账户余额为50.00元。"]
    ussd = sim("--channel", "ussd", stdin="1\n")
    assert ussd.stdout.startswith("欢迎使用10086自助服务") and "50.00" in ussd.stdout


def test_events_are_written_when_asked(tmp_path: Path) -> None:
    path = tmp_path / "ev.sqlite"
    out = sim("--channel", "sms", "--events", str(path), stdin="YE\n")
    assert out.returncode == 0, out.stderr
    records = asyncio.run(SqliteEventStore(str(path)).read(0, 1e12))
    calls = [r.data for r in records if r.kind == "call"]
    assert {"op": "balance", "category": "query", "business": False} in [
        {k: c[k] for k in ("op", "category", "business")} for c in calls]
    assert {"session", "state", "call"} <= {r.kind for r in records}


def test_phone_only_options_are_refused_in_line_mode() -> None:
    out = sim("--record", "x.yaml", stdin="YE\n")
    assert out.returncode == 2 and "need the full-screen phone" in out.stderr


async def test_run_phone_records_and_reports(registry: FlowRegistry, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    args = parser().parse_args(["sim", "--channel", "ussd", "--lang", "en", "--record", str(tmp_path / "r.yaml")])
    assert isinstance(args, argparse.Namespace)
    with create_pipe_input() as pipe:
        task = asyncio.create_task(run_phone(args, registry, input=pipe, output=DummyOutput()))
        pipe.send_text("\r1\r/quit\r")  # actions run in key order; quitting waits for those in flight
        assert await asyncio.wait_for(task, 10) == 0
    assert f"recorded {tmp_path / 'r.yaml'}" in capsys.readouterr().out
    doc = yaml.safe_load((tmp_path / "r.yaml").read_text(encoding="utf-8"))
    assert doc["locale"] == "en" and re.fullmatch(doc["steps"][0]["regex"], "Welcome to 10086 self-service:")
    assert doc["steps"][1]["send"] == "1" and doc["steps"][1]["state"] == "10086:balance_offer"


async def test_remote_refuses_channels_it_cannot_reach(registry: FlowRegistry,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    args = parser().parse_args(["sim", "--channel", "sms", "--remote", "http://127.0.0.1:9"])
    assert await run_phone(args, registry) == 2
    assert "remote sms needs --smsc HOST:PORT" in capsys.readouterr().err
    args = parser().parse_args(["sim", "--channel", "ussd", "--smsc", "127.0.0.1:0"])
    assert await run_phone(args, registry) == 2
    assert "remote ussd needs --remote URL" in capsys.readouterr().err
