"""EngineEvent → EventRecord: the subscriber as a keyed hash, and only the fields analytics need.

The log keeps a whitelist per kind rather than dropping known-bad fields: a
field added to an event later (a result, a rendered text) stays out of the
durable log until someone decides it belongs there. Masked secrets never
arrive here in clear (the engine masks them), and SMS texts are reduced to
their length. An invalid input of six digits or more is masked too: a password
typed into a menu is still a password.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from typing import Any

from engine.ports.events import MASK, EngineEvent, EventRecord

#: Per kind, the ``data`` fields the log keeps.
KEPT: dict[str, tuple[str, ...]] = {
    "invalid": ("count", "text"),
    "noinput": ("count",),
    "confirm_answered": ("answer",),
    "call": ("op", "category", "business", "ok", "ms", "failure", "code"),
    "transfer": ("target",),
    "agent_unavailable": ("reason", "waited", "target"),
    "offer_shown": ("offer",),
    "offer_accepted": ("offer",),
    "rating": ("survey", "score"),
    "end": ("reason",),
    "failed": ("reason",),
}
#: Kinds the log keeps: what the analytics read. Each input is already told by the state it led to
#: (or by ``invalid``), so ``input`` stays out: it would double the log for nothing the report uses.
LOGGED = frozenset({"session", "state", "confirm_asked", "push", *KEPT})
#: Longest invalid input kept (what people mistype is short; a pasted paragraph is not needed).
MAX_TEXT = 32
#: Six digits or more typed where a menu choice was expected may be a password, a code or a phone
#: number typed in the wrong place: the engine cannot know, so the log masks them.
_LONG_DIGITS = re.compile(r"\d{6,}")
#: Shared by records that keep no data (records are never mutated).
_NO_DATA: dict[str, Any] = {}
_new = tuple.__new__
#: Hashes remembered before the cache starts over (one per live subscriber and session).
CACHE = 50_000


def subscriber_hash(key: bytes, msisdn: str) -> str:
    """The keyed hash that stands for a subscriber in the log (and that ``menuflow journey`` looks up)."""
    return hmac.new(key, msisdn.encode(), hashlib.sha256).hexdigest()[:32]


class Recorder:
    """Turns engine events into log records; ``raw_msisdn`` keeps numbers in clear (operator's choice)."""

    def __init__(self, key: bytes, *, raw_msisdn: bool = False) -> None:
        self.key = key
        self.raw_msisdn = raw_msisdn
        self._subscribers: dict[str, str] = {}
        self._sessions: dict[tuple[str, float], str] = {}

    def subscriber(self, msisdn: str) -> str:
        if not msisdn or self.raw_msisdn:
            return msisdn
        got = self._subscribers.get(msisdn)
        if got is None:
            if len(self._subscribers) >= CACHE:
                self._subscribers.clear()
            got = self._subscribers[msisdn] = subscriber_hash(self.key, msisdn)
        return got

    def session(self, key: str, started: float) -> str:
        got = self._sessions.get((key, started))
        if got is None:
            if len(self._sessions) >= CACHE:
                self._sessions.clear()
            # keyed BLAKE2b (one C call), not HMAC-SHA256 (two hash objects): this runs once per session
            digest = hashlib.blake2b(f"{key}|{started!r}".encode(), key=self.key[:64], digest_size=12).hexdigest()
            got = self._sessions[(key, started)] = digest
        return got

    def record(self, e: EngineEvent) -> EventRecord:
        """The log's line for ``e``; runs once per logged event, so it is kept lean (no frame for the
        named tuple's ``__new__``, no dict for kinds that keep no data)."""
        kept = KEPT.get(e.kind)
        data: dict[str, Any] = _NO_DATA
        if kept is not None:
            data = {k: e.data[k] for k in kept if k in e.data}
            if "text" in data:
                data["text"] = _LONG_DIGITS.sub(MASK, str(data["text"])[:MAX_TEXT])
        elif e.kind == "push":
            data = {"length": len(str(e.data.get("text", "")))}
        session = (self._sessions.get((e.session_key, e.started)) or self.session(e.session_key, e.started)
                   if e.started else "")
        subscriber = self._subscribers.get(e.msisdn) or self.subscriber(e.msisdn)
        return _new(EventRecord, (e.at, e.kind, e.channel, subscriber, session, e.flow, e.state, data))
