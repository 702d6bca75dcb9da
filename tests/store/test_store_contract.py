"""One contract for every SessionStore: memory and Redis must be interchangeable."""

from __future__ import annotations

import asyncio

import msgpack
import pytest

from engine.clock import ManualClock
from engine.ports.sessions import SessionStore, StaleSession
from engine.session import Session


def make_session(key: str = "ussd:abc123", *, now: float = 1_780_000_000.0) -> Session:
    """A session as a real USSD dialog leaves it: a few vars, one subflow frame."""
    s = Session(key, "8613800138000", "ussd", "main", 3, "balance.menu", "zh", now)
    s.vars = {"balance": "58.20", "plan": "畅享套餐 128元", "data_left_mb": 10240, "authed": True}
    s.stack = [("main", 3, "services")]
    s.counters = {"invalid": 1}
    s.page = 1
    return s


async def test_get_missing_is_none(store: SessionStore) -> None:
    assert await store.get("ussd:nobody") is None


async def test_put_then_get_round_trips(store: SessionStore) -> None:
    s = make_session()
    await store.put(s, 60)
    assert s.rev == 1
    got = await store.get(s.key)
    assert got is not None
    assert got.to_dict() == s.to_dict()


async def test_delete(store: SessionStore) -> None:
    s = make_session()
    await store.put(s, 60)
    await store.delete(s.key)
    assert await store.get(s.key) is None
    await store.delete(s.key)  # deleting twice is fine


async def test_ttl_expiry_follows_the_clock(store: SessionStore, clock: ManualClock) -> None:
    s = make_session()
    await store.put(s, 10)
    clock.advance(9.9)
    assert await store.get(s.key) is not None
    clock.advance(0.2)
    assert await store.get(s.key) is None


async def test_put_refreshes_ttl(store: SessionStore, clock: ManualClock) -> None:
    s = make_session()
    await store.put(s, 10)
    clock.advance(8)
    await store.put(s, 10)
    clock.advance(8)
    assert await store.get(s.key) is not None


async def test_copies_are_not_shared(store: SessionStore) -> None:
    s = make_session()
    await store.put(s, 60)
    s.vars["balance"] = "0.00"
    s.stack.append(("topup", 1, "done"))
    got = await store.get(s.key)
    assert got is not None
    assert got.vars["balance"] == "58.20"
    assert got.stack == [("main", 3, "services")]
    got.vars["plan"] = "changed"
    again = await store.get(s.key)
    assert again is not None and again.vars["plan"] == "畅享套餐 128元"


async def test_typical_session_is_well_under_1kb(store: SessionStore) -> None:
    s = make_session()
    await store.put(s, 60)
    assert len(msgpack.packb(s.to_dict())) < 1024


async def test_lock_serialises_two_holders(store: SessionStore) -> None:
    trace: list[str] = []
    inside = asyncio.Event()

    async def first() -> None:
        async with store.lock("ussd:abc123"):
            trace.append("first in")
            inside.set()
            for _ in range(20):
                await asyncio.sleep(0)
            trace.append("first out")

    async def second() -> None:
        await inside.wait()
        async with store.lock("ussd:abc123"):
            trace.append("second in")
            trace.append("second out")

    await asyncio.gather(first(), second())
    assert trace == ["first in", "first out", "second in", "second out"]


async def test_lock_is_per_key(store: SessionStore) -> None:
    async with store.lock("ussd:a"), store.lock("ussd:b"):
        pass


async def test_stale_write_is_rejected(store: SessionStore) -> None:
    await store.put(make_session(), 60)
    early = await store.get("ussd:abc123")
    late = await store.get("ussd:abc123")
    assert early is not None and late is not None and early.rev == late.rev == 1
    early.state = "balance.shown"
    await store.put(early, 60)
    assert early.rev == 2
    late.state = "topup.amount"
    with pytest.raises(StaleSession):
        await store.put(late, 60)
    assert late.rev == 1
    kept = await store.get("ussd:abc123")
    assert kept is not None and kept.state == "balance.shown" and kept.rev == 2


async def test_new_session_cannot_replace_a_live_one(store: SessionStore) -> None:
    await store.put(make_session(), 60)
    with pytest.raises(StaleSession):
        await store.put(make_session(), 60)


async def test_late_writer_cannot_resurrect_a_deleted_session(store: SessionStore) -> None:
    await store.put(make_session(), 60)
    held = await store.get("ussd:abc123")
    assert held is not None
    await store.delete("ussd:abc123")
    with pytest.raises(StaleSession):
        await store.put(held, 60)


async def test_expired_session_counts_as_absent(store: SessionStore, clock: ManualClock) -> None:
    await store.put(make_session(), 10)
    clock.advance(11)
    fresh = make_session()
    await store.put(fresh, 10)
    assert fresh.rev == 1


async def test_a_turn_reads_its_own_writes(store: SessionStore) -> None:
    await store.put(make_session(), 60)
    async with store.lock("ussd:abc123"):
        s = await store.get("ussd:abc123")
        assert s is not None
        s.state = "balance.shown"
        await store.put(s, 60)
        again = await store.get("ussd:abc123")
        assert again is not None and again.state == "balance.shown" and again.rev == 2
        await store.delete("ussd:abc123")
        assert await store.get("ussd:abc123") is None
