"""Shared bench plumbing: timing loops, machine facts, targets and the report table.

Every bench module returns a flat dict of figures; it may add a ``targets``
entry mapping a figure's name to ``[op, value]`` (op ``">="`` or ``"<="``), and
``__main__`` turns those into pass/fail marks. Ratios against a raw baseline
measured in the same run are preferred to absolute numbers, since the CI
machine's speed is not ours to choose.
"""

from __future__ import annotations

import asyncio
import inspect
import os
import platform
import sys
import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

Figures = dict[str, Any]
Target = tuple[str, float]
T = TypeVar("T")


def machine_info() -> dict[str, Any]:
    return {
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "machine": platform.machine(),
    }


Batch = Callable[[], int] | Callable[[], Awaitable[int]]


async def timed(step: Batch, seconds: float) -> float:
    """Operations per second: ``step`` does a batch (sync or async) and returns how many it did."""
    done = 0
    start = time.perf_counter()
    deadline = start + seconds
    while True:
        n = step()
        done += await n if inspect.isawaitable(n) else n
        now = time.perf_counter()
        if now >= deadline:
            return done / (now - start)


async def best_of(rounds: int, window: float, steps: dict[str, Batch]) -> dict[str, float]:
    """Time each step for ``window`` s, in turn, ``rounds`` times; the best rate of each.

    Interleaving makes every step see the same machine conditions; taking the
    best filters out the moments another process had the CPU.
    """
    best = dict.fromkeys(steps, 0.0)
    for _ in range(rounds):
        for name, step in steps.items():
            best[name] = max(best[name], await timed(step, window))
    return best


def run_async(main: Coroutine[Any, Any, T]) -> tuple[T, str]:
    """Run ``main`` on uvloop when it is installed (it is a dependency), else asyncio.

    Returns the result and the loop's name, which the report shows.
    """
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main), "asyncio"
    return uvloop.run(main), "uvloop"


def passed(value: Any, target: Target) -> bool:
    op, bound = target
    if not isinstance(value, int | float):
        return False
    return value >= bound if op == ">=" else value <= bound


def checks(modules: dict[str, Figures]) -> list[dict[str, Any]]:
    """One row per target of every module; a module that failed fails its targets."""
    rows: list[dict[str, Any]] = []
    for module, figures in modules.items():
        for name, (op, bound) in (figures.get("targets") or {}).items():
            value = figures.get(name)
            rows.append(
                {
                    "module": module,
                    "figure": name,
                    "value": value,
                    "target": f"{op} {bound:g}",
                    "ok": passed(value, (op, bound)),
                }
            )
    return rows


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.3f}" if abs(value) < 100 else f"{value:,.0f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def table(machine: dict[str, Any], modules: dict[str, Figures]) -> str:
    """The human-readable report: every figure, and a mark for those with a target."""
    lines = [
        f"menuflow bench — {machine['cores']} cores, {machine['implementation']} {machine['python']}, "
        f"{machine['platform']}",
        "",
    ]
    width = max([len(k) for f in modules.values() for k in f] + [10])
    for module, figures in modules.items():
        lines.append(f"[{module}]")
        targets = figures.get("targets") or {}
        for name, value in figures.items():
            if name == "targets":
                continue
            mark = ""
            if name in targets:
                op, bound = targets[name]
                mark = f"  target {op} {_fmt(float(bound))}  {'PASS' if passed(value, (op, bound)) else 'FAIL'}"
            lines.append(f"  {name:<{width}}  {_fmt(value):>14}{mark}")
        lines.append("")
    return "\n".join(lines)


def log(message: str) -> None:
    """Progress goes to stderr so that stdout stays one JSON object."""
    print(message, file=sys.stderr, flush=True)
