"""``send``: push an SMS to the subscriber from any channel (IVR短信下行), then go on.

The text goes out as a separate SMS reply, not as part of the answer on the
current channel, so a caller hears the menu while the details arrive by SMS.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

from pydantic import Field

from engine.flow.diagnostics import Diagnostic
from engine.flow.model import CompiledFlow, Node, StateKind, Turn
from engine.flow.spec import StateRef, StateSpec, Text
from engine.states.message import sms_fit


class SendState(StateSpec):
    """Push an SMS to the subscriber from any channel, then go on.

    Example::

        sms_bill:
          type: send
          text: {zh: "您本月账单{{ bill.total }}元", en: "Your bill: {{ bill.total }} yuan"}
          goto: main
    """

    type: Literal["send"]
    text: Text = Field(description="The SMS to push")
    goto: StateRef | None = Field(None, description="Next state; without it the session ends")


class Send(StateKind[SendState]):
    model = SendState

    def ends(self, spec: SendState) -> bool:
        return spec.goto is None

    def lint(self, flow: CompiledFlow, node: Node[SendState]) -> Iterator[Diagnostic]:
        return sms_fit(flow, node)

    async def enter(self, turn: Turn, node: Node[SendState]) -> str | None:
        turn.push_sms(turn.text(node))
        if node.spec.goto is None:
            turn.end()
        return node.spec.goto


KIND = Send()
