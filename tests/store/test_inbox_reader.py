"""The SMS gateway's inbox reader on a real Redis: what it stores it answers itself while it has room."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from engine.store.redis_inbox import Added, RedisInbox
from engine.store.redis_outbox import RedisOutbox
from engine.types import Inbound
from gateways.sms.inbox import InboxReader
from gateways.sms.outbox import MtItem


@pytest.fixture
async def inbox(redis_url: str, key_prefix: str) -> AsyncIterator[RedisInbox]:
    outbox = RedisOutbox(redis_url, MtItem, prefix=key_prefix)
    box = RedisInbox(redis_url, outbox)
    yield box
    await box.close()
    await outbox.close()


def mo(text: str) -> Inbound:
    return Inbound(channel="sms", msisdn="8613800138000", text=text, session_key="8613800138000",
                   service_code="10086", meta={"mo_ref": None, "mo_id": f"8613800138000>10086|{text}"})


async def test_past_its_concurrency_a_reader_leaves_what_it_stores_to_any_reader(inbox: RedisInbox) -> None:
    answered: list[str] = []
    go_on = asyncio.Event()

    async def answer(inbound: Inbound) -> list[MtItem]:
        answered.append(inbound.text)
        await go_on.wait()
        return [MtItem(inbound.text, 1, 1, inbound.msisdn, b"ok", 0, 0)]

    reader = InboxReader(inbox, answer, inbox.outbox.encode, concurrency=1)
    first, second = mo("1"), mo("2")
    result, taken = await reader.store(first)
    assert result is Added.STORED and taken is not None
    reader.acknowledged(first, taken)  # now being answered: the reader is full
    assert await reader.store(second) == (Added.STORED, None)
    running = asyncio.create_task(reader.run())
    try:
        await asyncio.sleep(0.05)
        assert answered == ["1"]  # the second waits in the inbox, not in this process
        go_on.set()
        async with asyncio.timeout(5):
            while reader.answered < 2:
                await asyncio.sleep(0.01)
    finally:
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
        await reader.drain(1.0)
    assert answered == ["1", "2"] and await inbox.size() == 0
    assert await inbox.outbox.size() == 2
