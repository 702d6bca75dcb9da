"""Walking a flow from the preview page: a real Engine, the demo backend, a memory store.

Each click is one ``Inbound`` handled exactly as a gateway would hand it over,
so what the page shows is what a subscriber would get.
"""

from __future__ import annotations

from typing import Any

from engine.flow.model import CompiledFlow
from engine.run.engine import Engine
from engine.types import Channel, Inbound
from simulator.preview.render import option_pairs

#: Session keys of the page's walks, apart from any real traffic.
KEY = "preview:{channel}:{msisdn}"


def start_input(flow: CompiledFlow, channel: str) -> tuple[str, str] | None:
    """(text, service code) that starts ``flow`` on ``channel``: its first keyword, USSD code or number."""
    triggers = getattr(flow.spec.triggers, channel)
    if not triggers:
        return None
    if channel == "sms":
        return triggers[0].keywords[0], "10086"
    return "", triggers[0].code


async def step(engine: Engine, flow: CompiledFlow, channel: Channel, msisdn: str, text: str | None
               ) -> dict[str, Any]:
    """Start (``text`` None) or continue a walk; the reply, where it stands and the choices offered there."""
    key = KEY.format(channel=channel, msisdn=msisdn)
    if text is None:
        begin = start_input(flow, channel)
        if begin is None:
            return {"error": f"flow '{flow.id}' has no {channel} trigger to start from"}
        if channel != "sms":
            await engine.handle(Inbound(channel, msisdn, "", "end", key, begin[1]))
        inbound = Inbound(channel, msisdn, begin[0], "input" if channel == "sms" else "begin", key, begin[1])
    else:
        start = start_input(flow, channel)
        inbound = Inbound(channel, msisdn, text, "input", key, start[1] if start else "")
    replies = await engine.handle(inbound)
    reply = replies[0]
    out: dict[str, Any] = {"text": reply.text, "state": reply.meta.get("state"), "flow": reply.meta.get("flow"),
                           "end": reply.wait is None, "pushes": [r.text for r in replies[1:]], "choices": []}
    session = await engine.store.get(inbound.key)
    if session is not None:
        current = engine.registry.get(session.flow, session.version)
        node = current.nodes.get(session.state) if current is not None else None
        if current is not None and node is not None and node.waiting:
            ctx = {**session.vars, "channel": channel, "locale": session.locale, "msisdn": msisdn,
                   "flow": session.flow, "authenticated": session.vars.get("authenticated", False)}
            pairs = option_pairs(current, node, channel, session.locale, ctx, session.counters.get("offset", 0))
            out["choices"] = [{"key": k, "label": label} for k, label in pairs]
    return out
