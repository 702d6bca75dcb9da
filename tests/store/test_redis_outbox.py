"""The Redis outbox: same interface as MemoryOutbox, and nothing lost when a process dies."""

from __future__ import annotations

import asyncio
import contextlib
import random
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from redis_proxy import CuttableProxy

from engine.store.redis_outbox import RedisOutbox
from gateways.sms.outbox import MtItem, OutboxSender, SenderPolicy
from gateways.sms.pdu import ESME_RTHROTTLED, Pdu

Opener = Callable[..., RedisOutbox[MtItem]]


def mt(n: int, text: bytes = b"hello") -> MtItem:
    return MtItem(f"m{n}", 1, 1, "8613800138000", text, 0, 0, {"source_port": 7, "x": b"\x00\x01"})


@pytest.fixture
async def outbox(redis_url: str, key_prefix: str) -> AsyncIterator[Opener]:
    opened: list[RedisOutbox[MtItem]] = []

    def open_box(alive_ttl: float = 10.0) -> RedisOutbox[MtItem]:
        box = RedisOutbox(redis_url, MtItem, prefix=key_prefix, alive_ttl=alive_ttl)
        opened.append(box)
        return box

    yield open_box
    for box in opened:
        await box.close()


async def test_put_next_ack_round_trip_in_order(outbox: Opener) -> None:
    box = outbox()
    for n in range(3):
        await box.put(mt(n))
    got = [await box.next() for _ in range(3)]
    assert got == [mt(0), mt(1), mt(2)]
    assert len(box) >= 1
    for item in got:
        await box.ack(item)
    assert await box.size() == 0


async def test_nack_retries_with_updated_fields_after_the_delay(outbox: Opener) -> None:
    box = outbox()
    await box.put(mt(1))
    item = await box.next()
    item.tries, item.last_status = 1, ESME_RTHROTTLED
    started = time.monotonic()
    await box.nack(item, 0.2)
    assert await box.size() == 1
    again = await asyncio.wait_for(box.next(), 5)
    assert time.monotonic() - started >= 0.15
    assert (again.tries, again.last_status) == (1, ESME_RTHROTTLED)
    await box.ack(again)
    assert await box.size() == 0


async def test_negative_nack_drops(outbox: Opener) -> None:
    box = outbox()
    await box.put(mt(1))
    await box.nack(await box.next(), -1)
    assert await box.size() == 0


async def test_another_process_sends_what_one_queued(outbox: Opener) -> None:
    producer, consumer = outbox(), outbox()
    await producer.put(mt(7))
    await producer.close()
    assert await asyncio.wait_for(consumer.next(), 5) == mt(7)


async def test_close_hands_taken_items_back(outbox: Opener) -> None:
    first, second = outbox(), outbox()
    await first.put(mt(1))
    await first.next()
    await first.close()
    assert await asyncio.wait_for(second.next(), 5) == mt(1)


async def test_killed_process_items_reach_a_live_one(outbox: Opener, redis_url: str, key_prefix: str) -> None:
    box = outbox(alive_ttl=0.5)
    await box.put(mt(42))
    worker = Path(__file__).with_name("outbox_worker.py")
    proc = subprocess.Popen([sys.executable, str(worker), redis_url, key_prefix], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = await asyncio.wait_for(asyncio.to_thread(proc.stdout.readline), 15)
        assert line.split() == ["taken", "m42/1"]
    finally:
        proc.kill()
        proc.wait()
    assert await box.size() == 1
    assert await asyncio.wait_for(box.next(), 5) == mt(42)


async def test_sms_sender_drains_the_redis_outbox(outbox: Opener) -> None:
    box = outbox()
    statuses = iter([ESME_RTHROTTLED, 0, 0])
    submitted: list[str] = []
    done: list[tuple[str, int]] = []
    all_done = asyncio.Event()

    def on_done(item: MtItem, resp: Pdu | None) -> None:
        done.append((item.key, item.tries))
        if len(done) == 2:
            all_done.set()

    async def submit(item: MtItem) -> Pdu:
        submitted.append(item.key)
        return Pdu("submit_sm_resp", len(submitted), next(statuses), {"message_id": "x"})

    bound = asyncio.Event()
    bound.set()
    policy = SenderPolicy(tps=0, backoff=0.05)
    sender = OutboxSender(box, submit, bound, policy, on_done)
    task = asyncio.create_task(sender.run())
    try:
        await box.put(mt(1))
        await box.put(mt(2))
        await asyncio.wait_for(all_done.wait(), 5)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    assert sorted(done) == [("m1/1", 2), ("m2/1", 1)]
    assert submitted.count("m1/1") == 2
    assert await box.size() == 0


async def test_cancelled_next_stops_and_loses_nothing(outbox: Opener) -> None:
    """Cancel next() at random moments while MTs keep arriving (redis-py can swallow a cancel)."""
    box = producer = outbox()
    rng = random.Random(7)
    pushed = delivered = 0
    feeding = True

    async def produce() -> None:
        nonlocal pushed
        while feeding:
            await producer.put(mt(pushed))
            pushed += 1
            await asyncio.sleep(rng.random() * 0.004)

    feeder = asyncio.create_task(produce())
    try:
        for _ in range(150):
            task = asyncio.create_task(box.next())
            await asyncio.sleep(rng.random() * 0.006)
            requested = task.cancel()  # False when next() had already returned
            done, _ = await asyncio.wait({task}, timeout=3)
            assert done and task.cancelled() == requested, "next() ignored its cancellation"
            if not requested:
                await box.ack(task.result())
                delivered += 1
    finally:
        feeding = False
        await asyncio.wait_for(feeder, 3)
    assert delivered + await box.size() == pushed


async def test_sender_and_replies_outlive_a_redis_outage(redis_url: str, key_prefix: str) -> None:
    proxy = CuttableProxy(int(redis_url.rsplit(":", 1)[1].split("/")[0]))
    await proxy.start()
    box = RedisOutbox(f"redis://127.0.0.1:{proxy.port}/0", MtItem, prefix=key_prefix, poll=0.05)
    sent: list[str] = []

    async def submit(item: MtItem) -> Pdu:
        sent.append(item.key)
        return Pdu("submit_sm_resp", len(sent), 0, {"message_id": "x"})

    bound = asyncio.Event()
    bound.set()
    sender = OutboxSender(box, submit, bound, SenderPolicy(tps=0), lambda item, resp: None)
    task = asyncio.create_task(sender.run())
    try:
        await box.put(mt(1))
        await wait_for_list(sent, 1)
        await proxy.cut()
        began = time.monotonic()
        await box.put(mt(2))  # a reply produced during the outage: spooled in this process
        await box.put(mt(3))
        assert time.monotonic() - began < 2 and len(box) >= 2
        await asyncio.sleep(0.5)  # the sender's next() fails meanwhile
        assert not task.done(), "the sender died with the Redis connection"
        assert sent == ["m1/1"]
        await proxy.start()
        await wait_for_list(sent, 3)
        await box.put(mt(4))
        await wait_for_list(sent, 4)
        assert sent == ["m1/1", "m2/1", "m3/1", "m4/1"]
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await box.close()
        await proxy.cut()


async def wait_for_list(items: list[str], n: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while len(items) < n:
        assert time.monotonic() < deadline, f"only {items} after {timeout} s"
        await asyncio.sleep(0.02)
