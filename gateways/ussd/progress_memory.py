"""The USSD progress store for a single process (no Redis configured)."""

from __future__ import annotations

from engine.clock import Clock, SystemClock
from gateways.ussd.progress import SessionProgress

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
