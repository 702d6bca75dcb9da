"""SMS benchmark: MO->MT round trips through ``menuflow serve`` vs raw smpplib submits.

Both figures are measured in the same run against the same SMSC (the npm
``smpp`` SMSC when node is available, else our simulator), so the ratio says
what our gateway costs, not how fast this machine is. A round trip is one
deliver_sm in, its deliver_sm_resp, the handler, one submit_sm out and its
resp: twice the PDUs of a raw submit plus the engine, so 0.4 is the target.

``sms_ratio`` is a real ``menuflow serve --smpp`` process bound to the SMSC
(as deployed: its logging, metrics, outbox); ``sms_inproc_*`` (diagnosis)
is ``SmsService`` with the engine in this process. Raw and round-trip
slices alternate, and each side's best counts.

Where serve's time goes (memory store): ``sms_engine_in_serve_us_per_turn`` and
``sms_observers_in_serve_us_per_mo`` (metrics and the event log) are timed inside one more
serve process (``bench/insitu.py``); ``sms_inproc_us_per_mo`` is this process's CPU per
round trip on the in-process path (with the npm SMSC, which runs in its own process), and
``sms_floor_ratio`` the ratio one core would reach doing that path plus serve's observers,
both on by default: the rate-limit check, the shared MO state, logging and the engine's
cost between serve's other work left out.

    .venv/bin/python -m bench.sms [SECONDS]
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import signal
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

import redis
import smpplib.client

from bench.common import Figures
from bench.http_load import insitu_process, insitu_report, serve_process
from bench.wrk import process_cpu
from engine.types import Handler
from gateways.sms.options import SmppOptions
from gateways.sms.service import SmsService
from simulator.smsc import SmscSimulator
from simulator.smsc_npm import NpmSmsc, npm_smsc_available

CREDENTIALS = {"bench": "secret"}
WINDOW = 32
ROUNDS = 3
ANSWER = "您的余额为50.00元"


def engine_handler() -> Handler:
    from engine.run.build import build_engine

    return build_engine("flows", backend="demo").handle


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

    def __init__(self, smsc: SmscSimulator, n: int, prefix: str) -> None:
        self.smsc, self.n, self.prefix, self.sent, self.done = smsc, n, prefix, 0, 0
        self.finished = asyncio.Event()
        smsc.on_message = self._answered

    def fill(self) -> None:
        while self.sent < self.n and self.sent - self.done < WINDOW:
            self.smsc.deliver_nowait(f"{self.prefix}{self.sent:08d}", "10086", "YE")
            self.sent += 1

    def _answered(self, _msg: object) -> None:
        self.done += 1
        if self.done >= self.n:
            self.finished.set()
        self.fill()


#: Each loop's senders are numbers of their own (86130… to 86199…, then round again): the same
#: number sending the same text again within a second is, for a durable inbox, the SMSC
#: redelivering an MO whose resp it lost, acknowledged without a second answer. Prefixes taken
#: from the clock's last digit let two loops a second apart collide and the loop wait for ever.
_PREFIXES = itertools.count()


async def _roundtrips(smsc: SmscSimulator | NpmSmsc, n: int) -> float:
    start = time.perf_counter()
    prefix = f"861{30 + next(_PREFIXES) % 70}"
    if isinstance(smsc, NpmSmsc):
        before = smsc.count("loop_done")
        smsc.command("loop", n=n, window=WINDOW, text_hex=b"YE".hex(), prefix=prefix)
        try:
            await smsc.wait_for(lambda: smsc.count("loop_done") > before, timeout=120)
        except TimeoutError:
            smsc.command("loop_status")
            await asyncio.sleep(0.5)
            raise RuntimeError(f"loop stalled: {[e for e in smsc.events if e.get('event') != 'deliver_resp'][-12:]} "
                               f"binds={smsc.count('bind')} errors={smsc.count('error')}") from None
    else:
        loop = _Loop(smsc, n, prefix)
        loop.fill()
        await asyncio.wait_for(loop.finished.wait(), 120)
    return n / (time.perf_counter() - start)


async def _measure(seconds: float, handler_factory: Callable[[], Handler], smsc_kind: str,
                   serve: str | None, store: str) -> dict[str, Any]:
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
        svc = SmsService(handler_factory(), opts)
        await svc.start()
        try:
            await svc.wait_bound()
            warm = await _roundtrips(smsc, 300)
            # Alternate short slices and keep each side's best: a neighbour's CPU
            # burst then hurts one slice, not the whole figure.
            inproc_cpu: list[float] = []
            for _ in range(ROUNDS):
                raws.append(await loop.run_in_executor(None, raw_submits, smsc.port, seconds / (2 * ROUNDS)))
                n = max(300, int(max([warm, *rates]) * seconds / (2 * ROUNDS)))
                cpu0 = process_cpu(os.getpid())
                rates.append(await _roundtrips(smsc, n))
                inproc_cpu.append(1e6 * (process_cpu(os.getpid()) - cpu0) / n)
        finally:
            await svc.close()
        served, serve_cpu = await _through_serve(smsc, seconds, raws, serve, store) if serve else ([], {})
        parts = await _serve_parts(smsc, seconds, serve) if serve and store == "memory" else {}
    finally:
        await smsc.close()
    raw, inproc = max(raws), max(rates)
    figures: dict[str, Any] = {
        "sms_inproc_ratio": round(inproc / raw, 3),
        "sms_inproc_roundtrips_per_s": round(inproc, 1),
        "sms_raw_submit_per_s": round(raw, 1),
        "targets": {"sms_ratio": [">=", 0.4]},
    }
    if served:
        figures |= {"sms_ratio": round(max(served) / raw, 3), "sms_roundtrips_per_s": round(max(served), 1),
                    **serve_cpu}
    if parts:
        figures |= {"sms_engine_in_serve_us_per_turn": parts["engine_us"],
                    "sms_observers_in_serve_us_per_mo": parts["observers_us"]}
        if isinstance(smsc, NpmSmsc):  # the SMSC in its own process: this process's CPU is the path's alone
            inproc_us = inproc_cpu[rates.index(inproc)]
            figures["sms_inproc_us_per_mo"] = round(inproc_us, 1)
            figures["sms_floor_ratio"] = round(1e6 / (inproc_us + parts["observers_us"]) / raw, 3)
    return figures


async def _serve_parts(smsc: SmscSimulator | NpmSmsc, seconds: float, flows: str) -> dict[str, float]:
    """The engine's turn and its observers timed inside a serve process (``bench.insitu``), per MO."""
    before = smsc.count("bind") if isinstance(smsc, NpmSmsc) else 0
    with tempfile.TemporaryDirectory(prefix="mfbench-insitu-") as folder:
        report = os.path.join(folder, "parts.json")
        events = ("--events", os.path.join(folder, "events.sqlite"))
        with insitu_process(report, None, flows, "memory", *_smpp_args(smsc), *events) as served:
            await _bound(smsc, before)
            warm = await _roundtrips(smsc, 300)
            os.kill(served.pid, signal.SIGUSR1)
            await _roundtrips(smsc, max(300, int(warm * seconds / (2 * ROUNDS))))
            return await asyncio.to_thread(insitu_report, served, report)


def _smpp_args(smsc: SmscSimulator | NpmSmsc) -> list[str]:
    return ["--smpp", f"127.0.0.1:{smsc.port}", "--smpp-system-id", "bench", "--smpp-password", "secret",
            "--smpp-tps", "0", "--smpp-window", str(WINDOW), "--smpp-registered-delivery", "0"]


async def _through_serve(smsc: SmscSimulator | NpmSmsc, seconds: float, raws: list[float], flows: str,
                         store: str) -> tuple[list[float], Figures]:
    """Round trips through a ``menuflow serve --smpp [--store]`` process, alternating with more raw slices.

    With a Redis ``store`` each MO is kept in the durable inbox before its resp and answered into the
    Redis outbox, as deployed: the difference from the memory run is what durability costs. Besides
    the rates: the serve process's CPU per MO and, on Redis, the Redis server's (``INFO cpu``), in the
    fastest round.
    """
    loop = asyncio.get_running_loop()
    before = smsc.count("bind") if isinstance(smsc, NpmSmsc) else 0
    rates: list[float] = []
    cpu: list[tuple[float, float]] = []
    redis_client = None if store == "memory" else redis.Redis.from_url(store)
    try:
        with tempfile.TemporaryDirectory(prefix="mfbench-sms-") as folder, \
                serve_process(None, flows, store, *_smpp_args(smsc), "--events",
                              os.path.join(folder, "events.sqlite")) as served:
            await _bound(smsc, before)
            warm = await _roundtrips(smsc, 300)
            for _ in range(ROUNDS):
                raws.append(await loop.run_in_executor(None, raw_submits, smsc.port, seconds / (2 * ROUNDS)))
                n = max(300, int(max([warm, *rates]) * seconds / (2 * ROUNDS)))
                serve0, redis0 = process_cpu(served.pid), _redis_cpu(redis_client)
                rates.append(await _roundtrips(smsc, n))
                cpu.append((1e6 * (process_cpu(served.pid) - serve0) / n,
                            1e6 * (_redis_cpu(redis_client) - redis0) / n))
    finally:
        if redis_client is not None:
            redis_client.close()
    serve_us, redis_us = cpu[rates.index(max(rates))]
    figures: Figures = {"sms_serve_us_per_mo": round(serve_us, 1)}
    if redis_client is not None:
        figures["sms_redis_server_us_per_mo"] = round(redis_us, 1)
    return rates, figures


def _redis_cpu(client: redis.Redis | None) -> float:
    """CPU seconds the Redis server has used (0 without Redis)."""
    if client is None:
        return 0.0
    info = client.info("cpu")
    return float(info["used_cpu_sys"]) + float(info["used_cpu_user"])


async def _bound(smsc: SmscSimulator | NpmSmsc, binds_before: int) -> None:
    """Until the serve process has bound (its MOs must not go to a bind that is gone)."""
    if isinstance(smsc, NpmSmsc):
        await smsc.wait_for(lambda: smsc.count("bind") > binds_before, timeout=30)
        return
    for _ in range(3000):
        if smsc.bound_sessions:
            return
        await asyncio.sleep(0.01)
    raise RuntimeError("menuflow serve did not bind to the SMSC in 30 s")


def run(seconds: float = 10.0, handler_factory: Callable[[], Handler] | None = None,
        smsc: str = "auto", serve: str | None = "flows", store: str = "memory") -> dict[str, Any]:
    """Measure for about ``seconds`` per phase (half raw, half round trips); engine handler by default.

    ``smsc``: "auto" (npm when node is there, else the simulator), or "simulator".
    ``serve``: the flows a ``menuflow serve`` process answers with (None: in-process figures only).
    ``store``: that process's ``--store`` ("memory", or a Redis URL: durable inbox and Redis outbox).
    """
    with asyncio.Runner(loop_factory=_loop_factory()) as runner:
        return runner.run(_measure(seconds, handler_factory or engine_handler, smsc, serve, store))


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
    print(json.dumps(run(secs), ensure_ascii=False))
