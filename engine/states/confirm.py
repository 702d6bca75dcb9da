"""``confirm``: an explicit yes before a paid or irreversible operation (二次确认).

The window opens when the prompt is first shown and survives re-prompts; an
answer after it closes cancels, as the operator's rules require. The yes and
no tokens are the flow's ``confirm:`` settings; the IVR always uses 1 and 2.
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
    text: Text
    goto: StateRef
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
        turn.say_node(node)
        if s.channel == "ivr":
            turn.say_msg("confirm_hint_ivr", yes=IVR_YES, no=IVR_NO, minutes=max(1, window // 60))
        else:
            turn.say_msg("confirm_hint", yes="/".join(cfg.yes[:2]), no=cfg.no[0], minutes=max(1, window // 60))
        turn.wait = CONFIRM_WAIT

    async def feed(self, turn: Turn, node: Node[ConfirmState], text: str) -> None:
        s, cfg = turn.session, turn.flow.spec.confirm
        token = text.upper()
        if s.pending and turn.now > s.pending:
            s.pending = 0.0  # pragma: no mutate (equivalent: None and 0.0 both mean none pending)
            turn.say_msg("expired")
            await self._cancel(turn, node)
        elif token in {t.upper() for t in cfg.yes}:
            s.pending = 0.0  # pragma: no mutate (equivalent: None and 0.0 both mean none pending)
            turn.emit("confirmed")
            await turn.goto(node.spec.goto)
        elif token in {t.upper() for t in cfg.no}:
            s.pending = 0.0  # pragma: no mutate (equivalent: None and 0.0 both mean none pending)
            turn.say_msg("cancelled")
            await self._cancel(turn, node)
        else:
            await turn.invalid(node, "invalid_choice")

    async def give_up(self, turn: Turn, node: Node[ConfirmState]) -> None:
        turn.say_msg("cancelled")
        await self._cancel(turn, node)

    async def _cancel(self, turn: Turn, node: Node[ConfirmState]) -> None:
        if node.spec.cancel:
            await turn.goto(node.spec.cancel)
        else:
            turn.end()


KIND = Confirm()
