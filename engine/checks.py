"""Validate flow files the way ``menuflow validate`` does: errors, then warnings."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from engine.backend.base import OperationInfo
from engine.diagnostics import Diagnostic, FlowError
from engine.lint import defined_vars, lint_flow
from engine.registry import FlowRegistry


def check_paths(paths: Sequence[str], operations: Mapping[str, OperationInfo] | None) -> list[Diagnostic]:
    registry = FlowRegistry(list(paths))
    try:
        registry.load()
    except FlowError as exc:
        return exc.diagnostics
    known = defined_vars(registry)
    out: list[Diagnostic] = []
    for flow in registry.current.values():
        out += lint_flow(flow, operations, known)
    return sorted(out, key=lambda d: (d.file, d.line, d.col))
