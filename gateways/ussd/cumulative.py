"""Cumulative texts (Africa's Talking sends every input so far, joined by '*') → the one new input.

The engine must see each input once, so the gateway strips what it already fed.
What it remembers of that text is a keyed fingerprint (length and HMAC), never
the text: the cumulative text carries every digit typed, service password
included, and the progress record sits in Redis for the session's 180 s.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets

#: Every ``serve --workers`` process must agree on it (the supervisor hands one down through
#: MENUFLOW_STATE_KEY); a lone process makes its own. Without the key a fingerprint cannot be
#: brute-forced back into the digits (a bare hash of "4*1*123456" could, in a million tries).
_KEY = bytes.fromhex(os.environ.get("MENUFLOW_STATE_KEY", "")) or secrets.token_bytes(32)


def fingerprint(text: str) -> str:
    """``len:hmac`` of ``text`` ("" for ""), compared instead of the text itself."""
    if not text:
        return ""
    mac = hmac.new(_KEY, text.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()[:32]
    return f"{len(text)}:{mac}"


def newest_input(text: str, consumed: str | None) -> tuple[str, bool]:
    """(newest input, whether ``text`` extended the text fingerprinted as ``consumed`` as expected).

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
    size, _, _ = consumed.partition(":")
    n = int(size) if size.isdigit() else -1
    if 0 < n < len(text) and text[n] == "*" and hmac.compare_digest(fingerprint(text[:n]), consumed):
        return text[n + 1 :], True
    return text.rsplit("*", 1)[-1], False
