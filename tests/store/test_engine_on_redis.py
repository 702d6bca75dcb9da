"""The real engine on the Redis store: two engines (as two processes would) share dialogs."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from engine.run.build import build_engine
from engine.run.engine import Engine
from engine.store.redis import RedisStore
from engine.types import Event, Inbound

FLOWS = str(Path(__file__).resolve().parents[2] / "bench" / "flows")


@pytest.fixture
async def pair(redis_url: str, key_prefix: str) -> AsyncIterator[tuple[Engine, Engine, RedisStore]]:
    stores = [RedisStore(redis_url, prefix=key_prefix) for _ in range(2)]
    a, b = (build_engine(flows=FLOWS, backend="demo", store=s) for s in stores)
    yield a, b, stores[0]
    for s in stores:
        await s.close()


def ussd(text: str, event: Event = "input") -> Inbound:
    return Inbound("ussd", "8613800138000", text, event, session_key="s1", service_code="*199#")


async def test_a_dialog_alternates_between_engines(pair: tuple[Engine, Engine, RedisStore]) -> None:
    a, b, store = pair
    assert (await a.handle(ussd("", "begin")))[0].text.startswith("欢迎")
    assert (await b.handle(ussd("2")))[0].text.startswith("套餐")
    assert (await a.handle(ussd("1")))[0].text.startswith("套餐列表")
    last = (await b.handle(ussd("2")))[0]
    assert last.text.startswith("已完成") and last.wait is not None
    session = await store.get("ussd:s1")
    assert session is not None and session.state == "main" and session.rev == 4


async def test_simultaneous_inputs_are_serialised_not_lost(pair: tuple[Engine, Engine, RedisStore]) -> None:
    a, b, store = pair
    await a.handle(ussd("", "begin"))
    first, second = await asyncio.gather(a.handle(ussd("1")), b.handle(ussd("1")))
    texts = sorted([first[0].text.split("\n")[0], second[0].text.split("\n")[0]])
    assert texts == ["查询方式", "账户"]  # one went to level 2, the other on to level 3
    session = await store.get("ussd:s1")
    assert session is not None and session.state == "account_money" and session.rev == 3
