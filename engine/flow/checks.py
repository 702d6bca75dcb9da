"""Validate flow files the way ``menuflow validate`` does: errors, then warnings."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from engine.flow.diagnostics import Diagnostic, FlowError
from engine.flow.language import Language
from engine.flow.lint import defined_vars, lint_flow
from engine.flow.registry import FlowRegistry
from engine.ports.backend import OperationInfo


def check_paths(lang: Language, paths: Sequence[str], operations: Mapping[str, OperationInfo] | None
                ) -> list[Diagnostic]:
    registry = FlowRegistry(lang, list(paths))
    try:
        registry.load()
    except FlowError as exc:
        return exc.diagnostics
    known = defined_vars(registry)
    out: list[Diagnostic] = []
    for flow in registry.current.values():
        out += lint_flow(flow, operations, known, registry.current)
    return sorted(out, key=lambda d: (d.file, d.line, d.col))
