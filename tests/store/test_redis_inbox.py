"""The durable MO inbox on a real Redis: store, recognise redeliveries, refuse when full, answer once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest

from engine.store.redis_inbox import Added, RedisInbox
from engine.store.redis_outbox import RedisOutbox
from gateways.sms.outbox import MtItem

Opener = Callable[..., RedisInbox]


@pytest.fixture
async def inbox(redis_url: str, key_prefix: str) -> AsyncIterator[Opener]:
    opened: list[tuple[RedisInbox, RedisOutbox[MtItem]]] = []

    def open_inbox(**kw: object) -> RedisInbox:
        outbox = RedisOutbox(redis_url, MtItem, prefix=key_prefix)
        box = RedisInbox(redis_url, outbox, **kw)  # type: ignore[arg-type]
        opened.append((box, outbox))
        return box

    yield open_inbox
    for box, outbox in opened:
        await box.close()
        await outbox.close()


async def idle_past_claim() -> None:
    """Idle time is the Redis server's own clock, which a test cannot advance: wait it out (0.08 s)."""
    await asyncio.sleep(0.08)


async def added(box: RedisInbox, identity: str, blob: bytes) -> Added:
    """Store without taking (what a reader with no room does)."""
    result, taken = await box.add(identity, blob)
    assert taken is None
    return result


def mt(n: int) -> MtItem:
    return MtItem(f"m{n}", 1, 1, "8613800138000", b"answer", 0, 0)


async def test_keys_share_one_hash_tag(inbox: Opener) -> None:
    box = inbox()
    tag = box.outbox.tag
    assert box.stream.startswith(tag) and box.mark_key("x").startswith(tag)
    assert box.outbox.ready_key.startswith(tag) and tag.endswith("{sms}")


async def test_a_redelivery_is_recognised_until_unmarked(inbox: Opener) -> None:
    box = inbox()
    assert await added(box, "a", b"1") is Added.STORED
    assert await added(box, "a", b"1") is Added.DUPLICATE
    box.unmark(["a"])
    assert await added(box, "a", b"1") is Added.STORED  # the same text sent again later: a new MO
    assert await box.size() == 2


async def test_past_the_bound_nothing_is_stored(inbox: Opener) -> None:
    box = inbox(max_len=2)
    assert [await added(box, k, b"x") for k in "abc"] == [Added.STORED, Added.STORED, Added.FULL]
    assert await box.size() == 2
    assert await added(box, "c", b"x") is Added.FULL  # a refused MO left no mark: it is stored once room is made
    [(entry, _)] = await box.read(1, 0.1)
    assert await box.complete(entry, [])
    assert await added(box, "c", b"x") is Added.STORED


async def test_completion_queues_the_answer_and_removes_the_mo_in_one_step(inbox: Opener) -> None:
    box = inbox()
    await added(box, "a", b"mo")
    [(entry, blob)] = await box.read(10, 0.1)
    assert blob == b"mo"
    assert await box.complete(entry, [box.outbox.encode(mt(1))])
    assert await box.size() == 0 and await box.outbox.next() == mt(1)


async def test_a_dead_readers_mo_is_claimed_and_answered_once(inbox: Opener) -> None:
    dead, live = inbox(claim_idle=0.05), inbox(claim_idle=0.05)
    await added(dead, "a", b"mo")
    [(entry, _)] = await dead.read(10, 0.1)  # then the process dies
    await idle_past_claim()
    assert await live.claim() == [(entry, b"mo")]
    assert await live.complete(entry, [live.outbox.encode(mt(1))])
    assert not await dead.complete(entry, [dead.outbox.encode(mt(2))])  # a late second answer is dropped
    assert await live.outbox.size() == 1


async def test_a_reader_keeps_what_it_is_working_on(inbox: Opener) -> None:
    # a wider idle window than the other tests: keep() and claim() are two round trips apart, and on a
    # loaded machine 50 ms between them let the kept entry go idle again
    slow, other = inbox(claim_idle=0.4), inbox(claim_idle=0.4)
    await added(slow, "a", b"mo")
    [(entry, _)] = await slow.read(10, 0.1)
    await asyncio.sleep(0.45)  # idle past the claim window: without keep() it would be claimed now
    await slow.keep([entry])
    assert await other.claim() == []


async def test_a_reader_with_room_takes_what_it_stores_in_the_same_step(inbox: Opener) -> None:
    box, other = inbox(), inbox()
    result, taken = await box.add("a", b"mo", take=True)
    assert result is Added.STORED and taken is not None and taken[1] == b"mo"
    pending = await box.redis.xpending_range(box.stream, box.GROUP, "-", "+", 10)
    assert [(p["message_id"].decode(), p["consumer"].decode()) for p in pending] == [(taken[0], box.consumer)]
    assert await other.read(10, 0.05) == []  # nobody else reads it again
    assert await box.complete(taken[0], [box.outbox.encode(mt(1))])
    assert await box.size() == 0


async def test_taking_takes_the_oldest_mo_no_reader_had_room_for(inbox: Opener) -> None:
    box = inbox()
    assert await added(box, "a", b"first") is Added.STORED  # every reader was busy: it waits
    _, taken = await box.add("b", b"second", take=True)
    assert taken is not None and taken[1] == b"first"  # first come, first answered
    [(_, blob)] = await box.read(10, 0.05)
    assert blob == b"second"


async def test_neither_a_redelivery_nor_a_full_inbox_takes_anything(inbox: Opener) -> None:
    box = inbox(max_len=1)
    await box.add("a", b"mo", take=True)
    assert await box.add("a", b"mo", take=True) == (Added.DUPLICATE, None)
    assert await box.add("b", b"mo", take=True) == (Added.FULL, None)


async def test_an_mo_taken_by_a_reader_that_died_is_claimed(inbox: Opener) -> None:
    dead, live = inbox(claim_idle=0.05), inbox(claim_idle=0.05)
    _, taken = await dead.add("a", b"mo", take=True)  # then the process dies before answering
    assert taken is not None
    await idle_past_claim()
    assert await live.claim() == [taken]


async def test_storing_after_the_stream_was_lost_makes_the_group_again(inbox: Opener) -> None:
    box = inbox()
    await added(box, "a", b"mo")
    await box.redis.delete(box.stream)  # a Redis restarted without persistence, a FLUSHDB
    _, taken = await box.add("b", b"again", take=True)
    assert taken is not None and taken[1] == b"again"
    assert await box.read(10, 0.05) == []  # the group is back: reading works again
