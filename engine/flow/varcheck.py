"""The linter's variable checks: every name a template reads is set on the way there, with that field.

A name no state of any flow sets is a typo: an error, with "did you mean".
A name set somewhere but not on every path is a warning naming the state.
A field the variable's declared shape lacks (``sub.balanse``) is an error.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping
from typing import Any

from engine.flow.diagnostics import Diagnostic, Path
from engine.flow.model import CompiledFlow, Node, warning
from engine.flow.shapes import Shape, field_problems
from engine.flow.spec import Text
from engine.flow.templates import template_variables, text_sources
from engine.flow.yamlpos import locate
from engine.ports.backend import OperationInfo

#: Variables the engine sets itself (a failed call's code).
ENGINE_VARS = frozenset({"error_code"})
#: Variables the engine passes to its built-in texts (``messages:`` overrides may use them).
MESSAGE_VARS = frozenset({"yes", "no", "minutes", "hours", "key", "label", "waited", "reason"})


def error(flow: CompiledFlow, path: Path, message: str) -> Diagnostic:
    line, col = locate(flow.positions, path)
    return Diagnostic(flow.file, line, col, "error", path, message)


def _sources(text: Text) -> list[str]:
    return list(dict.fromkeys(text_sources(text).values()))


def _state_sources(node: Node[Any]) -> Iterator[tuple[Path, str]]:
    for path, text in node.kind.texts(node.name, node.spec):
        for src in _sources(text):
            yield path, src
    yield from node.kind.templates(node.name, node.spec)
    for path, expr in node.kind.expressions(node.name, node.spec):
        yield path, "{{ " + expr + " }}"


def _flow_sources(flow: CompiledFlow) -> Iterator[tuple[Path, str]]:
    for src in _sources(flow.spec.title):
        yield ("title",), src
    for key, msg in flow.spec.messages.items():
        for src in _sources(msg):
            yield ("messages", key), src


def flow_shapes(flow: CompiledFlow, operations: Mapping[str, OperationInfo]) -> dict[str, Shape | None]:
    """Variable → shape; a variable two states fill differently keeps only what both give."""
    shapes: dict[str, Shape | None] = {}
    for _ in range(2):  # a list menu's item shape needs the call result's shape first
        found: dict[str, list[Shape | None]] = {}
        for name, node in flow.nodes.items():
            given = dict(node.kind.shapes(name, node.spec, operations, shapes))
            for var in {v for _, v in node.kind.defines(name, node.spec)} | set(given):
                found.setdefault(var, []).append(given.get(var))
        shapes = {}
        for var, options in found.items():
            first = options[0]
            for other in options[1:]:
                first = first.merged(other) if first is not None else None
            shapes[var] = first
    return shapes


def check_vars(flow: CompiledFlow, operations: Mapping[str, OperationInfo], before: Mapping[str, frozenset[str]],
               known: frozenset[str]) -> Iterator[Diagnostic]:
    shapes = flow_shapes(flow, operations)
    everywhere = known | MESSAGE_VARS | ENGINE_VARS
    for path, source in _flow_sources(flow):
        yield from _read(flow, path, source, everywhere, known, shapes, "")
    for name, node in flow.nodes.items():
        if name not in before:  # unreachable: reported as such
            continue
        for path, source in _state_sources(node):
            local = node.kind.scope(name, node.spec, path, shapes)
            yield from _read(flow, path, source, before[name] | set(local), known, {**shapes, **local}, name)


def _read(flow: CompiledFlow, path: Path, source: str, certain: frozenset[str], known: frozenset[str],
          shapes: Mapping[str, Shape | None], state: str) -> Iterator[Diagnostic]:
    for var in sorted(template_variables(source) - certain):
        if var not in known:
            hint = difflib.get_close_matches(var, sorted(known), n=1)
            did = f" (did you mean '{hint[0]}'?)" if hint else ""
            yield error(flow, path, f"unknown variable '{var}'{did}: no input, call result or set defines it")
        else:
            yield warning(flow, path, f"variable '{var}' may be unset here: some path reaches '{state}' "
                                      f"without passing a state that sets '{var}'")
    for problem in field_problems(source, shapes):
        yield error(flow, path, problem)
