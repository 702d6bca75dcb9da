"""DemoBackend specifics: persistence, fault injection, thread safety, speed."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import pytest

from engine.backend.demo import KEY_SECONDS, DemoBackend
from engine.backend.demo_auth import weakness
from engine.clock import ManualClock
from engine.ports.backend import BackendTimeout, BackendUnavailable, BusinessError, CallContext

CTX = CallContext(msisdn="8613800138000", channel="sms", session_id="s-1")


async def test_file_database_persists_and_is_seeded_once(tmp_path: Path) -> None:
    path = str(tmp_path / "operator.sqlite")
    first = DemoBackend(path)
    await first.call("topup", {"amount": "10", "idempotency_key": "a"}, CTX)
    await first.call("set_language", {"locale": "en"}, CTX)
    await first.close()
    second = DemoBackend(path)
    assert (await second.call("balance", {}, CTX))["balance"] == "60.00"
    assert (await second.call("profile", {}, CTX))["locale"] == "en"
    assert (await second.call("packages", {}, CTX))["count"] == 5
    await second.close()


async def test_idempotency_keys_are_forgotten_after_a_day() -> None:
    clock = ManualClock()
    demo = DemoBackend(clock=clock)
    params = {"amount": "10", "idempotency_key": "k"}
    assert (await demo.call("topup", params, CTX))["balance"] == "60.00"
    clock.advance(KEY_SECONDS - 1)
    assert (await demo.call("topup", params, CTX))["balance"] == "60.00"
    clock.advance(2)
    assert (await demo.call("topup", params, CTX))["balance"] == "70.00"
    await demo.close()


async def test_injected_delay_then_failure() -> None:
    demo = DemoBackend()
    demo.inject("balance", BackendUnavailable("down"), delay=0.2)
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(demo.call("balance", {}, CTX), 0.05)
    demo.inject("balance", None, delay=0.01)
    assert (await demo.call("balance", {}, CTX))["balance"] == "50.00"
    demo.inject("bill", BackendTimeout("slow"))
    with pytest.raises(BackendTimeout):
        await demo.call("bill", {}, CTX)
    demo.inject("balance", None)
    demo.inject("bill", None)
    assert (await demo.call("bill", {}, CTX))["total"] == "65.40"
    await demo.close()


async def test_latency_applies_to_every_call() -> None:
    demo = DemoBackend(latency=0.2)
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(demo.call("points", {}, CTX), 0.05)
    await demo.close()


async def test_unknown_operation_and_missing_params() -> None:
    demo = DemoBackend()
    with pytest.raises(BackendUnavailable) as unknown:
        await demo.call("launch_rocket", {}, CTX)
    assert unknown.value.code == "UNKNOWN_OPERATION"
    with pytest.raises(BusinessError) as missing:
        await demo.call("topup", {}, CTX)
    assert (missing.value.code, missing.value.details) == ("MISSING_PARAM", {"param": "amount"})
    await demo.close()


async def test_threads_sharing_one_backend_never_lose_a_credit() -> None:
    demo = DemoBackend()

    def worker(n: int) -> None:
        async def run() -> None:
            for i in range(50):
                await demo.call("topup", {"amount": "1", "idempotency_key": f"{n}-{i}"}, CTX)

        asyncio.run(run())

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert (await demo.call("balance", {}, CTX))["balance"] == "250.00"
    await demo.close()


async def test_balance_is_cheap_in_process() -> None:
    """The engine benchmark calls ``balance`` in-process; it must stay far from the bottleneck."""
    demo = DemoBackend()
    n = 20_000
    started = time.perf_counter()
    for _ in range(n):
        await demo.call("balance", {}, CTX)
    rate = n / (time.perf_counter() - started)
    print(f"demo balance: {rate:,.0f} calls/s")
    assert rate > 20_000
    await demo.close()


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("802413", None),
        ("123456", "digits in sequence"),
        ("987654", "digits in sequence"),
        ("012345", "digits in sequence"),
        ("777777", "all digits the same"),
        ("12345", "must be 6 digits"),
        ("８０２４１３", "must be 6 digits"),
        ("", "must be 6 digits"),
    ],
)
def test_weak_passwords(password: str, reason: str | None) -> None:
    assert weakness(password) == reason
