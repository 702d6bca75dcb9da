"""A process that takes one MT from the Redis outbox and then dies without acking.

test_redis_outbox.py SIGKILLs it after it prints "taken": the item must reach
another process once this one's heartbeat key expires.
"""

from __future__ import annotations

import asyncio
import sys

from engine.store.redis_outbox import RedisOutbox
from gateways.sms.outbox import MtItem


async def take_and_hang(url: str, prefix: str) -> None:
    box = RedisOutbox(url, MtItem, prefix=prefix, alive_ttl=0.5)
    item = await box.next()
    print("taken", item.key, flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(take_and_hang(sys.argv[1], sys.argv[2]))
