"""Issue 12, hole 3: nothing a stolen Redis dump could use — no password in sessions or USSD progress."""

from __future__ import annotations

import redis

from engine.backend.demo import DemoBackend
from engine.clock import ManualClock
from engine.run.build import build_engine
from engine.store.limits import RedisRateLimiter
from engine.store.redis import RedisStore
from gateways.ussd.progress_redis import RedisProgressStore
from tests.ussd.helpers import live

PASSWORD = b"123456"


def dump(url: str, prefix: str) -> dict[bytes, bytes]:
    client = redis.Redis.from_url(url)
    try:
        out: dict[bytes, bytes] = {}
        for key in client.scan_iter(match=prefix + "*"):
            kind = client.type(key)
            out[key] = client.get(key) if kind == b"string" else repr(client.dump(key)).encode()
        return out
    finally:
        client.close()


async def test_no_password_in_redis_after_africas_talking_login(redis_url: str, key_prefix: str) -> None:
    """``mf:s:{ussd:…}`` held ``password…123456`` and ``mf:ussd:at:…`` held ``consumed: "4*1*123456"``."""
    clock = ManualClock()
    store = RedisStore(redis_url, prefix=key_prefix, clock=clock)
    limits = RedisRateLimiter(redis_url, prefix=key_prefix)
    engine = build_engine("flows", DemoBackend(clock=clock), store, clock, limits=limits)
    progress = RedisProgressStore(redis_url, prefix=key_prefix + "ussd:")
    async with live(engine.handle, clock=clock) as s:
        s.gateway.store = progress
        for text in ("", "4", "4*1"):
            await s.at_text("sess-1", text)
        answer = await s.at_text("sess-1", "4*1*123456")
        assert answer.startswith("CON 您将订购")
        keys = dump(redis_url, key_prefix)
        assert any(k.endswith(b"ussd:{ussd:sess-1}:at") for k in keys)  # the gateway record
        assert any(k.endswith(b"s:{ussd:sess-1}") for k in keys)  # the session
        for key, value in keys.items():
            assert PASSWORD not in value, key
        # the fingerprint still lets the next step and a gateway retry work
        assert (await s.at_text("sess-1", "4*1*123456")) == answer
        assert (await s.at_text("sess-1", "4*1*123456*1")).startswith("CON 5元100MB流量包订购成功")
    await progress.close()
    await store.close()
    await limits.close()
