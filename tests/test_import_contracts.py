"""The import contracts in pyproject.toml hold for the project, and each one bites.

The bite is proved on a tiny package tree shaped like ours (engine, gateways,
simulator, app, bench) checked against the project's own ``[tool.importlinter]``
section: clean it passes; one violating import and the named contract breaks.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: A tree that keeps every contract, including the imports the contracts name as exceptions.
CLEAN = {
    "engine/__init__.py": "",
    "engine/flow/__init__.py": "",
    "engine/flow/machine.py": "import transitions\n",
    "engine/flow/model.py": "import engine.flow.machine\nimport engine.ports\n",
    "engine/flow/graph.py": "import engine.flow.model\n",
    "engine/states/__init__.py": "import engine.flow.model\n",
    "engine/run/__init__.py": "import engine.states\nimport engine.store\n",
    "engine/ports/__init__.py": "import engine.session\n",
    "engine/store/__init__.py": "import engine.ports\n",
    "engine/events/__init__.py": "import engine.ports\n",
    "engine/session.py": "import engine.types\n",
    "engine/types.py": "",
    "engine/clock.py": "",
    "engine/msisdn.py": "",
    "engine/retry.py": "",
    "engine/backend/__init__.py": "",
    "engine/backend/http.py": "import aiohttp\n",
    "gateways/__init__.py": "",
    "gateways/edge.py": "import engine.flow\n",
    "gateways/sms/__init__.py": "import smpplib\n",
    "simulator/__init__.py": "",
    "simulator/double.py": "import gateways.edge\n",
    "simulator/phone/__init__.py": "import prompt_toolkit\n",
    "app/__init__.py": "",
    "app/main.py": "import simulator.double\n",
    "bench/__init__.py": "",
    "bench/engine.py": "import transitions\n",
    "bench/sms.py": "import smpplib\n",
}

#: (module to add, its import, the contract(s) that must break, '|'-separated)
VIOLATIONS = [
    ("gateways/uses_sim.py", "import simulator.double", "Imports point one way"),
    ("gateways/uses_app.py", "from app import main", "Imports point one way"),
    ("engine/up.py", "import gateways.edge", "Imports point one way"),
    ("simulator/up.py", "import app.main", "Imports point one way"),
    ("app/bench_use.py", "import bench.engine", "Imports point one way"),
    ("engine/web.py", "from aiohttp import web", "The engine uses aiohttp only"),
    ("engine/client.py", "import aiohttp", "The engine uses aiohttp only"),
    ("engine/smpp.py", "import smpplib.client", "smpplib (blocking, not thread-safe)"),
    ("engine/ui.py", "import prompt_toolkit", "prompt_toolkit is used only by"),
    ("engine/states/fsm.py", "from transitions import Machine", "Only engine.flow.machine uses transitions"),
    ("engine/flow/kinds.py", "import engine.states", "Inside the engine: run -> states -> flow|No import cycles"),
    ("engine/states/runs.py", "import engine.run", "Inside the engine: run -> states -> flow|No import cycles"),
    ("engine/store/menus.py", "import engine.flow.model", "Ports, adapters and the seam's values"),
    ("engine/ports/turns.py", "import engine.run", "Ports, adapters and the seam's values|No import cycles"),
    ("engine/flow/model.py", "import engine.flow.graph", "No import cycles"),
    ("gateways/fsm.py", "from transitions.extensions import GraphMachine", "Only engine.flow.machine uses"),
    ("simulator/esme.py", "import smpplib", "smpplib (blocking, not thread-safe)"),
    ("gateways/tui.py", "import prompt_toolkit", "prompt_toolkit is used only by"),
]


def importlinter_section() -> str:
    """The ``[tool.importlinter]`` tables of pyproject.toml, verbatim."""
    lines = (ROOT / "pyproject.toml").read_text(encoding="utf-8").splitlines()
    keep, inside = [], False
    for line in lines:
        if line.startswith("["):
            inside = line.strip("[] ").startswith("tool.importlinter")
        if inside:
            keep.append(line)
    assert keep, "pyproject.toml has no [tool.importlinter] section"
    return "\n".join(keep) + "\n"


def lint_imports(cwd: Path, config: Path) -> subprocess.CompletedProcess[str]:
    code = "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())"
    return subprocess.run(
        [sys.executable, "-c", code, "--no-cache", "--no-logo", str(config)],
        cwd=cwd, env={"PYTHONPATH": str(cwd), "PATH": "", "COLUMNS": "400"}, capture_output=True, text=True, timeout=60,
    )


def tiny_tree(tmp_path: Path, extra: dict[str, str]) -> Path:
    for name, text in {**CLEAN, **extra}.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    config = tmp_path / "contracts.toml"
    config.write_text(importlinter_section(), encoding="utf-8")
    return config


def test_the_project_keeps_its_contracts() -> None:
    result = lint_imports(ROOT, ROOT / "pyproject.toml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert " 0 broken" in result.stdout


def test_a_clean_tiny_tree_passes(tmp_path: Path) -> None:
    result = lint_imports(tmp_path, tiny_tree(tmp_path, {}))
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(("module", "statement", "contract"), VIOLATIONS, ids=[v[0] for v in VIOLATIONS])
def test_a_violating_import_breaks_its_contract(tmp_path: Path, module: str, statement: str, contract: str) -> None:
    result = lint_imports(tmp_path, tiny_tree(tmp_path, {module: statement + "\n"}))
    assert result.returncode == 1, result.stdout + result.stderr
    broken = sorted(line for line in result.stdout.splitlines() if " BROKEN" in line)
    expected = sorted(contract.split("|"))  # an upward import inside the engine also closes a cycle
    assert len(broken) == len(expected), result.stdout
    assert all(line.startswith(name) for line, name in zip(broken, expected, strict=True)), result.stdout
