"""IVR over FastAGI: many concurrent scripted Asterisk calls through the real engine.

Server and callers share this process (the fake Asterisk is cheap next to the
engine). ``CALLS`` callers each dial again and again for ``seconds``; every
call walks the 10086 menu: balance (1), back to the main menu (1), balance
again (1), goodbye (2) — five engine steps.

- ``ivr_agi_concurrent_calls``: calls kept in progress at once.
- ``ivr_agi_step_p99_ms``: 99th percentile, as the caller feels it, from the
  reply that completed an input to the next command of our server (target
  ≤ 100 ms: the callers never pause, so this is latency at saturation).
- ``ivr_agi_handler_p99_ms``: the engine alone, timed around the handler.
- ``ivr_agi_ratio``: engine steps/s divided by the same load against canned
  replies (``ivr_agi_bare_*``) measured in the same run — what the engine
  costs on top of the FastAGI plumbing.
- ``ivr_twiml_*``: the TwiML webhook of a real ``menuflow serve --ivr-http``
  process (10086 flows, demo backend) under wrk, 32 connections each walking
  calls (answer, 1, 1, 1, 2), against the bare aiohttp process answering a
  fixed TwiML document (``ivr_twiml_ratio``, target >= 0.4; see
  ``bench/http_load.py`` for the saturation check), with its floor
  (``ivr_twiml_floor_ratio``: bare CPU per request against the engine's CPU
  per turn on the same calls, as in ``bench.ussd``).
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from bench.common import Figures, log, run_async
from bench.http_load import (
    Target,
    bare_process,
    bare_us_per_request,
    ceiling,
    compare,
    engine_us_per_turn,
    floor_ratio,
    free_port,
    measure,
    serve_process,
)
from bench.wrk import Step, wrk_path
from engine.types import Handler, Inbound, Reply, Wait
from gateways.ivr.fastagi import start_agi
from gateways.ivr.options import IvrOptions
from simulator.fake_asterisk import FakeAsterisk, agi_environment

CALLS = 200
INPUTS = ["1", "1", "1", "2"]
#: The demo backend's seeded subscribers (unknown numbers end at the first query).
CALLERS = ("13800138000", "13900139000", "13700137000")
ROOT = Path(__file__).resolve().parent.parent

HandlerFactory = Callable[[], Handler]


def engine_handler() -> Handler:
    from engine.run.build import build_engine

    return build_engine(str(ROOT / "flows"), "demo").handle


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def bare_handler() -> Handler:
    """The raw baseline: a canned menu with no engine, ending after the same five steps."""
    counts: dict[str, int] = {}
    menu = Reply(channel="ivr", msisdn="", text="按1", audio=("menu",), wait=Wait())

    async def handle(inbound: Inbound) -> list[Reply]:
        n = counts.get(inbound.session_key, 0) + 1
        counts[inbound.session_key] = n
        if n > len(INPUTS):
            counts.pop(inbound.session_key, None)
            return [Reply(channel="ivr", msisdn="", text="再见")]
        return [menu]

    return handle


def run(seconds: float, handler_factory: HandlerFactory | None = None) -> Figures:
    """FastAGI figures in-process; with the engine (no ``handler_factory``), TwiML through serve too."""
    figures, loop_name = run_async(_measure(seconds, (handler_factory or engine_handler)()))
    figures["ivr_agi_loop"] = loop_name
    if handler_factory is None:
        figures |= twiml(seconds)
        figures["targets"] = {**figures["targets"], "ivr_twiml_ratio": [">=", 0.4]}
    return figures


def twiml_walk() -> list[Step]:
    """One call to 10086: answer, then the same keys as the FastAGI callers press."""
    call = "CallSid=SID&From=%2B8613800138000&To=10086&CallStatus=in-progress"
    first = Step("/ivr/twiml?service=10086", call, "<Response")
    return [first, *(Step("/ivr/twiml?service=10086&step=input", f"{call}&Digits={d}", "<Response") for d in INPUTS)]


def twiml(seconds: float) -> Figures:
    """``ivr_twiml_*``: serve's TwiML webhook against the bare aiohttp process, under wrk."""
    if wrk_path() is None:
        return {"ivr_twiml_error": "wrk not found: install it (Debian/Ubuntu: apt-get install wrk)"}
    log("bench ivr: TwiML through menuflow serve and bare aiohttp under wrk")
    bare_port, serve_port = free_port(), free_port()
    with bare_process(bare_port) as bare_p, serve_process(serve_port, "flows", None) as serve_p:
        bare = Target("bare", f"http://127.0.0.1:{bare_port}", twiml_walk(), bare_p.pid)
        served = Target("serve-twiml", f"http://127.0.0.1:{serve_port}", twiml_walk(), serve_p.pid)
        run_async(measure([bare, served], seconds))
    saturated, figures = ceiling(bare, "ivr_twiml")
    figures |= compare(served, bare, "ivr_twiml", saturated)
    bare_us = bare_us_per_request(figures, "ivr_twiml")
    if bare_us is not None:  # the floor: see bench.ussd
        turn = run_async(engine_us_per_turn("flows", "ivr", "10086", ["", *INPUTS], "memory"))[0]
        figures |= {"ivr_twiml_bare_us_per_request": round(bare_us, 1), "ivr_engine_us_per_turn": round(turn, 1),
                    "ivr_twiml_floor_ratio": floor_ratio(bare_us, turn)}
    return figures


async def _measure(seconds: float, handler: Handler) -> Figures:
    log(f"bench ivr: {CALLS} concurrent FastAGI calls through the engine for {seconds:g} s")
    engine = await _load(seconds, handler)
    log(f"bench ivr: {CALLS} concurrent FastAGI calls, canned replies, for {seconds:g} s")
    bare = await _load(seconds, bare_handler())
    return {
        "ivr_agi_concurrent_calls": CALLS,
        "ivr_agi_calls_completed": engine["done"],
        "ivr_agi_calls_failed": engine["failed"] + bare["failed"],
        "ivr_agi_calls_per_s": engine["calls_per_s"],
        "ivr_agi_steps_per_s": engine["steps_per_s"],
        "ivr_agi_bare_steps_per_s": bare["steps_per_s"],
        "ivr_agi_ratio": engine["steps_per_s"] / bare["steps_per_s"] if bare["steps_per_s"] else 0.0,
        "ivr_agi_step_p50_ms": engine["p50_ms"],
        "ivr_agi_step_p99_ms": engine["p99_ms"],
        "ivr_agi_bare_step_p99_ms": bare["p99_ms"],
        "ivr_agi_handler_p99_ms": engine["handler_p99_ms"],
        "targets": {"ivr_agi_step_p99_ms": ["<=", 100.0], "ivr_agi_calls_failed": ["<=", 0]},
    }


async def _load(seconds: float, inner: Handler) -> dict[str, float]:
    """Keep CALLS scripted calls going for ``seconds``; latency and throughput figures."""
    handler_times: list[float] = []

    async def timed(inbound: Inbound) -> list[Reply]:
        t0 = time.perf_counter()
        try:
            return await inner(inbound)
        finally:
            handler_times.append(time.perf_counter() - t0)

    server = await start_agi(timed, "127.0.0.1", 0, IvrOptions(handler_timeout=30.0))
    steps: list[float] = []
    done = failed = 0
    deadline = time.perf_counter() + seconds

    async def caller(n: int) -> None:
        nonlocal done, failed
        k = 0
        while time.perf_counter() < deadline:
            k += 1
            env = agi_environment(uniqueid=f"b{n}.{k}", callerid=CALLERS[n % len(CALLERS)])
            fake = FakeAsterisk("127.0.0.1", server.port, env=env, inputs=list(INPUTS))
            try:
                commands = await fake.run(timeout=30.0)
            except (OSError, TimeoutError):
                failed += 1
                continue
            steps.extend(fake.step_latencies)
            if commands and commands[-1] == "HANGUP":
                done += 1
            else:
                failed += 1

    t0 = time.perf_counter()
    try:
        await asyncio.gather(*(caller(n) for n in range(CALLS)))
        await server.settle()
    finally:
        await server.close()
    elapsed = time.perf_counter() - t0
    return {
        "done": done,
        "failed": failed + server.stats.errors + server.stats.protocol_errors,
        "calls_per_s": done / elapsed,
        "steps_per_s": len(handler_times) / elapsed,
        "p50_ms": (statistics.median(steps) if steps else 0.0) * 1000,
        "p99_ms": percentile(steps, 0.99) * 1000,
        "handler_p99_ms": percentile(handler_times, 0.99) * 1000,
    }
