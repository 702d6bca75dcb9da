"""``call``: one backend operation, with its deadline, secrets and failure branches.

A slow, failing or crashing backend becomes a branch of the flow or a friendly
"system busy"; it never reaches the subscriber as a traceback. Before the call
the runtime checks what the catalogue asks of the operation (its
authentication level, its per-number limit): a refusal ends the dialog politely
whatever the flow says (``engine.run.guard``). Transactions
(non-idempotent operations) get an idempotency key per confirmed attempt, so
the backend's own retry cannot charge twice.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Iterator, Mapping
from typing import Any, Literal

from pydantic import Field

from engine.flow.building import Building
from engine.flow.diagnostics import Path
from engine.flow.model import CompiledFlow, Edge, Node, StateKind, Turn
from engine.flow.shapes import Shape
from engine.flow.spec import StateRef, StateSpec, VarName
from engine.flow.templates import Tpl, compile_template
from engine.ports.backend import BackendFailure, OperationInfo
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
    op: str = Field(description="Backend operation (see the catalogue)")
    params: dict[str, str | int | float | bool] = Field(default_factory=dict,
                                                        description="Parameters; values are templates")
    result: VarName | None = Field(None, description="Variable for the result (without it the result's keys merge "
                                   "into the variables)")
    goto: StateRef = Field(description="Next state on success")
    errors: dict[str, StateRef] = Field(default_factory=dict, description="Business error code → state")
    error: StateRef | None = Field(None, description="Any other business error")
    timeout: StateRef | None = Field(None, description="The backend missed its deadline (default: `unavailable`)")
    unavailable: StateRef | None = Field(None, description="The backend failed (default: \"system busy\", end)")


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

    def defines_along(self, name: str, spec: CallState, edge: Edge, operations: Mapping[str, OperationInfo]
                      ) -> Iterator[str]:
        """Success sets the result (or, without ``result:``, the fields the operation declares); failure the code."""
        if edge.label != "ok":
            yield "error_code"
        elif spec.result:
            yield spec.result
        else:
            info = operations.get(spec.op)
            yield from (info.result or ()) if info is not None else ()

    def shapes(self, name: str, spec: CallState, operations: Mapping[str, OperationInfo],
               known: Mapping[str, Shape | None]) -> Iterator[tuple[str, Shape | None]]:
        info = operations.get(spec.op)
        if spec.result:
            yield spec.result, Shape.of(info) if info is not None else None
        elif info is not None:
            items = dict(info.result_items)
            for fname in info.result or ():
                yield fname, Shape(element=Shape(frozenset(items[fname]), source=f"items of {spec.op}.{fname}")) \
                    if fname in items else None

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
        refused = await turn.allowed(info) if info is not None else None
        if refused is not None:
            turn.emit("call", op=st.op, ok=False, refused=refused)
            turn.say_msg(refused)
            turn.end()
            return None
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
            if info is not None and exc.kind == "business":
                await turn.proved(info, False)  # pragma: no mutate (equivalent: None is as false)
            return _failed(turn, node, exc, shown, started)
        if info is not None:
            await turn.proved(info, True)
        ms = (time.perf_counter() - started) * 1000  # pragma: no mutate (equivalent: wall-clock time, not asserted)
        # pragma: no mutate start (equivalent: a call that succeeded is of an offered operation, so info is set)
        secret_results = set(info.secret_results) if info else set()
        turn.emit("call", op=st.op, category=info.category if info else "other", business=bool(info and info.business),
                  params=shown, ok=True, ms=round(ms, 2),
                  result={k: (MASK if k in secret_results else v) for k, v in data.items()})
        # pragma: no mutate end
        if secret_results:
            turn.note_secret([f"{st.result}.{n}" if st.result else n for n in secret_results])
        if st.result:
            s.vars[st.result] = data
        else:
            s.vars.update(data)
        turn.changed()
        if info is not None and info.receipt and s.channel != "sms":
            _receipt(turn, info, data)
        if data.get("epoints"):
            turn.emit("epoints", op=st.op, points=data["epoints"])
        return st.goto


def _receipt(turn: Turn, info: OperationInfo, data: dict[str, Any]) -> None:
    """The SMS receipt (短信凭证) of business done on USSD or IVR; on SMS the answer itself is one."""
    s = turn.session
    source = info.receipt.get(s.locale) or next(iter(info.receipt.values()))
    try:
        text = _template(source).render({**data, "msisdn": s.msisdn, "channel": s.channel}).strip()
    except Exception as exc:  # a broken receipt template must not undo the business just done
        turn.emit("receipt", op=info.name, ok=False, error=type(exc).__name__)
        return
    if text:
        turn.push_sms(text)
        turn.emit("receipt", op=info.name, ok=True, order=data.get("order", ""))


@functools.lru_cache(maxsize=128)
def _template(source: str) -> Tpl:
    return compile_template(source)


def _failed(turn: Turn, node: Node[CallState], exc: BackendFailure, shown: dict[str, Any],
            started: float) -> str | None:
    st = node.spec
    ms = (time.perf_counter() - started) * 1000  # pragma: no mutate (equivalent: wall-clock time, not asserted)
    info = turn.operation(st.op)
    turn.emit("call", op=st.op, category=info.category if info else "other", business=bool(info and info.business),
              params=shown, ok=False, ms=round(ms, 2), failure=exc.kind, code=exc.code)
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
