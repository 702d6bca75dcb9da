"""Lint: which path reaches an operation that needs a level of authentication without the check?

The runtime refuses such an operation anyway (``engine.run.guard``); this
tells the flow author before a subscriber meets the refusal, and names the
path. A data-flow pass: each state gets the lowest level guaranteed on *every*
path from a start to it. The level rises on the success edge of a call whose
operation ``grants`` one, on the way out of a subflow that guarantees one at
each of its returns, and on a switch case ``when: authenticated`` (the engine
computes that name from the session's level; a flow cannot set it).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from engine.flow.diagnostics import Diagnostic
from engine.flow.model import CompiledFlow, warning
from engine.ports.backend import AUTH_LEVELS, OperationInfo

_RANK = {level: i for i, level in enumerate(AUTH_LEVELS)}
_TOP = len(AUTH_LEVELS)  # "not reached yet": above every level


def _gains(flow: CompiledFlow, name: str, operations: Mapping[str, OperationInfo],
           subflow_level: Mapping[str, int]) -> Iterator[tuple[str, int]]:
    """(target, level this edge guarantees on its own) for each edge out of ``name``."""
    node = flow.nodes[name]
    op = node.kind.operation(node.spec)
    info = operations.get(op) if op is not None else None
    subs = [fid for _, fid in node.kind.flows_used(name, node.spec)]
    for edge in node.kind.edges(name, node.spec):
        gain = 0
        on_success = edge.path[-1] == "goto"
        if on_success and info is not None and info.grants is not None:
            gain = _RANK[info.grants]
        elif on_success and subs:
            gain = subflow_level.get(subs[0], 0)
        elif edge.label.strip() == "authenticated":
            gain = _RANK["password"]
        yield edge.target, gain


def _levels(flow: CompiledFlow, starts: list[str], operations: Mapping[str, OperationInfo],
            subflow_level: Mapping[str, int]) -> tuple[dict[str, int], dict[str, str]]:
    """Guaranteed level per state, and for each the predecessor that set it (to print a path)."""
    level = dict.fromkeys(flow.nodes, _TOP)
    via: dict[str, str] = {}
    todo = []
    for s in starts:
        if s in level:
            level[s] = 0
            todo.append(s)
    while todo:
        name = todo.pop()
        for target, gain in _gains(flow, name, operations, subflow_level):
            new = max(level[name], gain)
            if target in level and new < level[target]:
                level[target] = new
                via[target] = name
                todo.append(target)
    return level, via


def guaranteed(flows: Mapping[str, CompiledFlow], operations: Mapping[str, OperationInfo],
               fid: str, seen: frozenset[str] = frozenset()) -> int:
    """The level every return of flow ``fid`` guarantees, entered with none (0 when unknown)."""
    flow = flows.get(fid)
    if flow is None or fid in seen:
        return 0
    subs = _sub_levels(flows, operations, flow, seen | {fid})
    level, _ = _levels(flow, [flow.spec.entry], operations, subs)
    returns = [level[n] for n, node in flow.nodes.items() if node.spec.type == "return"]
    reached = [lv for lv in returns if lv < _TOP]
    return min(reached) if reached else 0


def _sub_levels(flows: Mapping[str, CompiledFlow], operations: Mapping[str, OperationInfo],
                flow: CompiledFlow, seen: frozenset[str]) -> dict[str, int]:
    used = {fid for name, node in flow.nodes.items() for _, fid in node.kind.flows_used(name, node.spec)}
    return {fid: guaranteed(flows, operations, fid, seen) for fid in used}


def unauthenticated(flow: CompiledFlow, starts: list[str], operations: Mapping[str, OperationInfo],
                    flows: Mapping[str, CompiledFlow]) -> Iterator[Diagnostic]:
    subs = _sub_levels(flows, operations, flow, frozenset({flow.id}))
    level, via = _levels(flow, starts, operations, subs)
    for name, node in flow.nodes.items():
        op = node.kind.operation(node.spec)
        info = operations.get(op) if op is not None else None
        if info is None or level[name] >= _RANK[info.auth] or level[name] == _TOP:
            continue
        path = [name]
        while path[-1] in via and len(path) <= len(flow.nodes):
            path.append(via[path[-1]])
        yield warning(flow, ("states", name, "op"),
                      f"operation '{op}' needs authentication '{info.auth}' but this path reaches it without "
                      f"the check (the engine will refuse it): {' → '.join(reversed(path))}")
