"""``offer``: at most one package recommended at a touchpoint (after a balance, bill or data query).

Which offer, and whether one at all, is the backend's decision (its ``offers``
operation applies the rules, the weekly cap, the decline period and the
per-channel switch), so marketing changes rules without a flow release and
every channel shows the same offer. The state only shows it in the channel's
form (an SMS line "回复KT开通…", a USSD option, an IVR "办理请按1") and routes
the answer (on SMS the reply code or a plain yes such as 是/Y, since the
confirmation follows anyway): acceptance goes to ``accept``, which in the demo leads through the
service password and the usual confirmation; anything else is a decline.
Marketing never stands between a subscriber and the answer they asked for: no
offer, a switched-off channel or a failing backend simply continue to ``goto``.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from typing import Literal

from pydantic import Field

from engine.flow.diagnostics import Path
from engine.flow.model import CompiledFlow, Edge, Node, StateKind, Turn
from engine.flow.spec import ChannelName, StateRef, StateSpec, VarName, normalize_command
from engine.ports.backend import BackendFailure
from engine.types import Wait

OFFER_WAIT = Wait("choice", max_digits=1)
ACCEPT_KEY = "1"


class OfferState(StateSpec):
    """Recommend at most one offer from the backend; accepting leads to ``accept``.

    Example::

        balance_offer:
          type: offer
          touchpoint: balance
          accept: take_offer
          goto: after_query
    """

    type: Literal["offer"]
    touchpoint: str = Field(description="Where the offer is made (balance, bill, data...): the backend's rules "
                            "pick by it")
    accept: StateRef = Field(description="Where acceptance leads (the offer is in the `result` variable)")
    goto: StateRef = Field(description="Where a decline, no offer or a failing backend lead")
    result: VarName = Field("offer", description="Variable for the offer: id, package, reply, name_zh, "
                            "name_en, price")
    channels: list[ChannelName] | None = Field(None, description="Make offers only on these channels")


class Offer(StateKind[OfferState]):
    model = OfferState
    waiting = True
    shape = ("{{", "}}", "diamond")

    def edges(self, name: str, spec: OfferState) -> Iterator[Edge]:
        yield Edge(("states", name, "accept"), spec.accept, "accepted")
        yield Edge(("states", name, "goto"), spec.goto, "no offer / declined")

    def defines(self, name: str, spec: OfferState) -> Iterator[tuple[Path, str]]:
        yield ("states", name, "result"), spec.result

    def operation(self, spec: OfferState) -> str | None:
        return "offers"

    def label(self, flow: CompiledFlow, node: Node[OfferState]) -> str:
        return f"{node.name}: offer at {node.spec.touchpoint}"

    async def enter(self, turn: Turn, node: Node[OfferState]) -> str | None:
        st, s = node.spec, turn.session
        if st.channels is not None and s.channel not in st.channels:
            return st.goto
        params = {"touchpoint": st.touchpoint}
        started = time.perf_counter()
        try:
            data = await turn.call_backend("offers", params)
        except BackendFailure as exc:
            ms = round((time.perf_counter() - started) * 1000, 2)  # pragma: no mutate (equivalent: wall-clock time)
            turn.emit("call", op="offers", params=params, ok=False, ms=ms, failure=exc.kind, code=exc.code)
            return st.goto
        offer = data.get("offer")
        if not isinstance(offer, dict) or not offer.get("id"):
            return st.goto
        s.vars[st.result] = offer
        turn.changed()
        turn.emit("offer_shown", offer=offer["id"], package=offer.get("package"), touchpoint=st.touchpoint)
        self.prompt(turn, node)
        return None

    def prompt(self, turn: Turn, node: Node[OfferState]) -> None:
        s = turn.session
        offer = s.vars.get(node.spec.result) or {}
        name = offer.get(f"name_{s.locale}") or offer.get("name_zh", "")
        turn.say_msg(f"offer_{s.channel}", name=name, price=offer.get("price", ""), reply=offer.get("reply", ""))
        turn.wait = OFFER_WAIT

    async def feed(self, turn: Turn, node: Node[OfferState], text: str) -> None:
        st, s = node.spec, turn.session
        offer = s.vars.get(st.result) or {}
        if s.channel == "sms":  # the reply code, or a plain yes: the confirmation still follows either way
            tokens = {str(offer.get("reply", "")), *turn.flow.spec.confirm.yes} - {""}
        else:
            tokens = {ACCEPT_KEY}
        accepted = normalize_command(text) in {normalize_command(t) for t in tokens}
        outcome = "accepted" if accepted else "declined"
        turn.emit(f"offer_{outcome}", offer=offer.get("id"), package=offer.get("package"),
                  touchpoint=st.touchpoint)
        with contextlib.suppress(BackendFailure):  # losing one record must not lose the subscriber's answer
            await turn.call_backend("offer_reply", {"offer": offer.get("id"), "outcome": outcome})
        await turn.goto(st.accept if accepted else st.goto)

    async def give_up(self, turn: Turn, node: Node[OfferState]) -> None:
        """Silence on the IVR is no answer, not a reason for an agent: move on."""
        await turn.goto(node.spec.goto)


KIND = Offer()
