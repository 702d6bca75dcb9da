"""Small counters that every worker must agree on: MO dedupe ids and rate limits.

An SMSC redelivers a deliver_sm it thinks was lost; with several SMPP binds in
several processes the repeat can land on another process, so "seen this
message id?" must be answered in one place. The same holds for "how many
requests did this subscriber make this minute?". ``MemorySharedState`` answers
for one process (and follows the injected clock); ``RedisSharedState`` answers
for all of them with ``SET NX PX`` and ``INCR`` + ``PEXPIRE NX`` in one
transaction, so a crash between the two never leaves a counter without expiry.
Each mark and counter is one key, so on Redis Cluster they spread over all
primaries and every process still agrees.
"""

from __future__ import annotations

import math

from engine.clock import Clock, SystemClock
from engine.ports.shared import SharedState
from engine.store.loader import store_kind
from engine.store.redis_conn import Client, open_conn


class MemorySharedState:
    """One process's answer; expired entries are swept at most once a minute."""

    SWEEP_EVERY = 60.0

    def __init__(self, clock: Clock | None = None) -> None:
        self._clock = clock or SystemClock()
        self._seen: dict[str, float] = {}
        self._counts: dict[str, tuple[float, int]] = {}
        self._next_sweep = self._clock.now() + self.SWEEP_EVERY

    async def first_seen(self, ident: str, ttl: float) -> bool:
        now = self._sweep()
        expires = self._seen.get(ident)
        if expires is not None and expires > now:
            return False
        self._seen[ident] = now + ttl
        return True

    async def hit(self, name: str, window: float) -> int:
        now = self._sweep()
        closes, count = self._counts.get(name, (0.0, 0))
        if closes <= now:
            closes, count = now + window, 0
        self._counts[name] = (closes, count + 1)
        return count + 1

    def _sweep(self) -> float:
        now = self._clock.now()
        if now >= self._next_sweep:
            self._seen = {k: t for k, t in self._seen.items() if t > now}
            self._counts = {k: v for k, v in self._counts.items() if v[0] > now}
            self._next_sweep = now + self.SWEEP_EVERY
        return now

    async def close(self) -> None:
        self._seen.clear()
        self._counts.clear()


# KEYS[1] counter; ARGV[1] window ms. One call, so that it can ride in an auto-pipelined batch
# (a MULTI there would wrap other callers' commands); the window starts with its first hit.
_HIT = """
local n = redis.call('INCR', KEYS[1])
if redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n
"""


class RedisSharedState:
    """The answer shared by every process using the same Redis and prefix (server time).

    Its commands share an ``AutoPipeline``: each MO may add a dedupe mark and
    a rate count, which then leave with the other concurrent MOs' commands.
    """

    def __init__(self, url: str, *, prefix: str = "mf:") -> None:
        self._conn = open_conn(url)
        self._redis = self._conn.client
        self._pipe = self._conn.pipe
        self._hit = self._redis.register_script(_HIT)
        self._prefix = prefix

    @property
    def redis(self) -> Client:
        return self._redis

    def seen_key(self, ident: str) -> str:
        return f"{self._prefix}seen:{ident}"

    def count_key(self, name: str) -> str:
        return f"{self._prefix}rate:{name}"

    async def first_seen(self, ident: str, ttl: float) -> bool:
        return await self._pipe.execute("SET", self.seen_key(ident), b"1", "NX", "PX", _ms(ttl)) is not None

    async def hit(self, name: str, window: float) -> int:
        return int(await self._pipe.script(self._hit, [self.count_key(name)], [_ms(window)]))

    async def close(self) -> None:
        await self._conn.release()


def open_shared_state(spec: str | None, clock: Clock | None = None) -> SharedState:
    """Same spellings as ``open_store``: share in Redis exactly when sessions are."""
    if spec is None or store_kind(spec) == "memory":
        return MemorySharedState(clock)
    return RedisSharedState(spec)


def _ms(seconds: float) -> int:
    return max(1, math.ceil(seconds * 1000))
