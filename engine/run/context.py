"""What a turn may use of the world: flows, the backend with its deadline, observers, the clock.

A ``Turn`` gets this narrow context instead of the whole Engine, so a state
can neither reach the session store nor another subscriber's lock.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from typing import Any

from engine.flow.model import CompiledFlow
from engine.flow.registry import FlowRegistry
from engine.ports.backend import Backend, BackendFailure, BackendTimeout, BackendUnavailable, CallContext, OperationInfo
from engine.ports.events import EngineEvent, Observer
from engine.ports.limits import RateLimiter
from engine.store.limits import MemoryRateLimiter


class TurnContext:
    def __init__(self, registry: FlowRegistry, backend: Backend, call_timeout: float,
                 observers: list[Observer], log: logging.Logger, limits: RateLimiter | None = None) -> None:
        self.registry = registry
        self.backend = backend
        self.call_timeout = call_timeout
        self.operations: Mapping[str, OperationInfo] = backend.operations()
        self.observers = observers
        self.log = log
        #: Subscribers whose language a ``set: {locale: ...}`` just changed (the profile cache drops them).
        self.locale_changed: set[str] = set()
        #: Per-number counters: operations with ``per_hour`` and failed checks per source.
        self.limits: RateLimiter = limits if limits is not None else MemoryRateLimiter()
        # pragma: no mutate start (equivalent: any start that is not a registry generation is rebuilt on first use)
        self._secrets: frozenset[str] = frozenset()
        self._secrets_generation = -1
        # pragma: no mutate end

    def flow(self, flow_id: str, version: int) -> CompiledFlow | None:
        return self.registry.get(flow_id, version)

    def secret_names(self) -> frozenset[str]:
        """Every current flow's secret variables, rebuilt when flows are reloaded.

        A turn wipes all of them, not only its own flow's: a password typed in the ``auth``
        subflow must not survive in a session that has returned to its caller (sessions saved
        before secret inputs were wiped per turn still carry one).
        """
        if self._secrets_generation != self.registry.generation:
            self._secrets = frozenset(n for f in self.registry.current.values() for n in f.secrets)
            self._secrets_generation = self.registry.generation
        return self._secrets

    def current(self, flow_id: str) -> CompiledFlow | None:
        return self.registry.current.get(flow_id)

    def emit(self, event: EngineEvent) -> None:
        """Deliver to observers; callers building costly events check ``observers`` first."""
        for obs in self.observers:
            try:
                obs(event)
            except Exception:  # an observer must never break a conversation
                self.log.exception("observer failed")

    async def call(self, op: str, params: dict[str, Any], ctx: CallContext) -> dict[str, Any]:
        """The backend's answer within the deadline; any crash becomes ``BackendUnavailable``."""
        if op not in self.operations:
            raise BackendUnavailable(f"operation {op!r} is not offered by the backend")
        try:
            # asyncio.timeout, not wait_for: wait_for (3.11) wraps the call in a task of its own,
            # so an answer the backend has at once (the demo's SQLite) would still cost a loop pass.
            async with asyncio.timeout(self.call_timeout):
                return await self.backend.call(op, params, ctx)
        except TimeoutError:
            raise BackendTimeout("timed out") from None
        except BackendFailure:
            raise
        except Exception as exc:  # a broken backend must not reach the subscriber
            self.log.exception("backend %s crashed", op)
            raise BackendUnavailable(type(exc).__name__) from None


def within_hours(hours: str, now: float) -> bool:
    """``08:00-22:00`` in the server's local time."""
    start, end = hours.split("-")
    t = time.localtime(now)
    hhmm = f"{t.tm_hour:02d}:{t.tm_min:02d}"
    return start <= hhmm < end
