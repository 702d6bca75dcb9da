"""What only Redis has to prove: real expiry, crashed holders, other processes."""

from __future__ import annotations

import asyncio
import logging
import random
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from engine.clock import ManualClock
from engine.ports.sessions import SessionBusy, StaleSession
from engine.session import Session
from engine.store.loader import open_store
from engine.store.memory import MemoryStore
from engine.store.redis import RedisStore

KEY = "ussd:abc123"


class Opener:
    """Opens RedisStores on one test's prefix (each a separate client, like a process) and closes them."""

    def __init__(self, url: str, prefix: str) -> None:
        self.url = url
        self.prefix = prefix
        self.opened: list[RedisStore] = []

    def __call__(self, *, lock_timeout: float = 5.0, wait_timeout: float | None = None) -> RedisStore:
        s = RedisStore(self.url, prefix=self.prefix, lock_timeout=lock_timeout, wait_timeout=wait_timeout)
        self.opened.append(s)
        return s


@pytest.fixture
async def open_redis(redis_url: str, key_prefix: str) -> AsyncIterator[Opener]:
    opener = Opener(redis_url, key_prefix)
    yield opener
    for s in opener.opened:
        await s.close()


def session() -> Session:
    return Session(KEY, "8613800138000", "ussd", "main", 1, "start", "en", time.time())


async def test_redis_ttl_is_set_on_the_key(open_redis: Opener) -> None:
    store = open_redis()
    await store.put(session(), 180)
    pttl = await store.redis.pttl(store.session_key(KEY))
    assert 179_000 < pttl <= 180_000


async def test_stored_value_is_compact(open_redis: Opener) -> None:
    store = open_redis()
    s = session()
    s.vars = {"balance": "58.20", "plan": "畅享套餐 128元", "data_left_mb": 10240}
    await store.put(s, 180)
    assert await store.redis.hstrlen(store.session_key(KEY), "d") < 300
    usage = await store.redis.memory_usage(store.session_key(KEY))
    assert usage is not None and usage < 1024


async def test_crashed_holder_lock_expires(open_redis: Opener) -> None:
    crashed = open_redis(lock_timeout=0.3)
    waiter = open_redis(wait_timeout=3.0)
    held = crashed.lock(KEY)
    await held.__aenter__()  # and never __aexit__: the process "died"
    pttl = await crashed.redis.pttl(crashed.lock_key(KEY))
    assert 0 < pttl <= 300
    started = time.monotonic()
    async with waiter.lock(KEY):
        waited = time.monotonic() - started
    assert 0.1 < waited < 2.0


async def test_waiting_is_bounded(open_redis: Opener) -> None:
    holder = open_redis()
    impatient = open_redis(wait_timeout=0.1)
    async with holder.lock(KEY):
        with pytest.raises(SessionBusy):
            async with impatient.lock(KEY):
                pass
    async with impatient.lock(KEY):
        pass


async def test_local_waiters_are_bounded_too(open_redis: Opener) -> None:
    store = open_redis(wait_timeout=0.1)
    async with store.lock(KEY):
        with pytest.raises(SessionBusy):
            async with store.lock(KEY):
                pass


async def test_expired_holder_cannot_release_the_next_holders_lock(
    open_redis: Opener, caplog: pytest.LogCaptureFixture
) -> None:
    slow = open_redis(lock_timeout=0.2)
    successor = open_redis()
    third = open_redis(wait_timeout=0.1)
    slow_lock = slow.lock(KEY)
    await slow_lock.__aenter__()
    async with successor.lock(KEY):  # gets it once the slow holder's lock expired
        token = await successor.redis.get(successor.lock_key(KEY))
        with caplog.at_level(logging.WARNING, logger="engine.store.redis"):
            await slow_lock.__aexit__(None, None, None)
        assert "expired while held" in caplog.text
        assert await successor.redis.get(successor.lock_key(KEY)) == token
        with pytest.raises(SessionBusy):
            async with third.lock(KEY):
                pass
    assert await successor.redis.exists(successor.lock_key(KEY)) == 0


async def test_two_processes_count_exactly(open_redis: Opener) -> None:
    times = 150
    worker = Path(__file__).with_name("counter_worker.py")
    procs = [
        subprocess.Popen([sys.executable, str(worker), open_redis.url, open_redis.prefix, KEY, str(times), "2"])
        for _ in range(2)
    ]
    for p in procs:
        rc = await asyncio.to_thread(p.wait, 60)
        assert rc == 0
    store = open_redis()
    s = await store.get(KEY)
    assert s is not None
    assert s.vars["n"] == 2 * times
    assert s.rev == 2 * times


async def test_open_store_spellings(redis_url: str) -> None:
    clock = ManualClock()
    assert isinstance(open_store(None, clock), MemoryStore)
    assert isinstance(open_store("memory"), MemoryStore)
    store = open_store(redis_url, clock)
    assert isinstance(store, RedisStore)
    await store.close()
    with pytest.raises(ValueError, match="'postgres://x'"):
        open_store("postgres://x")


async def test_a_burst_of_concurrent_turns_does_not_fail(open_redis: Opener) -> None:
    store = open_redis()

    async def dial(i: int) -> None:
        key = f"ussd:burst-{i}"
        async with store.lock(key):
            s = Session(key, "8613800138000", "ussd", "main", 1, "start", "en", time.time())
            await store.put(s, 60)

    await asyncio.gather(*(dial(i) for i in range(400)))
    assert await store.get("ussd:burst-399") is not None


async def test_cancelled_turn_stops_and_leaves_no_lock(open_redis: Opener) -> None:
    """Cancel turns at random moments (redis-py can swallow a cancel mid-command)."""
    store = open_redis()
    rng = random.Random(3)

    async def turn() -> None:
        async with store.lock(KEY):
            s = await store.get(KEY) or session()
            await store.put(s, 60)

    for _ in range(150):
        task = asyncio.create_task(turn())
        await asyncio.sleep(rng.random() * 0.002)
        requested = task.cancel()
        done, _ = await asyncio.wait({task}, timeout=3)
        assert done and task.cancelled() == requested, "a turn ignored its cancellation"
    assert await store.redis.exists(store.lock_key(KEY)) == 0


async def test_the_read_made_with_the_lock_never_outlives_it(open_redis: Opener) -> None:
    mine, other = open_redis(), open_redis()
    await other.put(session(), 60)
    async with mine.lock(KEY):
        pass  # took the lock (and read the session) without asking for it
    s = await other.get(KEY)
    assert s is not None
    s.state = "moved.on"
    await other.put(s, 60)
    seen = await mine.get(KEY)
    assert seen is not None and seen.state == "moved.on"
    async with mine.lock(KEY):
        inside = await mine.get(KEY)
    assert inside is not None and inside.rev == 2


async def test_turn_write_leaves_with_the_release(open_redis: Opener) -> None:
    """Inside the lock a put is read back at once and reaches Redis with the release."""
    store = open_redis()
    async with store.lock(KEY):
        s = session()
        await store.put(s, 60)
        assert await store.redis.exists(store.session_key(KEY)) == 0  # not sent yet
        assert await store.get(KEY) is not None  # but read back within the turn
    assert await store.redis.exists(store.lock_key(KEY)) == 0
    stored = await store.get(KEY)
    assert stored is not None and stored.rev == 1


async def test_stale_turn_write_raises_at_release_and_frees_the_lock(open_redis: Opener) -> None:
    store, other = open_redis(), open_redis()
    await store.put(session(), 60)
    with pytest.raises(StaleSession):
        async with store.lock(KEY):
            mine = await store.get(KEY)
            assert mine is not None
            theirs = await other.get(KEY)  # a writer that ignored the lock
            assert theirs is not None
            await other.put(theirs, 60)
            await store.put(mine, 60)
    assert await store.redis.exists(store.lock_key(KEY)) == 0
    stored = await store.get(KEY)
    assert stored is not None and stored.rev == 2


async def test_delete_inside_the_turn_then_put(open_redis: Opener) -> None:
    store = open_redis()
    await store.put(session(), 60)
    async with store.lock(KEY):
        await store.delete(KEY)
        assert await store.get(KEY) is None
        fresh = session()
        await store.put(fresh, 60)
    stored = await store.get(KEY)
    assert stored is not None and stored.rev == 1
