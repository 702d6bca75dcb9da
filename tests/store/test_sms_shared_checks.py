"""SMS MO checks shared through Redis: a redelivery on another bind, a flooding subscriber."""

from __future__ import annotations

import asyncio
import dataclasses

from engine.store.shared import RedisSharedState
from engine.types import Inbound, Reply
from gateways.sms.options import SmppOptions
from gateways.sms.service import SmsService
from simulator.smsc import SmscSimulator

CREDS = {"menuflow": "secret"}


async def echo(inbound: Inbound) -> list[Reply]:
    return [Reply("sms", inbound.msisdn, f"收到{inbound.text}")]


def options(port: int, **kw: object) -> SmppOptions:
    base = SmppOptions(host="127.0.0.1", port=port, system_id="menuflow", password="secret", tps=0,
                       reconnect_min=0.02, reconnect_max=0.2, resp_timeout=2.0)
    return dataclasses.replace(base, **kw)  # type: ignore[arg-type]


async def test_redelivery_on_another_bind_is_answered_once(redis_url: str, key_prefix: str) -> None:
    async with SmscSimulator(credentials=CREDS) as smsc:
        services = []
        for _ in range(2):  # two processes' binds, one Redis
            svc = SmsService(echo, options(smsc.port), shared=RedisSharedState(redis_url, prefix=key_prefix))
            await svc.start()
            await svc.wait_bound(5)
            services.append(svc)
        try:
            mo = {"source_addr_ton": 1, "source_addr_npi": 1, "source_addr": "8613800138000",
                  "dest_addr_ton": 0, "dest_addr_npi": 0, "destination_addr": "10086", "esm_class": 0,
                  "data_coding": 0, "short_message": b"YE", "user_message_reference": 77}
            for _ in range(4):
                smsc.deliver_fields(dict(mo))
            await smsc.wait_messages(1)
            await asyncio.sleep(0.3)  # room for a wrong second answer to show up
            assert len(smsc.messages) == 1
            assert sum(s.stats.mo_duplicates for s in services) == 3
        finally:
            for svc in services:
                await svc.close()
                await svc.shared.close()


async def test_flooding_subscriber_is_rate_limited(redis_url: str, key_prefix: str) -> None:
    async with SmscSimulator(credentials=CREDS) as smsc:
        svc = SmsService(echo, options(smsc.port, rate_limit=3), shared=RedisSharedState(redis_url, prefix=key_prefix))
        await svc.start()
        await svc.wait_bound(5)
        try:
            for i in range(5):
                await smsc.deliver("8613800138000", "10086", f"m{i}")
            await smsc.wait_messages(3)
            await asyncio.sleep(0.3)
            assert len(smsc.messages) == 3 and svc.stats.mo_throttled == 2
            await smsc.deliver("8613900139000", "10086", "hi")  # other subscribers are not affected
            await smsc.wait_messages(4)
        finally:
            await svc.close()
            await svc.shared.close()
