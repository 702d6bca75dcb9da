"""USSD over HTTP: requests/s through gateway + engine against a bare aiohttp handler.

The servers run in this process on loopback; the load generator runs in a
child process (``python -m bench.ussd --load SPEC``) so it does not share the
server's core. It keeps 32 connections busy walking 3-step Africa's Talking
sessions, measures every request's latency, and alternates between the
servers in 4 rounds so that other load on the machine hits all alike.

- ``ussd_http_req_per_s``: through ``add_ussd_routes`` and the real engine on
  the bench's own flow (``*199#``: dial, "1", "1" — three menus, no backend
  call), like ``engine_step_ratio`` in ``bench/engine.py``: what it costs to
  put the gateway and the engine between HTTP and a subscriber.
- ``ussd_http_bare_req_per_s``: an aiohttp handler that reads the same form and
  answers ``CON`` at once — the ceiling of the HTTP stack on this machine.
- ``ussd_http_ratio`` = the two divided (target ≥ 0.5); ``ussd_http_p99_ms``:
  99th percentile latency through gateway and engine (target ≤ 10 ms).
- ``ussd_http_10086_req_per_s`` / ``_p99_ms``: the same through the 10086 flows
  with the demo backend (dial ``*100#``, "1" balance, "1*1" main menu).
- ``event_log_cost`` (memory store): 1 − requests/s of the bench flow's server
  with the durable event log (SQLite in a temporary folder, its writer task and
  thread running as under ``menuflow serve``) ÷ the same server without it:
  what logging costs the serve path (target ≤ 5 %).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import statistics
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
from aiohttp import web

from bench.common import Figures, log, run_async
from bench.events import event_log
from engine.ports.events import Observer
from engine.ports.sessions import SessionStore
from engine.run.build import build_engine
from engine.store.loader import open_store
from engine.store.redis import RedisStore
from engine.types import Handler, Reply
from gateways.http_app import create_http_app, start_http
from gateways.ussd import UssdOptions, add_ussd_routes
from gateways.ussd.progress_redis import RedisProgressStore

CONNECTIONS = 32
WARMUP = 0.5
ROUNDS = 4
ROOT = Path(__file__).resolve().parent.parent
#: (flows directory, service code, cumulative texts of one session); every answer is a CON menu.
BENCH_FLOW = ("bench/flows", "*199#", ("", "1", "1*1"))
FLOW_10086 = ("flows", "*100#", ("", "1", "1*1"))

#: Builds the handler under test from a store spec ("memory" or a redis:// URL).
HandlerFactory = Callable[[str], Handler]


def run(seconds: float, store: str = "memory", handler_factory: HandlerFactory | None = None) -> Figures:
    """Figures for ``python -m bench``; ``handler_factory`` replaces the engine (10086 run skipped)."""
    figures, loop_name = run_async(_measure(seconds, store, handler_factory))
    figures["ussd_http_loop"] = loop_name
    return figures


class _Engines:
    """Engines on ``store`` (memory, or Redis under a throw-away key prefix deleted afterwards)."""

    def __init__(self, store: str) -> None:
        self.spec = store
        self.prefix = f"mfbench-ussd:{uuid.uuid4().hex[:8]}:"
        self.stores: list[SessionStore] = []
        self.progresses: list[RedisProgressStore] = []

    def progress(self) -> RedisProgressStore | None:
        """On Redis, the gateway's per-session records live there too, as ``serve --store redis://`` has them."""
        if self.spec == "memory":
            return None
        progress = RedisProgressStore(self.spec, prefix=self.prefix + "ussd:")
        self.progresses.append(progress)
        return progress

    def handler(self, flows: str, observers: Sequence[Observer] = ()) -> Handler:
        store = open_store(None) if self.spec == "memory" else RedisStore(self.spec, prefix=self.prefix)
        self.stores.append(store)
        engine = build_engine(str(ROOT / flows), "demo", store=store)
        engine.observers.extend(observers)
        return engine.handle

    async def close(self) -> None:
        for progress in self.progresses:
            await progress.close()
        for store in self.stores:
            if isinstance(store, RedisStore):
                keys = [k async for k in store.redis.scan_iter(match=self.prefix + "*", count=1000)]
                for i in range(0, len(keys), 1000):
                    await store.redis.delete(*keys[i : i + 1000])
            await store.close()


async def _measure(seconds: float, store: str, factory: HandlerFactory | None) -> Figures:
    pushes: list[Reply] = []

    async def push(reply: Reply) -> None:
        pushes.append(reply)

    def gateway(handler: Handler) -> web.Application:
        app = create_http_app()
        add_ussd_routes(app, handler, push, UssdOptions(dialects=("at",)), store=engines.progress())
        return app

    engines = _Engines(store)
    bare = web.Application()
    bare.router.add_post("/ussd/at", _bare)
    first = factory(store) if factory is not None else engines.handler(BENCH_FLOW[0])
    targets: list[tuple[web.Application, str, tuple[str, ...]]] = [
        (gateway(first), *BENCH_FLOW[1:]),
        (bare, *BENCH_FLOW[1:]),
    ]
    if factory is None:
        targets.append((gateway(engines.handler(FLOW_10086[0])), *FLOW_10086[1:]))
    async with contextlib.AsyncExitStack() as stack:
        if factory is None and store == "memory":
            events = await stack.enter_async_context(event_log())
            events.start()
            targets.append((gateway(engines.handler(BENCH_FLOW[0], [events])), *BENCH_FLOW[1:]))
        log(f"bench ussd: engine ({store}) and bare aiohttp, {ROUNDS} alternating rounds, {seconds:g} s each")
        # As ``serve`` should after startup: the flows, templates and modules loaded so far
        # leave the collector's view, so a full collection is a few ms instead of ~80 ms.
        gc.freeze()
        try:
            results = await _serve_and_load(targets, seconds)
        finally:
            gc.unfreeze()
            await engines.close()
    engine, baseline = results[0], results[1]
    figures: Figures = {
        "ussd_http_ratio": engine["req_per_s"] / baseline["req_per_s"],
        "ussd_http_req_per_s": engine["req_per_s"],
        "ussd_http_bare_req_per_s": baseline["req_per_s"],
        "ussd_http_p99_ms": engine["p99_ms"],
        "ussd_http_p50_ms": engine["p50_ms"],
        "ussd_http_bare_p99_ms": baseline["p99_ms"],
    }
    if len(results) > 2:
        figures["ussd_http_10086_req_per_s"] = results[2]["req_per_s"]
        figures["ussd_http_10086_p99_ms"] = results[2]["p99_ms"]
    if len(results) > 3:
        figures["ussd_http_logged_req_per_s"] = results[3]["req_per_s"]
        figures["event_log_cost"] = 1 - results[3]["req_per_s"] / engine["req_per_s"]
    figures["ussd_http_errors"] = sum(r["errors"] for r in results)
    figures["ussd_http_deadline_pushes"] = len(pushes)
    figures["ussd_http_connections"] = CONNECTIONS
    if store == "memory":
        figures["targets"] = {"ussd_http_ratio": [">=", 0.5], "ussd_http_p99_ms": ["<=", 10.0]}
        if "event_log_cost" in figures:
            figures["targets"]["event_log_cost"] = ["<=", 0.05]
    else:  # the scale-out issue's target for the Redis store
        figures["targets"] = {"ussd_http_ratio": [">=", 0.3]}
    return figures


async def _serve_and_load(
    targets: list[tuple[web.Application, str, tuple[str, ...]]], seconds: float
) -> list[dict[str, float]]:
    """Serve every target on loopback and run the load generator child against them."""
    runners: list[web.AppRunner] = []
    spec: list[dict[str, Any]] = []
    try:
        for app, code, steps in targets:
            runner, port = await start_http(app, "127.0.0.1", 0)
            runners.append(runner)
            spec.append({"url": f"http://127.0.0.1:{port}/ussd/at", "code": code, "steps": steps})
        cmd = [sys.executable, "-m", "bench.ussd", "--seconds", str(seconds), "--load", json.dumps(spec)]
        child = await asyncio.create_subprocess_exec(*cmd, cwd=ROOT, stdout=asyncio.subprocess.PIPE)
        out, _ = await child.communicate()
        if child.returncode != 0:
            raise RuntimeError(f"load generator exited with status {child.returncode}")
        results: list[dict[str, float]] = json.loads(out.decode().strip().splitlines()[-1])
        return results
    finally:
        for runner in runners:
            await runner.cleanup()


async def _bare(request: web.Request) -> web.Response:
    form = await request.post()
    return web.Response(text=f"CON hello {form.get('text', '')}", content_type="text/plain")


# -- the load generator (child process) ------------------------------------------------


class _Tally:
    """Latencies and errors of one target, summed over its rounds."""

    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.errors = 0
        self.elapsed = 0.0

    def figures(self) -> dict[str, float]:
        cuts = statistics.quantiles(self.latencies, n=100)
        return {
            "req_per_s": len(self.latencies) / self.elapsed,
            "p50_ms": cuts[49] * 1000,
            "p99_ms": cuts[98] * 1000,
            "errors": self.errors,
        }


async def _phase(
    http: aiohttp.ClientSession, target: dict[str, Any], tag: str, length: float, tally: _Tally
) -> None:
    """32 workers walking 3-step sessions against one target for ``length`` seconds."""
    url, code, steps = target["url"], target["code"], target["steps"]
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    began = time.perf_counter()
    stop = began + length

    async def worker(w: int) -> None:
        n = 0
        while time.perf_counter() < stop:
            n += 1
            for text in steps:
                form = {"sessionId": f"{tag}-{w}-{n}", "serviceCode": code,
                        "phoneNumber": "+8613800138000", "networkCode": "46000", "text": text}
                start = time.perf_counter()
                async with http.post(url, data=urlencode(form).encode(), headers=headers) as resp:
                    body = await resp.text()
                tally.latencies.append(time.perf_counter() - start)
                if resp.status != 200 or not body.startswith("CON "):
                    tally.errors += 1
                    if tally.errors <= 3:
                        log(f"bench ussd: unexpected answer {resp.status} {body[:80]!r} from {url}")

    await asyncio.gather(*(worker(w) for w in range(CONNECTIONS)))
    tally.elapsed += time.perf_counter() - began


async def _load(targets: list[dict[str, Any]], seconds: float) -> list[dict[str, float]]:
    """Alternate between the targets in rounds so that load drift on the machine hits all alike."""
    tallies = [_Tally() for _ in targets]
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=CONNECTIONS)) as http:
        for i, target in enumerate(targets):
            await _phase(http, target, f"warm{i}", WARMUP, _Tally())
        for r in range(ROUNDS):
            for i, target in enumerate(targets):
                await _phase(http, target, f"r{r}t{i}", seconds / ROUNDS, tallies[i])
    return [t.figures() for t in tallies]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.ussd")
    parser.add_argument("--load", metavar="SPEC", help="run as the load generator: JSON list of targets")
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--store", default="memory")
    args = parser.parse_args(argv)
    result: Any
    if args.load:
        result, _ = run_async(_load(json.loads(args.load), args.seconds))
    else:
        result = run(args.seconds, args.store)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
