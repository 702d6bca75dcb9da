"""``confirm``: an explicit yes before a paid or irreversible operation (二次确认).

The window opens when the prompt is first shown and survives re-prompts; an
answer after it closes cancels, as the operator's rules require. The yes and
no tokens are the flow's ``confirm:`` settings, listed in the hint exactly as
configured; a keypad (IVR, and USSD's numbered screen "1. 确认 2. 取消")
always takes 1 and 2 as well. A "no" or an expiry says one thing: the flow's
own ``cancel:`` text when it has one, else the engine's built-in text.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

from pydantic import Field

from engine.flow.diagnostics import Diagnostic
from engine.flow.model import CompiledFlow, Edge, Node, StateKind, Turn
from engine.flow.spec import StateRef, StateSpec, Text
from engine.states.message import sms_fit
from engine.types import Wait

IVR_YES, IVR_NO = "1", "2"
CONFIRM_WAIT = Wait("choice", max_digits=1, barge_in=False)


def shown_tokens(tokens: list[str], locale: str) -> list[str]:
    """The reply tokens to name in the hint: outside Chinese, the ASCII ones when there are any.

    "Reply 是/Y" in an English SMS makes the whole message UCS2 (70 characters instead of 160, and
    on USSD it pushed the yes/no instructions to a second page); every token is still accepted.
    """
    if locale == "zh":
        return tokens
    return [t for t in tokens if t.isascii()] or tokens


class ConfirmState(StateSpec):
    """Explicit yes before a paid or irreversible operation.

    Example::

        confirm_sub:
          type: confirm
          text: {zh: "确认订购{{ pkg }}？", en: "Subscribe to {{ pkg }}?"}
          goto: do_subscribe
          cancel: main
    """

    type: Literal["confirm"]
    text: Text = Field(description="The question; the channel's yes/no hint is added")
    goto: StateRef = Field(description="Where yes leads")
    cancel: StateRef | None = Field(None, description="Where 'no' or expiry leads; default: end")
    window: int | None = Field(None, ge=10, le=86400, description="Seconds to confirm; default flow's")


class Confirm(StateKind[ConfirmState]):
    model = ConfirmState
    waiting = True
    holds_text = True
    guards_payment = True
    shape = ("{{", "}}", "diamond")

    def edges(self, name: str, spec: ConfirmState) -> Iterator[Edge]:
        yield Edge(("states", name, "goto"), spec.goto, "yes")
        if spec.cancel:
            yield Edge(("states", name, "cancel"), spec.cancel, "no / expired")

    def graph_edges(self, flow: CompiledFlow, node: Node[ConfirmState]) -> list[tuple[str, str]]:
        return list(reversed(super().graph_edges(flow, node)))  # pragma: no mutate (equivalent: the base ignores flow)

    def lint(self, flow: CompiledFlow, node: Node[ConfirmState]) -> Iterator[Diagnostic]:
        return sms_fit(flow, node)

    async def enter(self, turn: Turn, node: Node[ConfirmState]) -> str | None:
        self.prompt(turn, node)
        return None

    def prompt(self, turn: Turn, node: Node[ConfirmState]) -> None:
        s, cfg = turn.session, turn.flow.spec.confirm
        window = node.spec.window or cfg.window
        if not s.pending:
            s.pending = turn.now + window
            turn.emit("confirm_asked")
        turn.say_node(node)
        minutes = max(1, window // 60)
        if s.channel == "ivr":
            turn.say_msg("confirm_hint_ivr", yes=IVR_YES, no=IVR_NO, minutes=minutes)
        elif s.channel == "ussd":
            turn.say_msg("confirm_choices", yes=IVR_YES, no=IVR_NO, minutes=minutes)
        else:
            yes, no = shown_tokens(cfg.yes, s.locale), shown_tokens(cfg.no, s.locale)
            turn.say_msg("confirm_hint", yes="/".join(yes), no="/".join(no), minutes=minutes)
        turn.wait = CONFIRM_WAIT

    async def feed(self, turn: Turn, node: Node[ConfirmState], text: str) -> None:
        s, cfg = turn.session, turn.flow.spec.confirm
        token = text.upper()
        keypad = s.channel in ("ivr", "ussd")
        if s.pending and turn.now > s.pending:
            s.pending = 0.0  # pragma: no mutate (equivalent: None and 0.0 both mean none pending)
            turn.emit("confirm_answered", answer="expired")
            await self._cancel(turn, node, "expired")
        elif token in {t.upper() for t in cfg.yes} or (keypad and token == IVR_YES):
            s.pending = 0.0  # pragma: no mutate (equivalent: None and 0.0 both mean none pending)
            turn.emit("confirm_answered", answer="yes")
            await turn.goto(node.spec.goto)
        elif token in {t.upper() for t in cfg.no} or (keypad and token == IVR_NO):
            s.pending = 0.0  # pragma: no mutate (equivalent: None and 0.0 both mean none pending)
            turn.emit("confirm_answered", answer="no")
            await self._cancel(turn, node, "cancelled")
        else:
            await turn.invalid(node, "invalid_choice")

    async def give_up(self, turn: Turn, node: Node[ConfirmState]) -> None:
        turn.emit("confirm_answered", answer="gave_up")
        await self._cancel(turn, node, "cancelled")

    async def _cancel(self, turn: Turn, node: Node[ConfirmState], message: str) -> None:
        """One message: a ``cancel:`` state that says something and moves on speaks for itself.

        Before a menu (which only asks) or the end, the built-in text says what happened.
        """
        # pragma: no mutate start (equivalent: no state is named None)
        target = turn.flow.nodes.get(node.spec.cancel) if node.spec.cancel else None
        # pragma: no mutate end
        if target is None or target.waiting or target.text is None:
            turn.say_msg(message)
        if node.spec.cancel:
            await turn.goto(node.spec.cancel)
        else:
            turn.end()


KIND = Confirm()
