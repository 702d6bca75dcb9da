"""``python -m bench.insitu REPORT serve ARGS...``: ``menuflow serve`` with stopwatches on its parts.

Why: a floor ratio (bare ÷ (bare + engine turn)) is only a floor if the engine's
figure is what a turn costs *inside serve*. Measured in a tight loop
(``engine_us_per_turn``) the engine has the CPU's caches to itself; inside serve
each turn runs between aiohttp reading one request and writing another, and the
same code takes longer there (the dialect's form parsing: ~15 µs in a loop, ~31
µs between requests, on the 2-core development machine). And a serve figure
alone says how much serve adds, not where: the parts timed here say that.

What runs is serve itself (``python -m app.cli`` with the arguments
``bench.http_load.serve_argv`` gives) with stopwatches put on these parts before it starts, here and
nowhere in the product:

- ``engine``: ``Engine.handle``, less the time its observers took during the turn;
- ``observers``: the engine's observers (metrics, event log), ``TurnContext.emit``;
- ``parse``: the USSD dialect reading and checking the webhook's form;
- ``gateway``: ``UssdGateway._step``: the retry check, the cumulative-text
  fingerprints, the deadline runner and the progress record (the engine runs
  in a task of its own, so its time is not in here).

An async part is timed as the sum of its own running stretches
(``perf_counter_ns`` around each step of the coroutine, not the time it waits
for Redis or the backend), so a turn interleaved with others is not charged
for theirs. Wall-clock stretches count a pre-emption by the OS as the part's,
so each figure is the mean of all calls but the slowest 1 %.

SIGUSR1 starts counting afresh (after a warm-up); SIGUSR2 writes
``{"turns": N, "<part>_us": µs per turn, ...}`` to REPORT as JSON.
"""

from __future__ import annotations

import json
import os
import runpy
import signal
import statistics
import sys
import time
from collections.abc import Awaitable, Callable, Generator
from typing import Any

from engine.run.context import TurnContext
from engine.run.engine import Engine
from gateways.ussd.dialects.africastalking import AfricasTalking
from gateways.ussd.http import UssdGateway

PARTS = ("engine", "observers", "parse", "gateway")

#: Nanoseconds of each call of each part since the last SIGUSR1.
spent: dict[str, list[int]] = {part: [] for part in PARTS}
#: The observers' nanoseconds in the engine's step now running (``timed_emit`` adds, ``Stopwatch`` takes).
in_turn: list[int] = []


class Stopwatch:
    """Awaits ``coro`` as its task would, adding up the time each of its steps runs."""

    def __init__(self, coro: Awaitable[Any], part: str) -> None:
        self.coro, self.part = coro, part

    def __await__(self) -> Generator[Any, None, Any]:
        steps = self.coro.__await__()
        clock = time.perf_counter_ns
        turn = self.part == "engine"  # the observers run inside the engine's steps: charged to them instead
        total = observed = 0
        sent: Any = None
        thrown: BaseException | None = None
        while True:
            in_turn.clear()
            start = clock()
            try:
                yielded = steps.throw(thrown) if thrown is not None else steps.send(sent)
                done = None
            except StopIteration as stop:
                done = stop
            total += clock() - start
            if turn:
                observed += sum(in_turn)
            if done is not None:
                spent[self.part].append(total - observed)
                if turn:
                    spent["observers"].append(observed)
                return done.value
            sent, thrown = None, None
            try:
                sent = yield yielded
            except BaseException as exc:  # a cancellation reaches the part as it would without us
                thrown = exc


def timed_async(method: Callable[..., Awaitable[Any]], part: str) -> Callable[..., Awaitable[Any]]:
    def wrapper(*args: Any, **kwargs: Any) -> Awaitable[Any]:
        return Stopwatch(method(*args, **kwargs), part)

    return wrapper


def timed_emit(emit: Callable[[TurnContext, Any], None]) -> Callable[[TurnContext, Any], None]:
    def wrapper(self: TurnContext, event: Any) -> None:
        start = time.perf_counter_ns()
        try:
            emit(self, event)
        finally:
            in_turn.append(time.perf_counter_ns() - start)

    return wrapper


def per_turn(values: list[int], turns: int) -> float:
    """µs per turn: all calls but the slowest 1 %, averaged over the turns."""
    if not values or not turns:
        return 0.0
    kept = sorted(values)[: max(1, len(values) * 99 // 100)]
    return round(sum(kept) * len(values) / len(kept) / turns / 1000, 1)


def report(path: str) -> dict[str, float]:
    turns = len(spent["engine"])
    figures: dict[str, float] = {"turns": turns}
    for part in PARTS:
        figures[f"{part}_us"] = per_turn(spent[part], turns)
    figures["engine_median_us"] = round(statistics.median(spent["engine"]) / 1000, 1) if turns else 0.0
    with open(path + ".tmp", "w", encoding="utf-8") as f:
        json.dump(figures, f)
    os.replace(path + ".tmp", path)  # whole or absent: the bench polls for it
    return figures


def reset() -> None:
    for values in spent.values():
        values.clear()


def install() -> None:
    Engine.handle = timed_async(Engine.handle, "engine")  # type: ignore[method-assign]
    TurnContext.emit = timed_emit(TurnContext.emit)  # type: ignore[method-assign]
    AfricasTalking.parse = timed_async(AfricasTalking.parse, "parse")  # type: ignore[method-assign]
    UssdGateway._step = timed_async(UssdGateway._step, "gateway")  # type: ignore[method-assign]


def main(argv: list[str]) -> None:
    path, serve_argv = argv[0], argv[1:]
    install()
    signal.signal(signal.SIGUSR1, lambda *_: reset())
    signal.signal(signal.SIGUSR2, lambda *_: report(path))
    # as ``python -m app.cli`` runs it, exit status included (the bench starts serve as a program,
    # never imports it)
    sys.argv = ["app.cli", *serve_argv]
    runpy.run_module("app.cli", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main(sys.argv[1:])
