"""``call``: one backend operation, with its deadline, secrets and failure branches.

A slow, failing or crashing backend becomes a branch of the flow or a friendly
"system busy"; it never reaches the subscriber as a traceback. Transactions
(non-idempotent operations) get an idempotency key per confirmed attempt, so
the backend's own retry cannot charge twice.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any, Literal

from pydantic import Field

from engine.flow.building import Building
from engine.flow.diagnostics import Path
from engine.flow.model import CompiledFlow, Edge, Node, StateKind, Turn
from engine.flow.spec import StateRef, StateSpec, VarName
from engine.ports.backend import BackendFailure
from engine.ports.events import MASK


class CallState(StateSpec):
    """A backend operation; branches on success, business error codes, timeout.

    Example::

        get_balance:
          type: call
          op: balance
          result: bal
          goto: show_balance
          errors: {UNKNOWN_SUBSCRIBER: not_found}
    """

    type: Literal["call"]
    op: str
    params: dict[str, str | int | float | bool] = Field(default_factory=dict)
    result: VarName | None = Field(None, description="Variable for the result")
    goto: StateRef
    errors: dict[str, StateRef] = Field(default_factory=dict, description="Business error code → state")
    error: StateRef | None = Field(None, description="Any other business error")
    timeout: StateRef | None = None
    unavailable: StateRef | None = None


class Call(StateKind[CallState]):
    model = CallState
    shape = ("[[", "]]", "box3d")

    def edges(self, name: str, spec: CallState) -> Iterator[Edge]:
        base: Path = ("states", name)
        yield Edge((*base, "goto"), spec.goto, "ok")
        for attr in ("error", "timeout", "unavailable"):
            target = getattr(spec, attr)
            if target:
                yield Edge((*base, attr), target, attr)
        for code, target in spec.errors.items():
            yield Edge((*base, "errors", code), target, code)

    def graph_edges(self, flow: CompiledFlow, node: Node[CallState]) -> list[tuple[str, str]]:
        edges = super().graph_edges(flow, node)  # pragma: no mutate (equivalent: the base ignores flow)
        named = edges[1:len(edges) - len(node.spec.errors)]
        return edges[len(edges) - len(node.spec.errors):] + named + edges[:1]

    def templates(self, name: str, spec: CallState) -> Iterator[tuple[Path, str]]:
        for key, value in spec.params.items():
            if isinstance(value, str):
                yield ("states", name, "params", key), value

    def defines(self, name: str, spec: CallState) -> Iterator[tuple[Path, str]]:
        if spec.result:
            yield ("states", name, "result"), spec.result

    def merges_unknown(self, spec: CallState) -> bool:
        return spec.result is None

    def operation(self, spec: CallState) -> str | None:
        return spec.op

    def label(self, flow: CompiledFlow, node: Node[CallState]) -> str:
        return f"{node.name}: call {node.spec.op}"

    def compile(self, b: Building, name: str, spec: CallState) -> Node[CallState]:
        params = {k: b.template(("states", name, "params", k), v) for k, v in spec.params.items()}
        return Node(name, self, spec, params=params, edges=self.targets(name, spec), static=True)

    async def enter(self, turn: Turn, node: Node[CallState]) -> str | None:
        st, s = node.spec, turn.session
        ctx = turn.ctx()
        params = {k: tpl.render(ctx) for k, tpl in node.params.items()}
        info = turn.operation(st.op)
        if info is not None and not info.idempotent and "idempotency_key" not in params:
            # one key per confirmed transaction: a retry of this call repeats it, the next turn does not
            params["idempotency_key"] = f"{s.key}:{int(s.created * 1000)}:{s.rev}:{node.name}"
        secret = set(info.secret_params) if info else set()
        secret |= {k for k, tpl in node.params.items() if any(v in tpl.source for v in turn.flow.secrets)}
        shown = {k: (MASK if k in secret else v) for k, v in params.items()}
        started = time.perf_counter()
        try:
            data = await turn.call_backend(st.op, params)
        except BackendFailure as exc:
            return _failed(turn, node, exc, shown, started)
        ms = (time.perf_counter() - started) * 1000  # pragma: no mutate (equivalent: wall-clock time, not asserted)
        secret_results = set(info.secret_results) if info else set()  # pragma: no mutate (equivalent: info is set)
        turn.emit("call", op=st.op, params=shown, ok=True, ms=round(ms, 2),
                  result={k: (MASK if k in secret_results else v) for k, v in data.items()})
        if secret_results:
            turn.note_secret([f"{st.result}.{n}" if st.result else n for n in secret_results])
        if st.result:
            s.vars[st.result] = data
        else:
            s.vars.update(data)
        turn.changed()
        return st.goto


def _failed(turn: Turn, node: Node[CallState], exc: BackendFailure, shown: dict[str, Any],
            started: float) -> str | None:
    st = node.spec
    ms = (time.perf_counter() - started) * 1000  # pragma: no mutate (equivalent: wall-clock time, not asserted)
    turn.emit("call", op=st.op, params=shown, ok=False, ms=round(ms, 2), failure=exc.kind, code=exc.code)
    turn.session.vars["error_code"] = exc.code or exc.kind
    turn.changed()
    if exc.kind == "business":
        target = st.errors.get(exc.code) or st.error
        if target:
            return target
        turn.say_msg("business_error")
        turn.end()
        return None
    target = (st.timeout if exc.kind == "timeout" else None) or st.unavailable
    if target:
        return target
    turn.say_msg("busy")
    turn.end()
    return None


KIND = Call()
