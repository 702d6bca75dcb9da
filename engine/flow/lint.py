"""Warnings a product owner wants before go-live; the flow still runs with them.

Each check answers a question a reviewer would ask: can anyone reach this
state, can they get out, is a paid operation confirmed first, is every text
translated and every variable defined. What only one kind of state can get
wrong (a menu too long for USSD, an SMS too long) its kind checks itself.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from engine.flow.defined import analyse, anywhere
from engine.flow.diagnostics import Diagnostic, Path
from engine.flow.lint_auth import unauthenticated
from engine.flow.model import CompiledFlow, warning
from engine.flow.spec import Text
from engine.flow.varcheck import check_vars, error
from engine.ports.backend import OperationInfo


def _starts(flow: CompiledFlow) -> list[str]:
    starts = [flow.spec.entry]
    for ch in ("sms", "ussd", "ivr"):
        starts += [t.goto for t in getattr(flow.spec.triggers, ch) if t.goto]
    return starts


def _reach(flow: CompiledFlow, starts: list[str], skip: frozenset[str] = frozenset()) -> set[str]:
    seen: set[str] = set()
    todo = [s for s in starts if s not in skip]
    while todo:
        name = todo.pop()
        if name in seen or name not in flow.nodes:
            continue
        seen.add(name)
        todo.extend(t for t in flow.nodes[name].edges if t not in skip)
    return seen


def lint_flow(flow: CompiledFlow, operations: Mapping[str, OperationInfo] | None = None,
              flows: Mapping[str, CompiledFlow] | None = None) -> list[Diagnostic]:
    """Everything worth fixing before go-live; ``flows`` (all loaded, for subflows) enables variable checks."""
    out: list[Diagnostic] = []
    reachable = _reach(flow, _starts(flow))
    for name in flow.nodes:
        if name not in reachable:
            out.append(warning(flow, ("states", name), f"state '{name}' is unreachable from the entry or any trigger"))
    out += _dead_ends(flow)
    out += _auto_loops(flow)
    if operations is not None:
        for name, node in flow.nodes.items():
            op = node.kind.operation(node.spec)
            if op is not None and op not in operations:
                out.append(error(flow, ("states", name, "op"),
                                   f"unknown backend operation '{op}'; the backend offers: "
                                   f"{', '.join(sorted(operations))}"))
        out += _unguarded_paid(flow, operations)
        out += unauthenticated(flow, _starts(flow), operations, flows or {flow.id: flow})
    if flows is not None:
        ops = operations or {}
        out += check_vars(flow, ops, analyse(flows, ops).get(flow.id, {}), anywhere(flows, ops))
    out += _translations(flow)
    for node in flow.nodes.values():
        out += node.kind.lint(flow, node)
    return out


def _dead_ends(flow: CompiledFlow) -> Iterator[Diagnostic]:
    enders = {n for n, node in flow.nodes.items() if node.ends}
    # reverse reachability from every ending state
    preds: dict[str, set[str]] = {n: set() for n in flow.nodes}
    for node in flow.nodes.values():
        for t in node.edges:
            if t in preds:
                preds[t].add(node.name)
    alive = set(enders)
    todo = list(enders)
    while todo:
        for p in preds[todo.pop()]:
            if p not in alive:
                alive.add(p)
                todo.append(p)
    for name in flow.nodes:
        if name not in alive:
            yield warning(flow, ("states", name),
                          f"dead end: no path from '{name}' ever ends the session (add an end, message or transfer)")


def _auto_loops(flow: CompiledFlow) -> Iterator[Diagnostic]:
    """Cycles made only of automatic states would spin without waiting for the subscriber."""
    auto = {n for n, node in flow.nodes.items() if not node.waiting and not node.kind.leaves_flow}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    sccs: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in flow.nodes[v].edges:
            if w not in auto:
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            sccs.append(comp)

    for v in sorted(auto):
        if v not in index:
            visit(v)
    for comp in sccs:
        if len(comp) > 1 or comp[0] in flow.nodes[comp[0]].edges:
            first = sorted(comp)[0]
            yield warning(flow, ("states", first),
                          f"loop with no exit for the subscriber: {' → '.join(sorted(comp))} never waits for input")


def _unguarded_paid(flow: CompiledFlow, operations: Mapping[str, OperationInfo]) -> Iterator[Diagnostic]:
    guards = frozenset(n for n, node in flow.nodes.items() if node.kind.guards_payment)
    unguarded = _reach(flow, _starts(flow), guards)
    for name, node in flow.nodes.items():
        op = node.kind.operation(node.spec)
        info = operations.get(op) if op is not None else None
        if info is not None and info.paid and name in unguarded:
            yield warning(flow, ("states", name, "op"),
                          f"paid operation '{op}' can run without a confirm state before it")


def _texts(flow: CompiledFlow) -> Iterator[tuple[Path, Text]]:
    """Every author-written text: the title, message overrides, and what each state's kind declares."""
    yield ("title",), flow.spec.title
    for key, msg in flow.spec.messages.items():
        yield ("messages", key), msg
    for name, node in flow.nodes.items():
        yield from node.kind.texts(name, node.spec)


def _translations(flow: CompiledFlow) -> Iterator[Diagnostic]:
    for path, text in _texts(flow):
        if isinstance(text, str):
            continue
        missing = [loc for loc in flow.spec.locales if getattr(text, loc) is None]
        if missing:
            yield warning(flow, path, f"missing translation: {', '.join(missing)}")
