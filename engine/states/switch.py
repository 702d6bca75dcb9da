"""``switch``: branch on expressions; the first true case wins, else ``default``.

Conditions are sandboxed Jinja2 expressions over the session's variables; one
that fails to evaluate counts as false rather than stopping the conversation.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

from pydantic import Field

from engine.flow.building import Building
from engine.flow.diagnostics import Path
from engine.flow.model import CompiledFlow, Edge, Node, StateKind, Turn
from engine.flow.spec import Model, StateRef, StateSpec


class Case(Model):
    when: str = Field(description="Jinja2 expression; a failing one is false")
    goto: StateRef


class SwitchState(StateSpec):
    """Branch on expressions, first true case wins.

    Example::

        check_auth:
          type: switch
          cases: [{when: authenticated, goto: done}]
          default: ask_password
    """

    type: Literal["switch"]
    cases: list[Case] = Field(min_length=1, description="`{when, goto}` each, tried in order")
    default: StateRef = Field(description="Where to go when no case is true")


class Switch(StateKind[SwitchState]):
    model = SwitchState
    shape = ("{", "}", "diamond")

    def edges(self, name: str, spec: SwitchState) -> Iterator[Edge]:
        yield Edge(("states", name, "default"), spec.default, "else")
        for i, case in enumerate(spec.cases):
            yield Edge(("states", name, "cases", i, "goto"), case.goto, case.when)

    def graph_edges(self, flow: CompiledFlow, node: Node[SwitchState]) -> list[tuple[str, str]]:
        edges = super().graph_edges(flow, node)  # pragma: no mutate (equivalent: the base ignores flow)
        return edges[1:] + edges[:1]

    def expressions(self, name: str, spec: SwitchState) -> Iterator[tuple[Path, str]]:
        for i, case in enumerate(spec.cases):
            yield ("states", name, "cases", i, "when"), case.when

    def compile(self, b: Building, name: str, spec: SwitchState) -> Node[SwitchState]:
        cases = []
        for i, case in enumerate(spec.cases):
            expr = b.expr(("states", name, "cases", i, "when"), case.when)
            if expr is not None:
                cases.append((expr, case.goto))
        return Node(name, self, spec, cases=tuple(cases), edges=self.targets(name, spec), static=True)

    async def enter(self, turn: Turn, node: Node[SwitchState]) -> str | None:
        ctx = turn.ctx()
        for expr, target in node.cases:
            if expr(ctx):
                return target
        return node.spec.default


KIND = Switch()
