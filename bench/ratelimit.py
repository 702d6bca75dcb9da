"""``python -m bench.ratelimit``: what one rate-limit check costs on the hot path, in microseconds.

Every USSD dial, IVR call and SMS MO passes one check (gateways.ratelimit), so
its cost is added to each request. Measured: the memory adapter's check alone
and awaited as the gateway does, and the Redis adapter with checks issued
concurrently (as concurrent requests do; they share auto-pipelined batches).
"""

from __future__ import annotations

import asyncio
import sys
import time

from engine.store.limits import MemoryRateLimiter, RedisRateLimiter

N = 200_000


async def measure(redis_url: str | None) -> dict[str, float]:
    mem = MemoryRateLimiter()
    names = [f"ussd:86138{i:08d}" for i in range(10_000)]
    started = time.perf_counter()
    for i in range(N):
        mem.allow_now(names[i % len(names)], 20, 60.0)
    out = {"memory_check_us": (time.perf_counter() - started) / N * 1e6}
    started = time.perf_counter()
    for i in range(N):
        await mem.allow(names[i % len(names)], 20, 60.0)
    out["memory_awaited_us"] = (time.perf_counter() - started) / N * 1e6
    if redis_url:
        red = RedisRateLimiter(redis_url, prefix="mfbench:")
        batch, rounds = 200, 100
        started = time.perf_counter()
        for r in range(rounds):
            await asyncio.gather(*(red.allow(names[(r * batch + j) % len(names)], 20, 60.0) for j in range(batch)))
        out["redis_check_us_at_200_concurrent"] = (time.perf_counter() - started) / (batch * rounds) * 1e6
        await red.close()
    return out


def main() -> None:
    url = sys.argv[1] if len(sys.argv) > 1 else "redis://127.0.0.1:6379/0"
    for name, value in asyncio.run(measure(url or None)).items():
        print(f"{name}: {value:.2f}")


if __name__ == "__main__":
    main()
