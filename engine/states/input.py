"""``input``: free text or digits into a session variable, validated and normalised.

A phone number becomes E.164 digits, an amount two decimals, so the backend
gets one spelling whatever the subscriber typed (full-width digits included).
A ``secret`` input (service password, OTP) is never echoed, recorded or
logged, lives only for the turn it is typed in (the states it runs into check
it, then the turn wipes it before the session is saved), and navigation keys
typed there are taken as input, not as "back".
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Mapping
from decimal import Decimal, InvalidOperation
from typing import Literal

from pydantic import Field

from engine.flow.building import Building
from engine.flow.diagnostics import Diagnostic, Path
from engine.flow.model import CompiledFlow, Edge, Node, StateKind, Turn
from engine.flow.spec import StateRef, StateSpec, Text, VarName
from engine.ports.backend import OperationInfo
from engine.ports.events import MASK
from engine.states.message import sms_fit
from engine.types import Wait

_PHONE = re.compile(r"^(?:\+?86)?(1[3-9]\d{9})$")
_AMOUNT = re.compile(r"^\d+(?:\.\d{1,2})?$")
#: Digits an IVR collects when the state does not say: an 11-digit mobile number, or up to 20.
PHONE_DIGITS, DEFAULT_DIGITS = 11, 20


class InputState(StateSpec):
    """Free text or digits into a session variable, with validation.

    Example::

        ask_amount:
          type: input
          text: {zh: 请输入充值金额（元）, en: Enter the amount in yuan}
          var: amount
          kind: amount
          min: 1
          max: 500
          goto: confirm_topup
    """

    type: Literal["input"]
    text: Text = Field(description="The prompt")
    var: VarName = Field(description="Variable that receives the accepted value")
    kind: Literal["text", "digits", "phone", "amount"] = Field(
        "text", description="`phone` normalises to 86…; `amount` to two decimals")
    pattern: str | None = Field(None, description="Regular expression the whole input must match")
    min_length: int | None = Field(None, ge=0, description="Fewest characters accepted")
    max_length: int | None = Field(None, ge=1, description="Most characters accepted")
    min: float | None = Field(None, description="Smallest value (`digits`, `amount`)")
    max: float | None = Field(None, description="Largest value (`digits`, `amount`)")
    secret: bool = Field(False, description="Never echoed, logged or recorded (passwords, OTPs)")
    error: Text | None = Field(None, description="Hint said before re-prompting after an invalid input")
    retries: int | None = Field(None, ge=1, le=10, description="Invalid inputs before giving up; default the flow's")
    fallback: StateRef | None = Field(None, description="Where to go after too many invalid inputs")
    max_digits: int | None = Field(None, ge=1, le=32, description="IVR: digits to collect (default: max_length, "
                                   "11 for `phone`, else 20)")
    goto: StateRef = Field(description="Next state once the input is accepted")


def validate_input(node: Node[InputState], raw: str) -> str | None:
    """The accepted value, or None when the input breaks a rule of the state."""
    st = node.spec
    text = unicodedata.normalize("NFKC", raw).strip()
    if st.kind == "digits" and not text.isdigit():
        return None
    if st.kind == "phone":
        m = _PHONE.match(text.replace(" ", "").replace("-", ""))
        if m is None:
            return None
        text = "86" + m.group(1)
    if st.kind == "amount":
        if not _AMOUNT.match(text):
            return None
        try:
            value = Decimal(text)
        except InvalidOperation:
            return None
        if (st.min is not None and value < Decimal(str(st.min))) or (
            st.max is not None and value > Decimal(str(st.max))
        ):
            return None
        text = f"{value:.2f}"
    if st.min_length is not None and len(text) < st.min_length:
        return None
    if st.max_length is not None and len(text) > st.max_length:
        return None
    if st.kind == "digits" and (st.min is not None or st.max is not None):
        n = int(text)
        if (st.min is not None and n < st.min) or (st.max is not None and n > st.max):
            return None
    if node.pattern is not None and node.pattern.fullmatch(text) is None:
        return None
    return text


def wait_for(st: InputState) -> Wait:
    digits = st.kind in ("digits", "phone", "amount")
    max_digits = st.max_digits or st.max_length or (PHONE_DIGITS if st.kind == "phone" else DEFAULT_DIGITS)
    return Wait("digits" if digits else "text", max_digits=max_digits, secret=st.secret)


class Input(StateKind[InputState]):
    model = InputState
    waiting = True
    holds_text = True
    shape = ("[/", "/]", "parallelogram")

    def edges(self, name: str, spec: InputState) -> Iterator[Edge]:
        yield Edge(("states", name, "goto"), spec.goto)
        if spec.fallback:
            yield Edge(("states", name, "fallback"), spec.fallback, "too many tries")

    def defines_along(self, name: str, spec: InputState, edge: Edge, operations: Mapping[str, OperationInfo]
                      ) -> Iterator[str]:
        if edge.label != "too many tries":
            yield spec.var

    def graph_edges(self, flow: CompiledFlow, node: Node[InputState]) -> list[tuple[str, str]]:
        return list(reversed(super().graph_edges(flow, node)))  # pragma: no mutate (equivalent: the base ignores flow)

    def texts(self, name: str, spec: InputState) -> Iterator[tuple[Path, Text]]:
        yield from super().texts(name, spec)
        if spec.error is not None:
            yield ("states", name, "error"), spec.error

    def defines(self, name: str, spec: InputState) -> Iterator[tuple[Path, str]]:
        yield ("states", name, "var"), spec.var

    def secret_vars(self, spec: InputState) -> Iterator[str]:
        if spec.secret:
            yield spec.var

    def compile(self, b: Building, name: str, spec: InputState) -> Node[InputState]:
        base: Path = ("states", name)
        text = b.text((*base, "text"), spec.text)
        error = b.text((*base, "error"), spec.error) if spec.error is not None else None
        pattern = b.regex((*base, "pattern"), spec.pattern) if spec.pattern else None
        static = all(t.static for t in text.by_key.values())
        return Node(name, self, spec, text, pattern=pattern, error=error, edges=self.targets(name, spec),
                    static=static)

    def lint(self, flow: CompiledFlow, node: Node[InputState]) -> Iterator[Diagnostic]:
        return sms_fit(flow, node)

    async def enter(self, turn: Turn, node: Node[InputState]) -> str | None:
        self.prompt(turn, node)
        return None

    def prompt(self, turn: Turn, node: Node[InputState]) -> None:
        turn.say_node(node)
        turn.wait = wait_for(node.spec)

    async def feed(self, turn: Turn, node: Node[InputState], text: str) -> None:
        value = validate_input(node, text)
        if value is None:
            await turn.invalid(node, "invalid_input")
            return
        turn.session.vars[node.spec.var] = value
        if node.spec.secret:  # used by the states this input runs into, then wiped with the turn
            turn.note_secret([node.spec.var])
        turn.changed()
        await turn.goto(node.spec.goto)

    def retries(self, spec: InputState) -> int | None:
        return spec.retries

    def fallback_state(self, spec: InputState) -> str | None:
        return spec.fallback

    def navigable(self, node: Node[InputState]) -> bool:
        return not node.spec.secret  # "0" may be a digit of the password, not "back"

    def shown_input(self, node: Node[InputState], text: str) -> str:
        return MASK if node.spec.secret else text


KIND = Input()
