"""Input validators: what an ``input`` state accepts, normalised for the backend."""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation

from engine.flow import Node

_PHONE = re.compile(r"^(?:\+?86)?(1[3-9]\d{9})$")
_AMOUNT = re.compile(r"^\d+(?:\.\d{1,2})?$")


def validate_input(node: Node, raw: str) -> str | None:
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
