"""HTTP figures of real processes: ``menuflow serve`` as deployed against a bare aiohttp process.

Each target is a server process (or this process, for in-process diagnosis)
and a walk; wrk drives them in alternating rounds so that a neighbour's CPU
burst hits all of them alike, and each round's ratio compares serve with the
bare handler measured just before it. The bare handler's own process must use
(nearly) a whole core while wrk drives it — otherwise wrk, or the machine,
is the bottleneck and a ratio would be flattering: then ratios are withheld
(``None``) and the report says why.
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from bench.common import Figures, log
from bench.events import event_log, ignore
from bench.wrk import Load, Step, load_average, process_cpu, run_wrk
from engine.run.build import build_engine
from engine.run.engine import Engine
from engine.store.loader import open_store
from engine.types import Channel, Inbound

ROOT = Path(__file__).resolve().parent.parent
CONNECTIONS = 32
ROUNDS = 3
#: The bare server must use this share of a core under wrk for the ceiling to count as the server's.
SATURATED = 0.85


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ServerProcess:
    """A server started as a child process; ready once it prints ``ready`` on stdout."""

    def __init__(self, argv: list[str], ready: str) -> None:
        self.argv, self.ready = argv, ready
        self.proc: subprocess.Popen[str] | None = None

    def __enter__(self) -> ServerProcess:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen(self.argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                     text=True, env=env)
        assert self.proc.stdout is not None
        deadline = time.monotonic() + 60
        for line in self.proc.stdout:
            if self.ready in line:
                return self
            if time.monotonic() > deadline:
                break
        self.__exit__()
        raise RuntimeError(f"{' '.join(self.argv[:4])} did not start")

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def __exit__(self, *_: object) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def serve_argv(port: int | None, flows: str, store: str | None, *extra: str) -> list[str]:
    """The arguments after ``python -m app.cli``: serve as an operator starts it (see ``serve_process``)."""
    argv = ["serve", "--flows", str(ROOT / flows), "--backend", "demo", "--log-level", "INFO", *UNREACHED_LIMITS,
            *extra]
    if port is not None:
        argv += ["--ussd-http", f"127.0.0.1:{port}", "--ivr-http", f"127.0.0.1:{port}"]
    if store is not None and store != "memory":
        argv += ["--store", store]
    return argv


def bare_process(port: int) -> ServerProcess:
    return ServerProcess([sys.executable, "-m", "bench.bare", "--port", str(port)], "bare serving")


#: The walks are one demo subscriber at thousands of requests a second: the per-number limits stay
#: on (their check is part of every request, as deployed) but are set where they are never reached.
UNREACHED_LIMITS = ("--limit-ussd", "1000000000", "--limit-ivr", "1000000000", "--limit-sms", "1000000000")


def serve_process(port: int | None, flows: str, store: str | None, *extra: str) -> ServerProcess:
    """``menuflow serve`` exactly as an operator starts it: its middlewares, metrics, auth and INFO logging.

    ``port``: USSD and IVR webhooks there (None: no HTTP listener, e.g. SMPP only via ``extra``).
    """
    return ServerProcess([sys.executable, "-m", "app.cli", *serve_argv(port, flows, store, *extra)],
                         "menuflow serving")


@dataclass
class Target:
    """A URL, the walk wrk repeats there, and the server's pid (None: this process, in-process)."""

    name: str
    url: str
    steps: list[Step]
    pid: int | None = None
    loads: list[Load] = field(default_factory=list)
    cores: list[float] = field(default_factory=list)


async def measure(targets: list[Target], seconds: float) -> None:
    """A warm-up run each, then ``ROUNDS`` alternating rounds; fills each target's loads and cores."""
    window = max(1.0, round(seconds / ROUNDS))
    tag = uuid.uuid4().hex[:6]
    for k, t in enumerate(targets):
        await asyncio.to_thread(run_wrk, t.url, t.steps, 1.0, CONNECTIONS, f"{tag}t{k}warm")
    for r in range(ROUNDS):
        for k, t in enumerate(targets):
            pid = t.pid if t.pid is not None else os.getpid()
            cpu0, wall0 = process_cpu(pid), time.perf_counter()
            # session ids of their own per target: on --store redis:// every serve process shares one Redis,
            # and a walk replayed under another process's ids found its sessions and records there
            load = await asyncio.to_thread(run_wrk, t.url, t.steps, window, CONNECTIONS, f"{tag}t{k}r{r}")
            t.cores.append((process_cpu(pid) - cpu0) / (time.perf_counter() - wall0))
            t.loads.append(load)
            if load.errors:
                log(f"bench http: {t.name}: {load.errors} unexpected answers, e.g. {load.sample!r}")


def ceiling(bare: Target, prefix: str) -> tuple[bool, Figures]:
    """Whether wrk saturated the bare server, with the figures that show it."""
    best = max(range(len(bare.loads)), key=lambda i: bare.loads[i].req_per_s)
    cores, wrk_cores = bare.cores[best], bare.loads[best].wrk_cores
    ok = cores >= SATURATED
    figures: Figures = {
        f"{prefix}_bare_req_per_s": bare.loads[best].req_per_s,
        f"{prefix}_bare_p99_ms": bare.loads[best].p99_ms,
        f"{prefix}_bare_server_cores": round(cores, 3),
        f"{prefix}_wrk_cores": round(wrk_cores, 3),
        f"{prefix}_ceiling_saturated": ok,
        "load_average": round(load_average(), 2),
    }
    if not ok:
        figures[f"{prefix}_ceiling_note"] = (
            f"wrk did not saturate the bare handler (it used {cores:.2f} of a core, wrk {wrk_cores:.2f} cores, "
            f"load average {load_average():.1f}): the machine is busy or too small; ratios withheld")
    return ok, figures


def compare(target: Target, bare: Target, key: str, saturated: bool) -> Figures:
    """``key``_req_per_s (best round), p99 (median of rounds), ratio (median of per-round ratios) and spread."""
    ratios = [t.req_per_s / b.req_per_s for t, b in zip(target.loads, bare.loads, strict=True) if b.req_per_s]
    median = statistics.median(ratios) if ratios else 0.0
    figures: Figures = {
        f"{key}_req_per_s": max(x.req_per_s for x in target.loads),
        f"{key}_p99_ms": statistics.median(x.p99_ms for x in target.loads),
        f"{key}_p50_ms": statistics.median(x.p50_ms for x in target.loads),
        f"{key}_errors": sum(x.errors for x in target.loads),
        f"{key}_server_cores": round(max(target.cores), 3),
        f"{key}_ratio": round(median, 3) if saturated else None,
        f"{key}_ratio_spread": [round(min(ratios), 3), round(max(ratios), 3)] if ratios else [],
    }
    if not saturated:
        figures[f"{key}_ratio_unverified"] = round(median, 3)
    return figures


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def _walks(engine: Engine, channel: Channel, code: str, inputs: list[str], tag: str, walkers: int,
                 walks: int) -> int:
    """``walkers`` concurrent subscribers each walking ``walks`` new sessions; returns the turns taken."""

    async def walker(w: int) -> None:
        for i in range(walks):
            sid = f"{tag}-{w}-{i}"
            for k, text in enumerate(inputs):
                await engine.handle(Inbound(channel=channel, msisdn="8613800138000", text=text,
                                            event="begin" if k == 0 else "input", session_key=sid,
                                            service_code=code, received_at=time.time()))

    await asyncio.gather(*(walker(w) for w in range(walkers)))
    return walkers * walks * len(inputs)


async def engine_us_per_turn(flows: str, channel: Channel, code: str, inputs: list[str], store: str,
                             walks: int = 20, repeats: int = 3) -> float:
    """CPU µs of one engine turn on a walk (``inputs[0]`` dials), 32 walkers at once as wrk's connections
    (the store batches concurrent commands), with the demo backend: the floor's other half.

    The least of ``repeats`` measurements: noise on a shared machine only ever adds CPU (the same walk
    read 36-47 µs in three runs of one quiet hour when measured once)."""
    engine = build_engine(str(ROOT / flows), "demo", store=open_store(None if store == "memory" else store))
    tag = f"floor{time.time():.0f}"
    try:
        await _walks(engine, channel, code, inputs, f"{tag}w", 32, 5)  # warm-up
        best = float("inf")
        for r in range(repeats):
            before = _cpu()
            turns = await _walks(engine, channel, code, inputs, f"{tag}r{r}", 32, walks)
            best = min(best, 1e6 * (_cpu() - before) / turns)
        return best
    finally:
        await engine.store.close()
        await engine.backend.close()


def insitu_process(report: str, port: int | None, flows: str, store: str | None, *extra: str) -> ServerProcess:
    """``serve_process``'s serve with stopwatches on its parts (``bench.insitu``), reporting to ``report``."""
    argv = [sys.executable, "-m", "bench.insitu", report, *serve_argv(port, flows, store, *extra)]
    return ServerProcess(argv, "menuflow serving")


def insitu_report(server: ServerProcess, report: str) -> dict[str, float]:
    """Ask ``server`` (an ``insitu_process``) for its figures since the last ``SIGUSR1`` and read them."""
    os.kill(server.pid, signal.SIGUSR2)
    deadline = time.monotonic() + 10
    while not os.path.exists(report) and time.monotonic() < deadline:
        time.sleep(0.05)
    with open(report, encoding="utf-8") as f:
        figures: dict[str, float] = json.load(f)
    os.remove(report)
    return figures


def serve_parts(flows: str, steps: list[Step], store: str, seconds: float = 2.0) -> dict[str, float]:
    """µs per engine turn of serve's parts, timed inside a serve process under wrk (``bench.insitu``):
    ``engine``, ``observers``, ``parse``, ``gateway`` (``*_us``), with ``turns``. Serve runs as the bench's
    other serve processes do (event log on a file); one second of warm-up, then ``seconds`` counted."""
    with tempfile.TemporaryDirectory(prefix="mfbench-insitu-") as folder:
        report = os.path.join(folder, "parts.json")
        port = free_port()
        events = ("--events", os.path.join(folder, "events.sqlite"))
        url = f"http://127.0.0.1:{port}"
        tag = uuid.uuid4().hex[:6]
        with insitu_process(report, port, flows, store, *events) as server:
            run_wrk(url, steps, 1.0, CONNECTIONS, f"{tag}warm")
            os.kill(server.pid, signal.SIGUSR1)
            run_wrk(url, steps, seconds, CONNECTIONS, f"{tag}count")
            return insitu_report(server, report)


async def event_log_us_per_turn(flows: str, channel: Channel, code: str, inputs: list[str], rounds: int = 11,
                                walks: int = 10) -> float:
    """CPU µs the event log adds to one turn of a walk, as serve runs it: recording, the queue, the
    writer and SQLite (a file in a temporary folder, its writer task running).

    Two engines walk the same sessions in alternating rounds, one logging and one with an observer
    that does nothing (serve's metrics observer makes the engine build its events either way); each
    logging round ends by writing what it queued, so the writes fall inside it. CPU of this process
    (the writer's thread included), the median of the rounds' differences. Through serve the same
    comparison swung from -64 % to +34 % between wrk rounds on this 2-core machine; here it holds
    within a few µs.
    """
    async with event_log() as events:
        events.start()
        plain = build_engine(str(ROOT / flows), "demo", store=open_store(None))
        logged = build_engine(str(ROOT / flows), "demo", store=open_store(None))
        plain.observers.append(ignore)
        logged.observers.append(events)
        tag = f"evlog{time.time():.0f}"
        try:
            for engine in (plain, logged):
                await _walks(engine, channel, code, inputs, f"{tag}w", 32, 3)  # warm-up
            await events.flush()
            differences = []
            for r in range(rounds):
                cost = {}
                for name, engine in (("plain", plain), ("logged", logged))[:: 1 if r % 2 else -1]:
                    before = _cpu()
                    turns = await _walks(engine, channel, code, inputs, f"{tag}{name}{r}", 32, walks)
                    if engine is logged:
                        await events.flush()
                    cost[name] = 1e6 * (_cpu() - before) / turns
                differences.append(cost["logged"] - cost["plain"])
            return statistics.median(differences)
        finally:
            for engine in (plain, logged):
                await engine.store.close()
                await engine.backend.close()


def bare_us_per_request(figures: Figures, prefix: str) -> float | None:
    """The bare process's CPU per request in its best round (from ``ceiling``'s figures)."""
    rate, cores = figures.get(f"{prefix}_bare_req_per_s"), figures.get(f"{prefix}_bare_server_cores")
    return 1e6 * cores / rate if rate and cores else None


def floor_ratio(bare: float, turn: float) -> float:
    """The ratio serve would reach if everything it adds beyond the bare handler and the engine were free."""
    return round(bare / (bare + turn), 3)
