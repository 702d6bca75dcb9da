"""Dedupe ids and rate counters: same answers in memory and in Redis."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from engine.clock import ManualClock
from engine.ports.shared import SharedState
from engine.store.shared import MemorySharedState, RedisSharedState, open_shared_state


@pytest.fixture(params=["memory", "redis", "cluster"])
async def shared(request: pytest.FixtureRequest, clock: ManualClock) -> AsyncIterator[SharedState]:
    impl: SharedState
    if request.param == "memory":
        impl = MemorySharedState(clock)
    else:
        url = request.getfixturevalue("redis_url" if request.param == "redis" else "cluster_url")
        impl = RedisSharedState(url, prefix=request.getfixturevalue("key_prefix"))
    yield impl
    await impl.close()


async def test_first_seen_then_repeat(shared: SharedState) -> None:
    assert await shared.first_seen("smsc1:msg-0001", 600)
    assert not await shared.first_seen("smsc1:msg-0001", 600)
    assert await shared.first_seen("smsc1:msg-0002", 600)


async def test_hits_count_per_name(shared: SharedState) -> None:
    assert [await shared.hit("8613800138000", 60) for _ in range(3)] == [1, 2, 3]
    assert await shared.hit("8613900139000", 60) == 1


async def test_memory_windows_follow_the_clock(clock: ManualClock) -> None:
    state = MemorySharedState(clock)
    assert await state.first_seen("m1", 10)
    await state.hit("a", 10)
    clock.advance(9)
    assert not await state.first_seen("m1", 10)
    assert await state.hit("a", 10) == 2
    clock.advance(1)
    assert await state.first_seen("m1", 10)
    assert await state.hit("a", 10) == 1


async def test_memory_sweeps_expired_entries(clock: ManualClock) -> None:
    state = MemorySharedState(clock)
    for i in range(100):
        await state.first_seen(f"m{i}", 5)
        await state.hit(f"n{i}", 5)
    clock.advance(MemorySharedState.SWEEP_EVERY)
    await state.hit("fresh", 5)
    assert len(state._seen) == 0 and list(state._counts) == ["fresh"]


async def test_redis_keys_expire_and_windows_are_not_extended(redis_url: str, key_prefix: str) -> None:
    one = RedisSharedState(redis_url, prefix=key_prefix)
    other = RedisSharedState(redis_url, prefix=key_prefix)
    try:
        assert await one.first_seen("m1", 600)
        assert not await other.first_seen("m1", 600)
        assert 599_000 < await one.redis.pttl(one.seen_key("m1")) <= 600_000
        await one.hit("a", 60)
        await one.redis.pexpire(one.count_key("a"), 30_000)  # as if 30 s had passed
        assert await other.hit("a", 60) == 2
        assert await one.redis.pttl(one.count_key("a")) <= 30_000
    finally:
        await one.close()
        await other.close()


async def test_open_shared_state_spellings(redis_url: str) -> None:
    assert isinstance(open_shared_state(None), MemorySharedState)
    state = open_shared_state(redis_url)
    assert isinstance(state, RedisSharedState)
    await state.close()
    with pytest.raises(ValueError, match="'nope'"):
        open_shared_state("nope")
