"""Rate limits: "how many times did this number do that in this window?", shared by every worker.

One port (``RateLimiter``) with two adapters, chosen like the session store:
``MemoryRateLimiter`` for one process (it follows the injected clock, so tests
advance time instead of sleeping) and ``RedisRateLimiter`` for every process
on the same Redis. Windows are fixed: the first hit opens a window of
``window`` seconds, the count starts again after it closes — one INCR per
check, where a sliding log would cost a sorted set per number.

``SharedState.hit`` (engine.store.shared) counts the same way but cannot tell
how far a counter is without adding to it, which the password-failure check
needs (a correct password must not count as a try); hence this port. A Redis
outage lets requests through (logged): a limiter that failed closed would
turn a Redis blip into refusing every subscriber, and the store fails those
requests anyway.

Cost per check, measured by ``bench/ratelimit.py`` on this 2-core machine: see
the README's SECURITY section (memory: about a microsecond).
"""

from __future__ import annotations

import logging
import math

from redis.exceptions import RedisError

from engine.clock import Clock, SystemClock
from engine.ports.limits import RateLimiter
from engine.store.loader import store_kind
from engine.store.redis_conn import open_conn

log = logging.getLogger(__name__)


class MemoryRateLimiter:
    """One process's counters; closed windows are swept at most once per ``SWEEP_EVERY`` seconds."""

    SWEEP_EVERY = 60.0

    def __init__(self, clock: Clock | None = None) -> None:
        self._clock = clock or SystemClock()
        self._counts: dict[str, tuple[float, int]] = {}
        self._next_sweep = self._clock.now() + self.SWEEP_EVERY

    async def allow(self, name: str, limit: int, window: float) -> bool:
        return self.allow_now(name, limit, window)

    def allow_now(self, name: str, limit: int, window: float) -> bool:
        """``allow`` without the coroutine (the benchmark measures this)."""
        now = self._clock.now()
        if now >= self._next_sweep:
            self._counts = {k: v for k, v in self._counts.items() if v[0] > now}
            self._next_sweep = now + self.SWEEP_EVERY
        closes, count = self._counts.get(name, (0.0, 0))
        if closes <= now:
            closes, count = now + window, 0
        self._counts[name] = (closes, count + 1)
        return count + 1 <= limit

    async def used(self, name: str, window: float) -> int:
        closes, count = self._counts.get(name, (0.0, 0))
        return count if closes > self._clock.now() else 0

    async def close(self) -> None:
        self._counts.clear()


# KEYS[1] counter; ARGV[1] window ms. One call (no MULTI), so it can ride in an auto-pipelined batch.
_HIT = """
local n = redis.call('INCR', KEYS[1])
if redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n
"""


class RedisRateLimiter:
    """Counters every process agrees on (``{prefix}lim:{name}``), expiring with their window."""

    def __init__(self, url: str, *, prefix: str = "mf:") -> None:
        self._conn = open_conn(url)
        self._pipe = self._conn.pipe
        self._hit = self._conn.client.register_script(_HIT)
        self._prefix = prefix

    def key(self, name: str) -> str:
        return f"{self._prefix}lim:{name}"

    async def allow(self, name: str, limit: int, window: float) -> bool:
        try:
            n = int(await self._pipe.script(self._hit, [self.key(name)], [max(1, math.ceil(window * 1000))]))
        except (RedisError, OSError) as exc:
            log.warning("rate limit %s not checked (Redis: %s): let through", name.split(":", 1)[0],
                        type(exc).__name__)
            return True
        return n <= limit

    async def used(self, name: str, window: float) -> int:
        try:
            value = await self._pipe.execute("GET", self.key(name))
        except (RedisError, OSError):
            return 0
        return int(value or 0)

    async def close(self) -> None:
        await self._conn.release()


def open_rate_limiter(spec: str | None, clock: Clock | None = None) -> RateLimiter:
    """Same spellings as ``open_store``: counters are shared exactly when sessions are."""
    if spec is None or store_kind(spec) == "memory":
        return MemoryRateLimiter(clock)
    return RedisRateLimiter(spec)
