"""The USSD gateway's session record survives a hop to another process (Redis)."""

from __future__ import annotations

from gateways.ussd.progress import SessionProgress
from gateways.ussd.progress_redis import RedisProgressStore


async def test_set_get_delete_and_ttl(redis_url: str, key_prefix: str) -> None:
    writer = RedisProgressStore(redis_url, prefix=key_prefix)
    reader = RedisProgressStore(redis_url, prefix=key_prefix)  # as another worker would
    record = SessionProgress("8613800138000", "*100#", "1*2**3", "k1", "CON 菜单", True, "zh")
    try:
        await writer.set("at:s1", record, 180)
        assert await reader.get("at:s1") == record
        ttl = await reader._redis.pttl(reader.record_key("at:s1"))
        assert 170_000 < ttl <= 180_000
        await reader.delete("at:s1")
        assert await writer.get("at:s1") is None
    finally:
        await writer.close()
        await reader.close()
