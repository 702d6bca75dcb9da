"""A separate process that bumps a counter in one session N times under the lock.

Run by test_redis_store.py twice at once: the final count proves the lock and
the revision check hold across processes. The workers meet at a barrier (a
Redis counter) first so their loops really overlap instead of running one
after the other while the second interpreter is still starting.
"""

from __future__ import annotations

import asyncio
import sys

from engine.session import Session
from engine.store.redis import RedisStore


async def barrier(store: RedisStore, name: str, parties: int) -> None:
    key = store.lock_key(name)
    await store.redis.incr(key)
    await store.redis.expire(key, 60)
    while int(await store.redis.get(key) or 0) < parties:
        await asyncio.sleep(0.001)


async def bump(url: str, prefix: str, key: str, times: int, parties: int) -> None:
    store = RedisStore(url, prefix=prefix, lock_timeout=10.0)
    try:
        await barrier(store, key + ":ready", parties)
        for _ in range(times):
            async with store.lock(key):
                s = await store.get(key)
                if s is None:
                    s = Session(key, "8613800138000", "ussd", "main", 1, "start", "en", 0.0)
                s.vars["n"] = int(s.vars.get("n", 0)) + 1
                await store.put(s, 60)
    finally:
        await store.close()


if __name__ == "__main__":
    asyncio.run(bump(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])))
