"""Each state of a flow as the subscriber meets it on SMS, USSD and IVR, with its diagnostics.

The page shows what the engine itself would say: every state is run through
the runtime's own ``Turn`` (a menu's ``prompt``, a message's text), then cut
by the channel rules the runtime uses (SMS segments, USSD pages). Dynamic
texts are filled with the chosen demo subscriber's real answers to the
flow's query operations, so a list of packages shows the packages on sale.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.flow.channels import paginate, sms_segments, ussd_units
from engine.flow.diagnostics import Diagnostic
from engine.flow.graph import to_mermaid
from engine.flow.model import CompiledFlow, Node
from engine.ports.backend import BackendFailure, CallContext
from engine.run.engine import Engine
from engine.run.turn import Turn
from engine.session import Session
from engine.states.listing import ListNode, choices
from engine.states.menu import visible_options

CHANNELS = ("sms", "ussd", "ivr")


async def sample_vars(engine: Engine, flow: CompiledFlow, msisdn: str, locale: str) -> dict[str, Any]:
    """The subscriber's answers to the flow's parameterless queries (balance, packages...), by result name."""
    out: dict[str, Any] = {}
    ops = engine.backend.operations()
    for node in flow.nodes.values():
        op, result = node.kind.operation(node.spec), getattr(node.spec, "result", None)
        info = ops.get(op) if op is not None else None
        needs_input = bool(getattr(node.spec, "params", None))
        if op is None or info is None or not result or info.paid or not info.idempotent or needs_input:
            continue
        try:
            out[result] = await engine.backend.call(op, {}, CallContext(msisdn, "preview", "preview", locale))
        except BackendFailure:
            continue
    return out


def option_pairs(flow: CompiledFlow, node: Node[Any], channel: str, locale: str, ctx: Mapping[str, Any],
                 offset: int = 0) -> list[tuple[str, str]]:
    """(key, label) of what a waiting state offers now; empty for states that take free input."""
    if isinstance(node, ListNode):
        offered, _ = choices(flow, node, channel, locale, ctx, offset)
        return [(k, label) for k, label, _ in offered]
    if node.options:
        return [(o.key, o.label.render(channel, locale, flow.locale, ctx))
                for o in visible_options(node, channel, ctx)]
    return []


def said(engine: Engine, flow: CompiledFlow, node: Node[Any], channel: str, locale: str, msisdn: str,
         variables: Mapping[str, Any]) -> str:
    """What the runtime says on entering ``node``: a waiting state's prompt, another state's own text."""
    session = Session("preview", msisdn, channel, flow.id, flow.version, node.name, locale,  # type: ignore[arg-type]
                      engine.clock.now())
    session.vars = dict(variables)
    turn = Turn(engine.world, session, flow, session.created)
    if node.waiting:
        node.kind.prompt(turn, node)
    elif node.text is not None:  # a message, end, return, send or transfer says (or sends) its own text
        turn.say_node(node)
    sep = "\n" if channel != "ivr" else "" if locale == "zh" else " "
    return sep.join(turn.out)


def state_view(engine: Engine, flow: CompiledFlow, node: Node[Any], locale: str, msisdn: str,
               variables: Mapping[str, Any], diags: list[Diagnostic]) -> dict[str, Any]:
    ctx = {**variables, "msisdn": msisdn, "locale": locale, "flow": flow.id, "authenticated": False}
    view: dict[str, Any] = {"name": node.name, "kind": node.spec.type, "waiting": node.waiting,
                            "diagnostics": [_diag(d) for d in diags]}
    sms = said(engine, flow, node, "sms", locale, msisdn, variables)
    view["sms"] = {"text": sms, "encoding": sms_segments(sms)[0], "segments": sms_segments(sms)[1] if sms else 0}
    ussd = said(engine, flow, node, "ussd", locale, msisdn, variables)
    pages = paginate(ussd, *flow.footers(locale)) if ussd else ()
    view["ussd"] = {"pages": [{"text": p, "units": ussd_units(p)[0], "limit": ussd_units(p)[1]} for p in pages]}
    ivr = said(engine, flow, node, "ivr", locale, msisdn, variables)
    view["ivr"] = {"text": ivr, "options": len(option_pairs(flow, node, "ivr", locale, {**ctx, "channel": "ivr"}))}
    return view


def _diag(d: Diagnostic) -> dict[str, Any]:
    return {"severity": d.severity, "line": d.line, "col": d.col, "message": d.message, "text": str(d)}


async def flow_view(engine: Engine, flow: CompiledFlow, diags: list[Diagnostic], msisdn: str, locale: str
                    ) -> dict[str, Any]:
    """The whole page's data for one flow: states side by side per channel, graph, diagnostics."""
    mine = [d for d in diags if d.file == flow.file]
    variables = await sample_vars(engine, flow, msisdn, locale)
    states = []
    for name, node in flow.nodes.items():
        here = [d for d in mine if d.path[:2] == ("states", name)]
        states.append(state_view(engine, flow, node, locale, msisdn, variables, here))
    general = [_diag(d) for d in mine if d.path[:1] != ("states",) or len(d.path) < 2]
    return {"flow": flow.id, "version": flow.version, "file": flow.file, "locales": list(flow.spec.locales),
            "states": states, "diagnostics": general, "graph": to_mermaid(flow)}
