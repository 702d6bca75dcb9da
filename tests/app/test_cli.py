"""The public CLI contract, run as a subscriber or author would run it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from app.commands.schema import schema_text
from tests.engine.helpers import write_flow

ROOT = Path(__file__).resolve().parents[2]


def menuflow(*args: str, stdin: str = "", cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "app.cli", *args], input=stdin, capture_output=True,
                          text=True, cwd=cwd, timeout=60, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})


def test_sim_line_mode_sms_balance() -> None:
    out = menuflow("sim", "--channel", "sms", "--from", "8613800138000", stdin="YE\n")
    assert out.returncode == 0, out.stderr
    assert "50.00" in out.stdout


def test_sim_line_mode_ussd_and_ivr() -> None:
    out = menuflow("sim", "--channel", "ussd", "--from", "8613900139000", "--to", "*100#", stdin="1\n")
    assert "Welcome to 10086" in out.stdout and "120.50" in out.stdout
    out = menuflow("sim", "--channel", "ivr", "--from", "8613800138000", stdin="1\n")
    assert "话费余额请按1" in out.stdout and "50.00" in out.stdout


def test_validate_ok_and_errors(tmp_path: Path) -> None:
    ok = menuflow("validate")
    assert ok.returncode == 0 and "0 error(s), 0 warning(s)" in ok.stderr
    write_flow(tmp_path, "flow: x\ntitle: X\nversion: 1\nentry: a\nstates:\n  a: {type: end}\n", "bad.yaml")
    bad = menuflow("validate", str(tmp_path / "bad.yaml"))
    assert bad.returncode == 1
    assert f"{tmp_path / 'bad.yaml'}:6:6: error: states.a.text: missing required key 'text'" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_validate_warnings_pass_unless_strict(tmp_path: Path) -> None:
    write_flow(tmp_path, "flow: x\ntitle: X\nversion: 1\nentry: a\nstates:\n  a: {type: end, text: hi}\n"
               "  b: {type: end, text: unused}\n", "w.yaml")
    assert menuflow("validate", str(tmp_path)).returncode == 0
    assert menuflow("validate", "--strict", str(tmp_path)).returncode == 1


def test_graph_mermaid_and_dot() -> None:
    mermaid = menuflow("graph", "flows/10086/main.yaml", "--format", "mermaid")
    assert mermaid.returncode == 0 and mermaid.stdout.startswith("flowchart TD")
    assert 'main -- "1 话费余额" --> balance' in mermaid.stdout
    dot = menuflow("graph", "flows/10086/main.yaml", "--format", "dot")
    assert dot.stdout.startswith('digraph "10086"') and '"main" -> "balance"' in dot.stdout


def test_schema_file_is_current() -> None:
    assert (ROOT / "flows" / "schema.json").read_text(encoding="utf-8") == schema_text()
