"""A known event set whose every report figure is worked out by hand in test_figures.py.

Two days from 2025-06-01 00:00 UTC; subscribers a, b, c; five sessions:
s1 a ussd completed (60 s): a balance query, a top-up (business), confirmed;
s2 b sms abandoned at pkg (30 s): two invalid inputs at main, a subscribe (business);
s3 c ivr transferred (90 s, day 2): password check, a top-up that timed out, an SMS, an offer; no agent
   answered within the threshold (reported 125 s after the transfer);
s4 a sms timed out at pkg (20 s of activity, SMS sessions live 600 s);
s5 b ussd still open (began 50 s before the period ends).
"""

from __future__ import annotations

from typing import Any

from engine.ports.events import EventRecord

T0 = 1_748_736_000.0  # 2025-06-01 00:00 UTC
DAY = 86_400.0
UNTIL = T0 + 2 * DAY


def _r(at: float, kind: str, channel: str, who: str, session: str, state: str = "", **data: Any) -> EventRecord:
    return EventRecord(at, kind, channel, who, session, "main", state, data)


def call(at: float, channel: str, who: str, session: str, op: str, category: str, business: bool,
         ok: bool = True, failure: str = "", ms: float = 20.0) -> EventRecord:
    data: dict[str, Any] = {"op": op, "category": category, "business": business, "ok": ok, "ms": ms}
    if not ok:
        data |= {"failure": failure, "code": ""}
    return _r(at, "call", channel, who, session, op, **data)


def known_events() -> list[EventRecord]:
    s1 = T0 + 100
    s2 = T0 + 200
    s3 = T0 + DAY + 10
    s4 = T0 + DAY + 500
    s5 = UNTIL - 50
    return [
        _r(s1, "session", "ussd", "a", "s1", "main"), _r(s1, "state", "ussd", "a", "s1", "main"),
        _r(s1 + 5, "state", "ussd", "a", "s1", "balance"),
        call(s1 + 6, "ussd", "a", "s1", "balance", "query", False),
        _r(s1 + 20, "state", "ussd", "a", "s1", "topup"),
        _r(s1 + 21, "confirm_asked", "ussd", "a", "s1", "topup"),
        _r(s1 + 30, "confirm_answered", "ussd", "a", "s1", "topup", answer="yes"),
        call(s1 + 31, "ussd", "a", "s1", "topup", "payment", True, ms=40.0),
        _r(s1 + 60, "end", "ussd", "a", "s1", "topup", reason="done"),
        _r(s2, "session", "sms", "b", "s2", "main"), _r(s2, "state", "sms", "b", "s2", "main"),
        _r(s2 + 5, "invalid", "sms", "b", "s2", "main", count=1, text="9"),
        _r(s2 + 9, "invalid", "sms", "b", "s2", "main", count=2, text="x"),
        _r(s2 + 15, "state", "sms", "b", "s2", "pkg"),
        call(s2 + 16, "sms", "b", "s2", "subscribe", "package", True),
        _r(s2 + 30, "end", "sms", "b", "s2", "pkg", reason="abort"),
        _r(s3, "session", "ivr", "c", "s3", "main"), _r(s3, "state", "ivr", "c", "s3", "main"),
        call(s3 + 5, "ivr", "c", "s3", "verify_password", "auth", False),
        call(s3 + 30, "ivr", "c", "s3", "topup", "payment", True, ok=False, failure="timeout", ms=2000.0),
        _r(s3 + 31, "state", "ivr", "c", "s3", "busy"),
        _r(s3 + 40, "push", "ivr", "c", "s3", "busy", length=30),
        _r(s3 + 50, "offer_shown", "ivr", "c", "s3", "busy", offer="X"),
        _r(s3 + 60, "offer_shown", "ivr", "c", "s3", "busy", offer="X"),
        _r(s3 + 70, "offer_accepted", "ivr", "c", "s3", "busy", offer="X"),
        _r(s3 + 80, "rating", "ivr", "c", "s3", "busy", survey="csat", score=4),
        _r(s3 + 85, "rating", "ivr", "c", "s3", "busy", survey="csat", score=5),
        _r(s3 + 89, "transfer", "ivr", "c", "s3", "busy", target="agents"),
        _r(s3 + 90, "end", "ivr", "c", "s3", "busy", reason="transfer"),
        _r(s3 + 214, "agent_unavailable", "ivr", "c", "s3", "busy", reason="timeout", waited=125, target="agents"),
        _r(s4, "session", "sms", "a", "s4", "main"), _r(s4, "state", "sms", "a", "s4", "main"),
        _r(s4 + 20, "state", "sms", "a", "s4", "pkg"),
        _r(s5, "session", "ussd", "b", "s5", "main"), _r(s5, "state", "ussd", "b", "s5", "main"),
    ]
