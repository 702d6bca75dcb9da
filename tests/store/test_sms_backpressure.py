"""Backpressure instead of loss, and what a crash can lose besides MOs (delivery receipts).

A slow engine fills the durable inbox; past ``inbox_max`` the SMSC gets
ESME_RTHROTTLED, keeps the MO and sends it again (tests/npm/smsc.js ``burst``).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from engine.store.redis_inbox import RedisInbox
from engine.store.redis_outbox import RedisOutbox
from engine.types import Inbound, Reply
from gateways.sms.options import SmppOptions
from gateways.sms.outbox import MtItem
from gateways.sms.pdu import ESME_RTHROTTLED, ESME_RX_T_APPN
from gateways.sms.service import SmsService
from simulator.smsc_npm import NpmSmsc, npm_smsc_available
from tests.conftest import skip_or_fail

pytestmark = pytest.mark.node
N = 60


@pytest.fixture
async def smsc() -> AsyncIterator[NpmSmsc]:
    reason = npm_smsc_available()
    if reason:
        skip_or_fail(reason)
    async with NpmSmsc({"menuflow": "secret"}) as sim:
        yield sim


def options(port: int, **kw: object) -> SmppOptions:
    return SmppOptions(port=port, system_id="menuflow", password="secret", tps=0, window=32,
                       registered_delivery=0, reconnect_min=0.05, reconnect_max=0.2, **kw)  # type: ignore[arg-type]


class Gate:
    """An engine stand-in that answers only once opened (a slow backend)."""

    def __init__(self) -> None:
        self.open = asyncio.Event()

    async def __call__(self, inbound: Inbound) -> list[Reply]:
        await self.open.wait()
        return [Reply("sms", inbound.msisdn, "ok")]


def statuses(smsc: NpmSmsc) -> list[int]:
    return [e["status"] for e in smsc.events if e.get("event") == "mo_resp"]


async def test_a_full_inbox_throttles_the_smsc_which_keeps_the_mos(
    smsc: NpmSmsc, redis_url: str, key_prefix: str
) -> None:
    outbox = RedisOutbox(redis_url, MtItem, prefix=key_prefix)
    inbox = RedisInbox(redis_url, outbox, max_len=20)
    gate = Gate()
    svc = SmsService(gate, options(smsc.port, inbox_max=20), outbox=outbox, inbox=inbox)
    await svc.start()
    try:
        await svc.wait_bound(5)
        smsc.command("burst", n=N, ms=100, text_hex=b"hi".hex(), prefix="86137", retry_ms=50)
        await smsc.wait_for(lambda: ESME_RTHROTTLED in statuses(smsc), timeout=10)
        assert await inbox.size() == 20  # the bound holds while the engine is stuck
        gate.open.set()
        await smsc.wait_for(lambda: len({m.destination for m in smsc.messages}) == N, timeout=20)
    finally:
        await svc.close()
        await inbox.close()
        await outbox.close()
    assert svc.stats.mo_deferred == statuses(smsc).count(ESME_RTHROTTLED) > 0
    assert smsc.count("redeliver") == svc.stats.mo_deferred and len(smsc.messages) == N


async def test_without_redis_an_mo_is_refused_for_now_not_accepted(smsc: NpmSmsc, key_prefix: str) -> None:
    """Nothing is accepted that cannot be kept: an unreachable inbox means ESME_RX_T_APPN."""
    outbox = RedisOutbox("redis://127.0.0.1:1/0", MtItem, prefix=key_prefix)
    inbox = RedisInbox("redis://127.0.0.1:1/0", outbox)
    gate = Gate()
    gate.open.set()
    svc = SmsService(gate, options(smsc.port), outbox=outbox, inbox=inbox)
    await svc.start()
    try:
        await svc.wait_bound(5)
        smsc.deliver_fields({"source_addr": "8613700000001", "destination_addr": "10086", "short_message": b"hi"})
        await smsc.wait_for(lambda: len(statuses(smsc)) + smsc.count("deliver_resp") >= 1, timeout=10)
    finally:
        await svc.close()
    assert [e["status"] for e in smsc.events if e.get("event") == "deliver_resp"] == [ESME_RX_T_APPN]
    assert svc.stats.mo_deferred == 1 and svc.stats.mo_received == 0


async def test_memory_path_throttles_past_the_bound_too(smsc: NpmSmsc) -> None:
    gate = Gate()
    svc = SmsService(gate, options(smsc.port, inbox_max=10))
    await svc.start()
    try:
        await svc.wait_bound(5)
        smsc.command("burst", n=30, ms=50, text_hex=b"hi".hex(), prefix="86136", retry_ms=50)
        await smsc.wait_for(lambda: ESME_RTHROTTLED in statuses(smsc), timeout=10)
        gate.open.set()
        await smsc.wait_for(lambda: len({m.destination for m in smsc.messages}) == 30, timeout=20)
    finally:
        await svc.close()
    assert svc.stats.mo_deferred > 0


async def test_a_receipt_for_an_mt_of_a_dead_process_is_acknowledged_and_dropped(smsc: NpmSmsc) -> None:
    """Receipts are reports, not messages: after a crash the restarted process no longer knows the MT.

    It still answers OK (a refusal would make the SMSC resend it for hours) and
    the MT's state stays as the dead process left it: a crash loses receipts.
    """
    svc = SmsService(Gate(), options(smsc.port))
    await svc.start()
    try:
        await svc.wait_bound(5)
        smsc.deliver_fields({"source_addr": "8613700000001", "destination_addr": "10086", "esm_class": 0x04,
                             "short_message": b"id:0000abcd sub:001 dlvrd:001 stat:DELIVRD err:000"})
        await smsc.wait_for(lambda: smsc.count("deliver_resp") == 1, timeout=10)
    finally:
        await svc.close()
    assert [e["status"] for e in smsc.events if e.get("event") == "deliver_resp"] == [0]
    assert svc.stats.receipts == 1 and svc.tracker.receipt("0000abcd", "DELIVRD") is None
