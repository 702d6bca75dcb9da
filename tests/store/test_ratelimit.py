"""Issue 12, hole 6: per-number rate limits on every channel, on by default, shared through Redis."""

from __future__ import annotations

import pytest

from engine.clock import ManualClock
from engine.ports.limits import RateLimiter
from engine.store.limits import MemoryRateLimiter, RedisRateLimiter
from engine.types import Inbound, Reply
from gateways.ratelimit import ChannelLimits, rate_limited
from tests.engine.helpers import ZH, engine_for
from tests.ussd.helpers import live

TOO_FREQUENT = "操作过于频繁，请稍后再试。"


async def test_three_hundred_ussd_dials_from_one_number_are_not_all_served() -> None:
    clock = ManualClock()
    engine, _, _ = engine_for("flows", clock=clock)
    limits = ChannelLimits()
    handler = rate_limited(engine.handle, MemoryRateLimiter(clock), limits)
    async with live(handler, clock=clock) as s:
        answers = [await s.at_text(f"d{i}", "") for i in range(300)]
        served = [a for a in answers if a.startswith("CON 欢迎使用")]
        assert len(served) == limits.ussd
        assert answers[-1] == "END " + TOO_FREQUENT  # said on the channel, not silence
        assert (await s.at_text("other", "", msisdn="8613900139000")).startswith("CON Welcome")
        clock.advance(limits.window)
        assert (await s.at_text("later", "")).startswith("CON 欢迎使用")


async def test_ivr_calls_and_sms_are_limited_and_an_sms_flood_is_told_once() -> None:
    clock = ManualClock()
    engine, _, _ = engine_for("flows", clock=clock)
    handler = rate_limited(engine.handle, MemoryRateLimiter(clock), ChannelLimits(ivr=2, sms=3))
    calls = [await handler(Inbound("ivr", ZH, "", "begin", f"call-{i}", "10086")) for i in range(3)]
    assert calls[1][0].wait is not None and calls[2][0].text == TOO_FREQUENT and calls[2][0].wait is None
    texts = [await handler(Inbound("sms", ZH, "YE", "input", ZH, "10086")) for _ in range(6)]
    assert [len(t) for t in texts] == [1, 1, 1, 1, 0, 0]
    assert texts[3][0].text == TOO_FREQUENT
    # ending a call is never refused: it frees the session
    assert await handler(Inbound("ivr", ZH, "", "end", "call-0", "10086")) is not None


async def test_inputs_inside_a_dialog_are_not_counted() -> None:
    seen: list[Inbound] = []

    async def echo(inbound: Inbound) -> list[Reply]:
        seen.append(inbound)
        return [Reply(inbound.channel, inbound.msisdn, "ok", "zh")]

    handler = rate_limited(echo, MemoryRateLimiter(ManualClock()), ChannelLimits(ussd=1))
    await handler(Inbound("ussd", ZH, "", "begin", "s"))
    for _ in range(10):
        assert (await handler(Inbound("ussd", ZH, "1", "input", "s")))[0].text == "ok"
    assert (await handler(Inbound("ussd", ZH, "", "begin", "t")))[0].text == TOO_FREQUENT


@pytest.fixture(params=["memory", "redis"])
async def limiter(request: pytest.FixtureRequest) -> RateLimiter:
    if request.param == "memory":
        return MemoryRateLimiter(ManualClock())
    url = request.getfixturevalue("redis_url")
    return RedisRateLimiter(url, prefix=request.getfixturevalue("key_prefix"))


async def test_limiter_contract(limiter: RateLimiter) -> None:
    assert [await limiter.allow("n", 2, 60) for _ in range(3)] == [True, True, False]
    assert await limiter.used("n", 60) == 3 and await limiter.used("other", 60) == 0
    await limiter.close()


async def test_workers_on_one_redis_count_together(redis_url: str, key_prefix: str) -> None:
    a, b = RedisRateLimiter(redis_url, prefix=key_prefix), RedisRateLimiter(redis_url, prefix=key_prefix)
    assert await a.allow("ussd:1", 2, 60) and await b.allow("ussd:1", 2, 60)
    assert not await a.allow("ussd:1", 2, 60)
    await a.close()
    await b.close()


async def test_a_redis_outage_lets_requests_through() -> None:
    down = RedisRateLimiter("redis://127.0.0.1:1/0")
    assert await down.allow("x", 1, 60) and await down.allow("x", 1, 60)
    assert await down.used("x", 60) == 0
    await down.close()
