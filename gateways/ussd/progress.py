"""What the gateway remembers per USSD session between two webhook calls.

Two facts need memory: for cumulative dialects, the text already fed to the
engine (so only the newest input goes in); and the last answer, so a gateway
retry gets the same screen again instead of a second engine step. The store is
a port (get / set / delete with a TTL): memory here, Redis for scale-out.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Protocol

from engine.clock import Clock, SystemClock


@dataclass(frozen=True, slots=True)
class SessionProgress:
    """The gateway's record of one USSD session (the engine keeps its own)."""

    msisdn: str
    service_code: str
    #: Cumulative text consumed so far (Africa's Talking); "" for other dialects.
    consumed: str
    #: ``retry_key`` of the request the cached answer belongs to.
    retry_key: str | None
    #: The last answer, repeated verbatim on a retry.
    text: str
    more: bool
    #: Locale of the last engine reply: the gateway's own texts follow it.
    locale: str

    def dumps(self) -> bytes:
        # Spelled out: ``dataclasses.asdict`` deep-copies every field, a tenth of a Redis-backed request.
        fields = {
            "msisdn": self.msisdn,
            "service_code": self.service_code,
            "consumed": self.consumed,
            "retry_key": self.retry_key,
            "text": self.text,
            "more": self.more,
            "locale": self.locale,
        }
        return json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode()

    @classmethod
    def loads(cls, blob: bytes) -> SessionProgress:
        return cls(**json.loads(blob))


class ProgressStore(Protocol):
    async def get(self, key: str) -> SessionProgress | None:
        """The record for ``key``, or None when absent or expired."""
        ...

    async def set(self, key: str, value: SessionProgress, ttl: float) -> None:
        """Save ``value``; it expires ``ttl`` seconds after now."""
        ...

    async def delete(self, key: str) -> None: ...


#: A record flattened to a tuple of strings, bools and floats (expiry first).
_Row = tuple[float, str, str, str, "str | None", str, bool, str]


class MemoryProgressStore:
    """In-process store; expired records vanish on read and in a periodic sweep.

    Records are kept as flat tuples of atoms, which the garbage collector stops
    tracking: with tens of thousands of live sessions, tracked objects made each
    full collection a ~50 ms pause, visible in the p99 latency.
    """

    _SWEEP_EVERY = 1024

    def __init__(self, clock: Clock | None = None) -> None:
        self._clock = clock or SystemClock()
        self._data: dict[str, _Row] = {}
        self._writes = 0

    async def get(self, key: str) -> SessionProgress | None:
        row = self._data.get(key)
        if row is None:
            return None
        if row[0] <= self._clock.now():
            del self._data[key]
            return None
        return SessionProgress(*row[1:])

    async def set(self, key: str, value: SessionProgress, ttl: float) -> None:
        v = value
        row = (self._clock.now() + ttl, v.msisdn, v.service_code, v.consumed, v.retry_key, v.text, v.more, v.locale)
        self._data[key] = row
        self._writes += 1
        if self._writes % self._SWEEP_EVERY == 0:
            self.purge()

    async def delete(self, key: str) -> None:
        self._data.pop(key, None)

    def purge(self) -> int:
        now = self._clock.now()
        dead = [k for k, row in self._data.items() if row[0] <= now]
        for k in dead:
            del self._data[k]
        return len(dead)

    def __len__(self) -> int:
        return len(self._data)


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


class KeyedLocks:
    """One asyncio lock per session key, dropped when nobody holds or waits for it.

    A retry that arrives while the original is still being answered waits
    here, then finds the cached answer instead of feeding the input twice.
    """

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        lock, users = self._locks.get(key, (None, 0))
        if lock is None:
            lock = asyncio.Lock()
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users > 1:
                self._locks[key] = (lock, users - 1)
            else:
                del self._locks[key]

    def users(self, key: str) -> int:
        """Requests holding or waiting for ``key`` (0 when idle)."""
        return self._locks.get(key, (None, 0))[1]

    def __len__(self) -> int:
        return len(self._locks)
