"""What several commands share: loading flows and reporting their diagnostics."""

from __future__ import annotations

import sys

from engine.flow.diagnostics import FlowError
from engine.flow.registry import FlowRegistry
from engine.run.build import load_registry


def load_flows(path: str) -> FlowRegistry | None:
    """The compiled flows under ``path``, or None after printing every diagnostic to stderr."""
    try:
        return load_registry(path)
    except FlowError as exc:
        for d in exc.diagnostics:
            print(d, file=sys.stderr)
        return None


def write_generated(path: str, text: str, current: str, *, check: bool, stale: str) -> int:
    """Write a generated file, or with ``check`` say whether ``current`` is still what it would be (exit 1)."""
    if check:
        if current != text:
            print(stale)
            return 1
        return 0
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)
    return 0
