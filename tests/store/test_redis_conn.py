"""One connection per Redis per process: adapters share its pipeline, the last one out closes it."""

from __future__ import annotations

import asyncio

from engine.store.limits import RedisRateLimiter
from engine.store.redis import RedisStore
from engine.store.redis_conn import open_conn
from engine.store.shared import RedisSharedState


async def test_adapters_on_one_redis_send_one_batch_per_iteration(redis_url: str, key_prefix: str) -> None:
    store = RedisStore(redis_url, prefix=key_prefix)
    limiter = RedisRateLimiter(redis_url, prefix=key_prefix)
    shared = RedisSharedState(redis_url, prefix=key_prefix)
    try:
        before = store.pipe.batches
        # One MO's worth from three adapters, issued in the same loop iteration.
        got = await asyncio.gather(store.get("sms:8613800138000"), limiter.allow("sms:8613800138000", 5, 60.0),
                                   shared.first_seen("mo:ref-1", 60.0))
        assert got == [None, True, True]
        assert store.pipe.batches == before + 1
    finally:
        await store.close()
        await limiter.close()
        await shared.close()


async def test_the_connection_lives_until_its_last_user_releases_it(redis_url: str, key_prefix: str) -> None:
    first, second = open_conn(redis_url), open_conn(redis_url)
    assert first is second and first.users == 2
    await first.release()
    assert await second.pipe.execute("SET", key_prefix + "k", "v") == b"OK"  # still open for the other user
    await second.release()
    third = open_conn(redis_url)
    try:
        assert third is not first  # the closed one is not handed out again
        assert await third.pipe.execute("GET", key_prefix + "k") == b"v"
    finally:
        await third.release()


async def test_other_urls_get_other_connections(redis_url: str) -> None:
    one, other = open_conn(redis_url), open_conn(redis_url.rsplit("/", 1)[0] + "/14")
    try:
        assert one is not other
    finally:
        await one.release()
        await other.release()


def test_without_a_running_loop_each_caller_gets_its_own(redis_url: str) -> None:
    one, other = open_conn(redis_url), open_conn(redis_url)
    assert one is not other
    asyncio.run(one.release())
    asyncio.run(other.release())
