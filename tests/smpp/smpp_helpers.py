"""Shared pieces of the SMPP tests: credentials, a stand-in handler, fast options."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable

from engine.types import Inbound, Reply
from gateways.sms.options import SmppOptions

CREDENTIALS = {"menuflow": "secret"}
BALANCE = "您的余额为50.00元"
LONG_REPLY = "".join(f"第{i}项：话费套餐余额查询结果。" for i in range(1, 13))


async def balance_handler(inbound: Inbound) -> list[Reply]:
    """A stand-in for the engine: the 10086 balance answer, plus a long reply on demand."""
    text = inbound.text.strip().upper()
    if text in ("YE", "余额"):
        return [Reply("sms", inbound.msisdn, BALANCE)]
    if text == "LONG":
        return [Reply("sms", inbound.msisdn, LONG_REPLY)]
    return [Reply("sms", inbound.msisdn, f"收到：{inbound.text}")]


def fast_options(port: int, **kw: object) -> SmppOptions:
    """Options with short timers so fault tests finish in well under a second each."""
    base = SmppOptions(
        host="127.0.0.1", port=port, system_id="menuflow", password="secret", tps=0,
        retry_backoff=0.02, retry_backoff_max=0.2, reconnect_min=0.02, reconnect_max=0.2,
        resp_timeout=2.0, enquire_link=5.0,
    )
    return dataclasses.replace(base, **kw)  # type: ignore[arg-type]




async def eventually(predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    """Wait until ``predicate()`` holds: for state on our side of the socket."""
    async def loop() -> None:
        while not predicate():
            await asyncio.sleep(0.002)
    await asyncio.wait_for(loop(), timeout)
