"""``message`` / ``end``: say something, then continue to ``goto`` or end the session.

Also home of the SMS-length check every kind that says its own text shares:
a text that needs more segments than the profile allows is warned about
before it costs the operator (and the subscriber's patience) several SMS.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Literal

from pydantic import Field

from engine.flow.channels import PROFILES, sms_segments
from engine.flow.diagnostics import Diagnostic
from engine.flow.model import CompiledFlow, Node, StateKind, Turn, warning
from engine.flow.spec import StateRef, StateSpec, Text


class MessageState(StateSpec):
    """Say something; continue to ``goto`` or end the session.

    Example::

        show_balance:
          type: message
          text: {zh: "您的余额为{{ bal.balance }}元", en: "Your balance is {{ bal.balance }} yuan"}
    """

    type: Literal["message", "end"]
    text: Text = Field(description="What to say")
    goto: StateRef | None = Field(None, description="Next state; without it the session ends")


def sms_fit(flow: CompiledFlow, node: Node[Any]) -> Iterator[Diagnostic]:
    """Warn when the state's own static text needs more SMS segments than the profile allows."""
    max_sms = PROFILES["sms"].max_sms_segments
    for loc in flow.spec.locales:
        own = node.text is not None and (("sms", loc) in node.text.by_key or ("", loc) in node.text.by_key)
        if node.text is None or not own:
            continue
        sms = node.text.get("sms", loc, flow.locale)  # pragma: no mutate (equivalent: `own` above means no fallback)
        if sms.static:
            enc, parts = sms_segments(sms.source)
            if parts > max_sms:
                yield warning(flow, ("states", node.name, "text"),
                              f"{loc} SMS text needs {parts} {enc} segments (more than {max_sms})")


class Message(StateKind[MessageState]):
    model = MessageState

    def ends(self, spec: MessageState) -> bool:
        return spec.goto is None

    def lint(self, flow: CompiledFlow, node: Node[MessageState]) -> Iterator[Diagnostic]:
        return sms_fit(flow, node)

    async def enter(self, turn: Turn, node: Node[MessageState]) -> str | None:
        turn.say_node(node)
        if node.spec.goto is None:
            turn.end()
        return node.spec.goto


KIND = Message()
