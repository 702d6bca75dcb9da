"""The engine stays protocol-free, and its documented examples stay true."""

from __future__ import annotations

import ast
import re
import textwrap
from pathlib import Path

import pytest
import yaml

from engine import spec

ENGINE = Path(__file__).resolve().parents[2] / "engine"
FORBIDDEN = ("aiohttp", "smpplib", "prompt_toolkit", "gateways", "simulator")
#: The HTTP backend is a port implementation; it is the one engine module that talks HTTP.
ALLOWED = {"backend/http.py": {"aiohttp"}, "backend/http_server.py": {"aiohttp"}}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("path", sorted(ENGINE.rglob("*.py")), ids=lambda p: str(p.relative_to(ENGINE)))
def test_engine_imports_no_protocol_library(path: Path) -> None:
    allowed = ALLOWED.get(str(path.relative_to(ENGINE)), set())
    assert not (_imports(path) & (set(FORBIDDEN) - allowed))


KINDS = [spec.MenuState, spec.InputState, spec.CallState, spec.ConfirmState, spec.MessageState, spec.SwitchState,
         spec.SubflowState, spec.TransferState, spec.SendState, spec.SetState]


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.__name__)
def test_state_docstring_example_is_valid(kind: type) -> None:
    doc = kind.__doc__ or ""
    match = re.search(r"Example::\n\n(.*)", doc, re.S)
    assert match, f"{kind.__name__} has no YAML example"
    states = yaml.safe_load(textwrap.dedent(match.group(1)))
    for body in states.values():
        kind.model_validate(body)
