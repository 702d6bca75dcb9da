"""Which variables are certainly set when a state runs: a forward "must" analysis over the compiled graphs.

A variable read by a template must be set on every path that reaches the
state, or a subscriber sees an empty gap (``{{ nmae }}``) or the backend gets
an empty parameter. Each edge adds what its state sets when leaving that way
(a call's result only on success, ``error_code`` only on failure); a subflow
adds what the called flow sets on every path to its ``return``; a flow run as
a subflow starts with what all its callers have certainly set.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.flow.model import CompiledFlow, Edge, Node
from engine.flow.templates import BUILTINS
from engine.ports.backend import OperationInfo

Sets = frozenset[str]
BASE: Sets = frozenset(BUILTINS)
#: Rounds of the whole-registry fixpoint; flows nest subflows a few levels deep at most.
MAX_ROUNDS = 8


def _starts(flow: CompiledFlow) -> list[str]:
    return [flow.spec.entry] + [t.goto for ch in ("sms", "ussd", "ivr")
                                for t in getattr(flow.spec.triggers, ch) if t.goto]


def _gen(node: Node[Any], edge: Edge, ops: Mapping[str, OperationInfo], summaries: Mapping[str, Sets]) -> Sets:
    out = set(node.kind.defines_along(node.name, node.spec, edge, ops))
    for _, sub in node.kind.flows_used(node.name, node.spec):
        out |= summaries.get(sub, frozenset())
    return frozenset(out)


def flow_in(flow: CompiledFlow, starts: Mapping[str, Sets], ops: Mapping[str, OperationInfo],
            summaries: Mapping[str, Sets]) -> dict[str, Sets]:
    """Variables set on every path from ``starts`` to each reachable state (before it runs)."""
    before: dict[str, Sets] = dict(starts)
    todo = list(starts)
    while todo:
        name = todo.pop()
        node = flow.nodes.get(name)
        if node is None:
            continue
        for edge in node.kind.edges(name, node.spec):
            if edge.target not in flow.nodes:
                continue
            out = before[name] | _gen(node, edge, ops, summaries)
            new = out if edge.target not in before else before[edge.target] & out
            if new != before.get(edge.target):
                before[edge.target] = new
                todo.append(edge.target)
    return before


def _summary(flow: CompiledFlow, ops: Mapping[str, OperationInfo], summaries: Mapping[str, Sets]) -> Sets:
    """What a flow sets on every path from its entry to a ``return``."""
    before = flow_in(flow, {flow.spec.entry: frozenset()}, ops, summaries)
    ends = [before[n] for n, node in flow.nodes.items() if node.kind.returns and n in before]
    return frozenset.intersection(*ends) if ends else frozenset()


def analyse(flows: Mapping[str, CompiledFlow], ops: Mapping[str, OperationInfo]) -> dict[str, dict[str, Sets]]:
    """Flow id → state → variables certainly set before the state runs."""
    summaries: dict[str, Sets] = {f: frozenset() for f in flows}
    for _ in range(MAX_ROUNDS):
        new = {fid: _summary(f, ops, summaries) for fid, f in flows.items()}
        if new == summaries:
            break
        summaries = new
    triggered = {fid for fid, f in flows.items() if any(getattr(f.spec.triggers, ch) for ch in ("sms", "ussd", "ivr"))}
    callers: dict[str, list[tuple[str, str]]] = {}
    for fid, f in flows.items():
        for name, node in f.nodes.items():
            for _, sub in node.kind.flows_used(name, node.spec):
                callers.setdefault(sub, []).append((fid, name))
    entry_extra: dict[str, Sets | None] = {fid: None if fid in callers and fid not in triggered else frozenset()
                                           for fid in flows}
    result: dict[str, dict[str, Sets]] = {}
    for _ in range(MAX_ROUNDS):
        for fid, f in flows.items():
            extra = entry_extra[fid] or frozenset()
            starts = {s: BASE for s in _starts(f)}
            starts[f.spec.entry] = BASE | extra
            result[fid] = flow_in(f, starts, ops, summaries)
        changed = False
        for sub, sites in callers.items():
            if sub not in flows or sub in triggered:
                continue
            seen = [result[fid][name] for fid, name in sites if fid in result and name in result[fid]]
            extra = frozenset.intersection(*seen) if seen else frozenset()
            if extra != entry_extra[sub]:
                entry_extra[sub], changed = extra, True
        if not changed:
            break
    return result


def anywhere(flows: Mapping[str, CompiledFlow], ops: Mapping[str, OperationInfo]) -> Sets:
    """Every variable any state of any flow can set: what a name must be among not to be a typo."""
    names = set(BASE)
    for f in flows.values():
        for name, node in f.nodes.items():
            for edge in node.kind.edges(name, node.spec):
                names |= set(node.kind.defines_along(name, node.spec, edge, ops))
            names |= {var for _, var in node.kind.defines(name, node.spec)}
    return frozenset(names)
