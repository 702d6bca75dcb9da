"""USSD over HTTP: the real ``menuflow serve`` process under wrk, against a bare aiohttp process.

Every figure comes from wrk (``bench/wrk.py``): 32 connections, one per wrk
thread, each walking Africa's Talking sessions (form posts to ``/ussd/at``)
with its own session ids. Targets, measured in alternating rounds:

- ``ussd_http_*``: ``menuflow serve --ussd-http`` on the bench's own flow
  (``*199#``: dial, "1", "1*1" — three menus, no backend call);
- ``ussd_http_10086_*``: ``serve`` on the 10086 flows with the demo backend
  (dial ``*100#``, "1" balance, "1*1" main menu);
- ``event_log_cost``: the event log's share of the serve path (target
  ≤ 5 %): the CPU per turn the log adds (the default SQLite file, its
  writer running, as deployed: ``event_log_us_per_turn``, measured in this
  process on the same walk in alternating rounds with and without it) ÷
  serve's CPU per request on that walk (``serve_us_per_request``, the
  process's CPU under wrk). ``event_log_serve_cost`` is the same comparison
  made between serve and serve ``--events off`` under wrk, for comparison:
  on this 2-core machine it read −0.14, 0.007 and 0.27 in three quiet runs,
  so it cannot decide 5 % (``event_log_throughput_cost`` is its req/s form);
- the bare aiohttp process (``bench/bare.py``): form parse, fixed answer —
  the ceiling, checked to be saturated before any ratio is reported;
- ``ussd_inproc_*`` (diagnosis only): the gateway routes and the engine served
  by this process, without serve's middlewares, metrics and logging.
- ``*_floor_ratio``: the best ratio serve could reach if HTTP, the gateway
  and every serve feature cost nothing beyond the bare handler: bare CPU per
  request ÷ (that + the engine's CPU per turn on the same walk and store,
  measured here with 32 concurrent walkers). A target above its floor cannot
  be met by making the serving path cheaper, only by a cheaper engine or
  backend (``engine_us_per_turn``, ``engine_10086_us_per_turn``).
- ``*_floor_in_serve_ratio`` (memory store): the same with the engine's turn
  timed inside a serve process under wrk (``bench/insitu.py``,
  ``engine*_in_serve_us_per_turn``), where it shares the CPU's caches with
  aiohttp and costs more than in the loop. With it, ``serve_parse_us``,
  ``serve_gateway_us``, ``serve_observers_us`` (µs per request, timed there)
  and ``serve_rest_us`` say where serve's CPU per request goes beyond the
  bare handler and the engine.

Ratios are per round (serve ÷ bare measured just before), median over the
rounds, with their spread. ``--store redis://…`` runs all of it on Redis
(sessions and the gateway's records there, as ``serve`` keeps them).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import statistics
import sys
import tempfile
from collections.abc import Callable
from urllib.parse import quote

from bench.common import Figures, log, run_async
from bench.http_load import (
    ROOT,
    Target,
    bare_process,
    bare_us_per_request,
    ceiling,
    compare,
    engine_us_per_turn,
    event_log_us_per_turn,
    floor_ratio,
    free_port,
    measure,
    serve_parts,
    serve_process,
)
from bench.wrk import Step, wrk_path
from engine.run.build import build_engine
from engine.store.loader import open_store
from engine.store.redis import RedisStore
from engine.types import Handler, Reply
from gateways.http_app import create_http_app, start_http
from gateways.ussd import UssdOptions, add_ussd_routes
from gateways.ussd.progress_redis import RedisProgressStore

#: (flows directory, service code, cumulative texts of one session); every answer is a CON menu.
BENCH_FLOW = ("bench/flows", "*199#", ("", "1", "1*1"))
FLOW_10086 = ("flows", "*100#", ("", "1", "1*1"))

#: Builds the in-process handler from a store spec (tests pass a canned one).
HandlerFactory = Callable[[str], Handler]


def walk(code: str, texts: tuple[str, ...]) -> list[Step]:
    """An Africa's Talking session: one form post per cumulative text, each answered ``CON …``."""
    return [
        Step("/ussd/at", f"sessionId=SID&serviceCode={quote(code)}&phoneNumber=%2B8613800138000"
                         f"&networkCode=46000&text={quote(text)}", "CON ")
        for text in texts
    ]


def engine_inputs(texts: tuple[str, ...]) -> list[str]:
    """A walk's cumulative texts as the engine gets them: the gateway feeds the newest input only."""
    return [text.rpartition("*")[2] for text in texts]


def run(seconds: float, store: str = "memory", handler_factory: HandlerFactory | None = None) -> Figures:
    """Figures for ``python -m bench``; ``handler_factory`` replaces the in-process engine."""
    if wrk_path() is None:
        return {"error": "wrk not found: install it (Debian/Ubuntu: apt-get install wrk); see README 'Benchmarks'"}
    figures, loop_name = run_async(_measure(seconds, store, handler_factory))
    figures["ussd_http_loop"] = loop_name
    return figures


def _inproc_handler(store: str) -> Handler:
    sessions = open_store(None) if store == "memory" else RedisStore(store, prefix="mfbench:")
    return build_engine(str(ROOT / BENCH_FLOW[0]), "demo", store=sessions).handle


async def _measure(seconds: float, store: str, factory: HandlerFactory | None) -> Figures:
    pushes: list[Reply] = []

    async def push(reply: Reply) -> None:
        pushes.append(reply)

    ports = [free_port() for _ in range(4)]
    log(f"bench ussd: serve ({store}) x3, bare aiohttp and in-process routes under wrk")
    folder = tempfile.TemporaryDirectory(prefix="mfbench-events-")
    logged = ("--events", os.path.join(folder.name, "events.sqlite"))
    progress = None if store == "memory" else RedisProgressStore(store, prefix="mfbench:ussd:")
    app = create_http_app()
    add_ussd_routes(app, (factory or _inproc_handler)(store), push, UssdOptions(dialects=("at",)), store=progress)
    runner, inproc_port = await start_http(app, "127.0.0.1", 0)
    gc.freeze()  # as serve does after start-up
    try:
        with bare_process(ports[0]) as bare_p, serve_process(ports[1], BENCH_FLOW[0], store, *logged) as bench_p, \
                serve_process(ports[2], FLOW_10086[0], store, *logged) as p10086, \
                serve_process(ports[3], BENCH_FLOW[0], store, "--events", "off") as quiet_p:
            bare = Target("bare", f"http://127.0.0.1:{ports[0]}", walk(*BENCH_FLOW[1:]), bare_p.pid)
            served = Target("serve", f"http://127.0.0.1:{ports[1]}", walk(*BENCH_FLOW[1:]), bench_p.pid)
            s10086 = Target("serve-10086", f"http://127.0.0.1:{ports[2]}", walk(*FLOW_10086[1:]), p10086.pid)
            quiet = Target("serve-no-events", f"http://127.0.0.1:{ports[3]}", walk(*BENCH_FLOW[1:]), quiet_p.pid)
            inproc = Target("in-process", f"http://127.0.0.1:{inproc_port}", walk(*BENCH_FLOW[1:]))
            await measure([bare, served, s10086, quiet, inproc], seconds)
    finally:
        folder.cleanup()
        gc.unfreeze()
        await runner.cleanup()
        if progress is not None:
            await progress.close()
    saturated, figures = ceiling(bare, "ussd_http")
    figures |= compare(served, bare, "ussd_http", saturated)
    figures |= compare(s10086, bare, "ussd_http_10086", saturated)
    figures |= compare(inproc, bare, "ussd_inproc", saturated)
    figures["ussd_http_deadline_pushes"] = len(pushes)
    figures |= await event_log_cost(served, quiet)
    figures |= await floors(store, figures)
    if store == "memory":
        figures["targets"] = {"ussd_http_10086_ratio": [">=", 0.5], "ussd_http_10086_p99_ms": ["<=", 10.0],
                              "ussd_http_ratio": [">=", 0.6], "event_log_cost": ["<=", 0.05]}
    else:
        figures["targets"] = {"ussd_http_10086_ratio": [">=", 0.3]}
    return figures


async def floors(store: str, figures: Figures) -> Figures:
    """The floor ratios of both walks (see the module's docstring), from the engine's turn in a tight loop
    and, on the memory store, inside serve, with where the rest of serve's CPU per request goes."""
    bare = bare_us_per_request(figures, "ussd_http")
    if bare is None:
        return {}
    out: Figures = {"bare_us_per_request": round(bare, 1)}
    for key, (flows, code, texts) in (("", BENCH_FLOW), ("_10086", FLOW_10086)):
        turn = await engine_us_per_turn(flows, "ussd", code, engine_inputs(texts), store)
        out[f"engine{key}_us_per_turn"] = round(turn, 1)
        out[f"ussd_http{key}_floor_ratio"] = floor_ratio(bare, turn)
        if store != "memory":
            continue  # on Redis a turn's CPU is partly in redis-py's reader, which the stopwatch does not see
        parts = await asyncio.to_thread(serve_parts, flows, walk(code, texts), store)
        out[f"engine{key}_in_serve_us_per_turn"] = parts["engine_us"]
        out[f"ussd_http{key}_floor_in_serve_ratio"] = floor_ratio(bare, parts["engine_us"])
        if not key:
            out |= serve_breakdown(bare, parts, figures.get("serve_us_per_request"))
    return out


def serve_breakdown(bare: float, parts: dict[str, float], serve_us: float | None) -> Figures:
    """Serve's CPU per request on the bench walk, by part: ``serve_<part>_us`` as timed inside serve, and
    ``serve_rest_us``, what remains beyond them and the bare handler's whole request (aiohttp's routing
    and middlewares, the rate limit, the engine's task, the event log's writer thread)."""
    out: Figures = {f"serve_{part}_us": parts[f"{part}_us"] for part in ("parse", "gateway", "observers")}
    if serve_us is not None:
        timed = sum(parts[f"{part}_us"] for part in ("engine", "parse", "gateway", "observers"))
        out["serve_rest_us"] = round(serve_us - bare - timed, 1)
    return out


async def event_log_cost(logged: Target, quiet: Target) -> Figures:
    """The log's share of the serve path: its CPU per turn (measured in-process, see
    ``event_log_us_per_turn``) ÷ serve's CPU per request on the same walk with its log, median of the
    wrk rounds. The same comparison made through two serve processes is kept beside it
    (``event_log_serve_*``): on this 2-core machine it swings too far between rounds to decide 5 %."""
    cpu = [(c / x.req_per_s, q / y.req_per_s)
           for c, x, q, y in zip(logged.cores, logged.loads, quiet.cores, quiet.loads, strict=False)
           if x.req_per_s and y.req_per_s]
    if not cpu:
        return {}
    serve_us = 1e6 * statistics.median(with_log for with_log, _ in cpu)
    log_us = await event_log_us_per_turn(BENCH_FLOW[0], "ussd", BENCH_FLOW[1], engine_inputs(BENCH_FLOW[2]))
    costs = sorted(1 - without / with_log for with_log, without in cpu)
    throughput = sorted(1 - x.req_per_s / y.req_per_s for x, y in zip(logged.loads, quiet.loads, strict=False))
    return {
        "event_log_cost": round(log_us / serve_us, 3),
        "event_log_us_per_turn": round(log_us, 2),
        "serve_us_per_request": round(serve_us, 1),
        "event_log_serve_cost": round(statistics.median(costs), 3),
        "event_log_serve_cost_spread": [round(costs[0], 3), round(costs[-1], 3)],
        "event_log_serve_us_per_request": round(1e6 * statistics.median(w - wo for w, wo in cpu), 2),
        "event_log_throughput_cost": round(statistics.median(throughput), 3),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.ussd")
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--store", default="memory")
    args = parser.parse_args(argv)
    print(json.dumps(run(args.seconds, args.store)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

