"""Two inputs for one session never interleave: the store lock serialises them."""

from __future__ import annotations

import asyncio

from engine.backend.demo import DemoBackend
from engine.backend.demo_offers import OfferPolicy
from engine.clock import ManualClock
from tests.engine.helpers import Phone, engine_for


async def test_two_inputs_for_one_session_are_serialised() -> None:
    clock = ManualClock()
    backend = DemoBackend(clock=clock)
    backend.inject("balance", None, delay=0.05)  # the first input is still in its backend call
    backend.set_offer_policy(OfferPolicy(channels=()))  # no offer between the balance and the "again" menu
    engine, _, events = engine_for("flows", backend, clock)
    phone = Phone(engine, "ussd")
    await phone.dial()
    first, second = await asyncio.gather(phone.send("1"), phone.send("1"))
    assert "50.00" in first.text
    # the second input was applied to the state the first one left: the "again" menu → main menu
    assert second.text.startswith("欢迎使用10086自助服务")
    states = [e.state for e in events if e.kind == "state"]
    assert states.count("balance") == 1


async def test_many_sessions_in_parallel() -> None:
    engine, _, _ = engine_for("flows")
    phones = [Phone(engine, "ussd", msisdn="8613800138000", call=f"c{i}") for i in range(100)]
    await asyncio.gather(*(p.dial() for p in phones))
    replies = await asyncio.gather(*(p.send("1") for p in phones))
    assert all("50.00" in r.text for r in replies)


async def test_memory_store_purges_abandoned_sessions() -> None:
    engine, clock, _ = engine_for("flows")
    for i in range(3):
        await Phone(engine, "ussd", call=f"gone{i}").dial()
    clock.advance(181)  # past the USSD session lifetime
    assert engine.store.purge() == 3  # type: ignore[attr-defined]
    assert len(engine.store) == 0  # type: ignore[arg-type]
