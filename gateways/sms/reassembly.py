"""Putting concatenated SMS back together, and dropping duplicates.

A long SMS from a handset reaches us as separate deliver_sm PDUs, in any
order, sometimes twice (the SMSC retries when our deliver_sm_resp was late).
The engine must see one text once. Both classes take an injected clock so
expiry is tested without sleeping, and both keep their memory bounded: a set
whose last part never comes is dropped after ``timeout`` (and counted), and
the oldest entries go first when a size cap is reached.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

from engine.clock import Clock
from gateways.sms.codec import ConcatInfo


@dataclass
class PartialMessage:
    """An incomplete concatenated message: what arrived so far, and when."""

    key: str
    ref: int
    total: int
    updated: float
    parts: dict[int, str] = field(default_factory=dict)

    def text(self) -> str:
        """The parts that arrived, in order (missing parts simply absent)."""
        return "".join(self.parts[seq] for seq in sorted(self.parts))


class Reassembler:
    """Collects parts per (sender+destination key, reference, total).

    ``timeout`` counts from the most recent new part, so a slow SMSC that
    trickles parts is not punished; duplicates do not extend the life of a set.
    ``on_expire`` receives each dropped set, so a gateway can record it as
    failed rather than lose it silently.
    """

    def __init__(
        self,
        clock: Clock,
        timeout: float = 120.0,
        *,
        max_pending: int = 10_000,
        on_expire: Callable[[PartialMessage], None] | None = None,
    ) -> None:
        self._clock = clock
        self._timeout = timeout
        self._max_pending = max_pending
        self._on_expire = on_expire
        self._pending: OrderedDict[tuple[str, int, int], PartialMessage] = OrderedDict()
        #: Incomplete sets dropped so far (timed out or pushed out by the cap).
        self.expired = 0

    @property
    def pending(self) -> int:
        return len(self._pending)

    def add(self, key: str, info: ConcatInfo | None, text: str) -> str | None:
        """Record one part; return the whole text once every part is in."""
        if info is None or info.total == 1:
            return text
        self.expire()
        slot = (key, info.ref, info.total)
        partial = self._pending.get(slot)
        if partial is None:
            partial = PartialMessage(key, info.ref, info.total, self._clock.now())
            self._pending[slot] = partial
        elif info.seq in partial.parts:
            return None
        partial.parts[info.seq] = text
        partial.updated = self._clock.now()
        self._pending.move_to_end(slot)
        if len(partial.parts) == info.total:
            del self._pending[slot]
            return partial.text()
        while len(self._pending) > self._max_pending:
            self._drop(next(iter(self._pending)))
        return None

    def expire(self) -> int:
        """Drop sets idle for longer than ``timeout``; return how many went."""
        cutoff = self._clock.now() - self._timeout
        dropped = 0
        while self._pending:
            slot, partial = next(iter(self._pending.items()))
            if partial.updated > cutoff:
                break
            self._drop(slot)
            dropped += 1
        return dropped

    def _drop(self, slot: tuple[str, int, int]) -> None:
        partial = self._pending.pop(slot)
        self.expired += 1
        if self._on_expire is not None:
            self._on_expire(partial)


class Deduper:
    """Remembers keys (e.g. SMSC message ids) for ``ttl`` seconds.

    Entries are kept in arrival order, so purging old ones is a walk from the
    front that stops at the first young entry: cheap on every call.
    """

    def __init__(self, clock: Clock, ttl: float, *, max_entries: int = 100_000) -> None:
        self._clock = clock
        self._ttl = ttl
        self._max_entries = max_entries
        self._seen: OrderedDict[str, float] = OrderedDict()

    def __len__(self) -> int:
        return len(self._seen)

    def seen(self, key: str) -> bool:
        """True if ``key`` was recorded within ``ttl``; otherwise record it now."""
        now = self._clock.now()
        cutoff = now - self._ttl
        while self._seen:
            oldest, at = next(iter(self._seen.items()))
            if at > cutoff and len(self._seen) < self._max_entries:
                break
            del self._seen[oldest]
        if key in self._seen:
            return True
        self._seen[key] = now
        return False
