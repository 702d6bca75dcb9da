"""Cumulative texts (Africa's Talking sends every input so far, joined by '*') → the one new input.

The engine must see each input once, so the gateway strips what it already fed.
"""

from __future__ import annotations


def newest_input(text: str, consumed: str | None) -> tuple[str, bool]:
    """(newest input, whether ``text`` extended ``consumed`` as expected).

    The known prefix is stripped rather than the text split on '*', so an
    input that itself contains '*' (a subscriber typing ``*123``) survives.
    A text that does not extend the prefix (a gateway that rewrote its path),
    or an unknown prefix (``None``: the record expired, or another worker
    answered the previous step), falls back to its last '*'-segment.
    """
    if consumed is None:
        return text.rsplit("*", 1)[-1], False
    if not consumed:
        return text, True
    if text.startswith(consumed + "*"):
        return text[len(consumed) + 1 :], True
    return text.rsplit("*", 1)[-1], False
