"""SMS benchmark: MO->MT round trips through ``SmsService`` vs raw smpplib submits.

Both figures are measured in the same run against the same SMSC (the npm
``smpp`` SMSC when node is available, else our simulator), so the ratio says
what our gateway costs, not how fast this machine is. A round trip is one
deliver_sm in, its deliver_sm_resp, the handler, one submit_sm out and its
resp: twice the PDUs of a raw submit plus the engine, so 0.4 is the target.

With ``store`` a Redis URL the gateway runs as ``serve --store redis://``
does: sessions in Redis, each MO kept in the durable inbox before its resp,
answered into the Redis outbox (keys under a throw-away prefix, deleted
afterwards). The difference between the two runs is what durability costs.

    .venv/bin/python -m bench.sms [SECONDS] [REDIS_URL]
"""

from __future__ import annotations

import asyncio
import json
import secrets
import sys
import time
from collections.abc import Callable
from typing import Any

import smpplib.client

from engine.store.loader import is_redis_url
from engine.store.redis import RedisStore
from engine.store.redis_inbox import RedisInbox
from engine.store.redis_outbox import RedisOutbox
from engine.types import Handler
from gateways.sms.options import SmppOptions
from gateways.sms.outbox import MtItem
from gateways.sms.service import SmsService
from simulator.smsc import SmscSimulator
from simulator.smsc_npm import NpmSmsc, npm_smsc_available

CREDENTIALS = {"bench": "secret"}
WINDOW = 32
ROUNDS = 3
ANSWER = "您的余额为50.00元"


def engine_handler(store: RedisStore | None = None) -> Handler:
    from engine.run.build import build_engine

    return build_engine("flows", backend="demo", store=store).handle


class _Durable:
    """The Redis parts of ``serve --store redis://`` for one bench run, under a throw-away prefix."""

    def __init__(self, url: str) -> None:
        self.prefix = f"mfbench:{secrets.token_hex(4)}:"
        self.sessions = RedisStore(url, prefix=self.prefix)
        self.outbox = RedisOutbox(url, MtItem, prefix=self.prefix)
        self.inbox = RedisInbox(url, self.outbox)

    async def close(self) -> None:
        await self.inbox.close()
        await self.outbox.close()
        keys = [k async for k in self.sessions.redis.scan_iter(match=self.prefix + "*", count=1000)]
        for i in range(0, len(keys), 1000):
            await self.sessions.redis.delete(*keys[i : i + 1000])
        await self.sessions.close()


def raw_submits(port: int, seconds: float) -> float:
    """Pipelined submit_sm/s with smpplib's own client (blocking, ``WINDOW`` in flight)."""
    client = smpplib.client.Client("127.0.0.1", port, allow_unknown_opt_params=True)
    client.connect()
    client.bind_transceiver(system_id="bench", password=CREDENTIALS["bench"])
    body = ANSWER.encode("utf-16-be")
    sent = answered = 0
    start = time.perf_counter()
    end = start + seconds
    while answered < sent or time.perf_counter() < end:
        while sent - answered < WINDOW and time.perf_counter() < end:
            client.send_message(source_addr="10086", destination_addr=f"86139{sent:08d}", dest_addr_ton=1,
                                dest_addr_npi=1, data_coding=8, short_message=body, registered_delivery=0)
            sent += 1
        if client.read_pdu().command == "submit_sm_resp":
            answered += 1
    elapsed = time.perf_counter() - start
    client.unbind()
    client.disconnect()
    return answered / elapsed


class _Loop:
    """Closed loop on our simulator: a new MO each time an answer arrives."""

    def __init__(self, smsc: SmscSimulator, n: int) -> None:
        self.smsc, self.n, self.sent, self.done = smsc, n, 0, 0
        self.finished = asyncio.Event()
        smsc.on_message = self._answered

    def fill(self) -> None:
        while self.sent < self.n and self.sent - self.done < WINDOW:
            self.smsc.deliver_nowait(f"86139{self.sent:08d}", "10086", "YE")
            self.sent += 1

    def _answered(self, _msg: object) -> None:
        self.done += 1
        if self.done >= self.n:
            self.finished.set()
        self.fill()


async def _roundtrips(smsc: SmscSimulator | NpmSmsc, n: int) -> float:
    start = time.perf_counter()
    if isinstance(smsc, NpmSmsc):
        before = smsc.count("loop_done")
        smsc.command("loop", n=n, window=WINDOW, text_hex=b"YE".hex(), prefix=f"8613{int(start) % 10}")
        await smsc.wait_for(lambda: smsc.count("loop_done") > before, timeout=120)
    else:
        loop = _Loop(smsc, n)
        loop.fill()
        await asyncio.wait_for(loop.finished.wait(), 120)
    return n / (time.perf_counter() - start)


async def _measure(seconds: float, handler_factory: Callable[[], Handler] | None, smsc_kind: str,
                   store: str) -> dict[str, Any]:
    use_npm = smsc_kind != "simulator" and npm_smsc_available() == ""
    smsc: SmscSimulator | NpmSmsc = NpmSmsc(CREDENTIALS, quiet=True) if use_npm else SmscSimulator(
        credentials=CREDENTIALS)
    await smsc.start()
    raws: list[float] = []
    rates: list[float] = []
    try:
        loop = asyncio.get_running_loop()
        opts = SmppOptions(port=smsc.port, system_id="bench", password="secret", tps=0, window=WINDOW,
                           registered_delivery=0)
        durable = _Durable(store) if is_redis_url(store) else None
        if handler_factory is not None:
            handler = handler_factory()
        else:
            handler = engine_handler(durable.sessions if durable is not None else None)
        svc = SmsService(handler, opts, outbox=durable.outbox if durable else None,
                         inbox=durable.inbox if durable else None)
        await svc.start()
        try:
            await svc.wait_bound()
            warm = await _roundtrips(smsc, 300)
            # Alternate short slices and keep each side's best: a neighbour's CPU
            # burst then hurts one slice, not the whole figure.
            for _ in range(ROUNDS):
                raws.append(await loop.run_in_executor(None, raw_submits, smsc.port, seconds / (2 * ROUNDS)))
                n = max(300, int(max([warm, *rates]) * seconds / (2 * ROUNDS)))
                rates.append(await _roundtrips(smsc, n))
        finally:
            await svc.close()
            if durable is not None:
                await durable.close()
    finally:
        await smsc.close()
    raw, rate = max(raws), max(rates)
    return {"sms_ratio": round(rate / raw, 3), "sms_roundtrips_per_s": round(rate, 1),
            "sms_raw_submit_per_s": round(raw, 1), "targets": {"sms_ratio": [">=", 0.4]}}


def run(seconds: float = 10.0, handler_factory: Callable[[], Handler] | None = None,
        smsc: str = "auto", store: str = "memory") -> dict[str, Any]:
    """Measure for about ``seconds`` (half raw, half round trips); engine handler by default.

    ``smsc``: "auto" (npm when node is there, else the simulator), or "simulator".
    ``store``: "memory", or a Redis URL for the durable inbox, Redis outbox and sessions.
    """
    with asyncio.Runner(loop_factory=_loop_factory()) as runner:
        return runner.run(_measure(seconds, handler_factory, smsc, store))


def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop when installed, as ``menuflow serve`` runs; the raw client is blocking either way."""
    try:
        import uvloop
    except ImportError:
        return None
    factory: Callable[[], asyncio.AbstractEventLoop] = uvloop.new_event_loop
    return factory


if __name__ == "__main__":
    secs = float(sys.argv[1]) if len(sys.argv) > 1 else 10.0
    print("SMSC:", "npm smpp" if npm_smsc_available() == "" else "menuflow simulator", file=sys.stderr)
    print(json.dumps(run(secs, store=sys.argv[2] if len(sys.argv) > 2 else "memory"), ensure_ascii=False))
