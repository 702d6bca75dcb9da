"""Seconds the garbage collector has run in this process, for time budgets that must not count it.

A ``gc.callbacks`` hook adds up the time between each collection's start and
stop; a budget reads ``Collector.total`` at its start and again when it checks
(see the template renderer). It is a module of its own, outside mutation
testing: mutmut wraps every function of the modules it mutates, and a wrapped
hook records its own call in a set while the collection that called it may
have been started by that very set growing, which crashed the interpreter.
"""

from __future__ import annotations

import gc
import time


class Collector:
    """``total``: seconds spent in collections so far."""

    total = 0.0
    _began = 0.0

    @staticmethod
    def hook(phase: str, _info: dict[str, int]) -> None:
        if phase == "start":
            Collector._began = time.perf_counter()
        else:
            Collector.total += time.perf_counter() - Collector._began


gc.callbacks.append(Collector.hook)
