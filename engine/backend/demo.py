"""The demo operator: a seeded SQLite database behind the Backend protocol.

It is what ``menuflow`` runs against out of the box and what the simulator and
benchmarks use, so the hot path stays in-process and synchronous: one cached
connection, one primary-key lookup per call, and a lock held only while that
tiny transaction runs (measured far cheaper than a hop to a worker thread).
Fault injection (``latency``, ``inject``) lets tests and demos show how flows
behave when the operator's systems are slow or down.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import threading
from collections.abc import Mapping
from typing import Any

from engine.backend.catalogue import OPERATIONS, OPTIONAL_PARAMS
from engine.backend.demo_auth import HANDLERS as AUTH_HANDLERS
from engine.backend.demo_offers import HANDLERS as OFFER_HANDLERS
from engine.backend.demo_offers import OfferPolicy, seed_offers, set_policy
from engine.backend.demo_ops import HANDLERS as ACCOUNT_HANDLERS
from engine.backend.demo_ops import DemoCall, Handler
from engine.backend.demo_orders import with_order
from engine.backend.demo_points import (
    CATEGORIES,
    EPointsPolicy,
    points_with_epoints,
    seed_points,
    set_points_policy,
    with_points,
)
from engine.backend.demo_seed import seed
from engine.backend.keys import idempotency_key
from engine.clock import Clock, SystemClock
from engine.ports.backend import BackendFailure, BackendUnavailable, BusinessError, CallContext, OperationInfo

_HANDLERS: dict[str, Handler] = {**ACCOUNT_HANDLERS, **AUTH_HANDLERS, **OFFER_HANDLERS}
_HANDLERS.update({op: with_order(op, _HANDLERS[op]) for op, info in OPERATIONS.items() if info.receipt})
_HANDLERS.update({op: with_points(op, _HANDLERS[op]) for op in CATEGORIES})
_HANDLERS["points"] = points_with_epoints(_HANDLERS["points"])
#: How long a transaction's idempotency key is remembered.
KEY_SECONDS = 24 * 3600


def _required(info: OperationInfo) -> tuple[str, ...]:
    optional = OPTIONAL_PARAMS.get(info.name, frozenset())
    return tuple(p for p in info.params if p not in optional)


_REQUIRED = {name: _required(info) for name, info in OPERATIONS.items()}


class DemoBackend:
    """SQLite-backed demo operator; ``path=None`` keeps everything in memory."""

    def __init__(self, path: str | None = None, clock: Clock | None = None, latency: float = 0.0) -> None:
        self._clock = clock or SystemClock()
        self._latency = latency
        self._faults: dict[str, tuple[BackendFailure | None, float]] = {}
        self._lock = threading.Lock()
        # One connection shared by the event loop (and any thread a host uses): the lock serialises it.
        self._db = sqlite3.connect(path or ":memory:", check_same_thread=False, timeout=5.0)
        self._db.row_factory = sqlite3.Row
        if path:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
        with self._lock:
            seed(self._db, self._clock.now())
            seed_offers(self._db)
            seed_points(self._db)

    def operations(self) -> Mapping[str, OperationInfo]:
        return OPERATIONS

    def inject(self, operation: str, failure: BackendFailure | None, delay: float = 0.0) -> None:
        """Make ``operation`` wait ``delay`` seconds and then raise ``failure`` (None: succeed).

        ``inject(op, None)`` with no delay removes the fault.
        """
        if failure is None and not delay:
            self._faults.pop(operation, None)
        else:
            self._faults[operation] = (failure, delay)

    def set_offer_policy(self, policy: OfferPolicy) -> None:
        """Marketing's limits (weekly cap, decline period, channel switch) for every later ``offers`` call."""
        with self._lock:
            set_policy(self._db, policy)

    def set_points_policy(self, policy: EPointsPolicy) -> None:
        """E-points per category and channel, the daily cap and the churn window, for later business."""
        with self._lock:
            set_points_policy(self._db, policy)

    async def call(self, operation: str, params: Mapping[str, Any], ctx: CallContext) -> dict[str, Any]:
        info = OPERATIONS.get(operation)
        if info is None:
            raise BackendUnavailable(f"unknown operation {operation!r}", code="UNKNOWN_OPERATION")
        fault = self._faults.get(operation)
        delay = self._latency + (fault[1] if fault else 0.0)
        if delay:
            await asyncio.sleep(delay)
        if fault and fault[0] is not None:
            failure = fault[0]
            raise type(failure)(str(failure), failure.code, failure.details)
        for name in _REQUIRED[operation]:
            value = params.get(name)
            if value is None or not str(value).strip():
                raise BusinessError(f"missing {name}", code="MISSING_PARAM", details={"param": name})
        key = None if info.idempotent else f"{operation}:{idempotency_key(operation, params, ctx)}"
        with self._lock:
            return self._run(_HANDLERS[operation], key, params, ctx)

    def _run(self, handler: Handler, key: str | None, params: Mapping[str, Any], ctx: CallContext) -> dict[str, Any]:
        """One transaction: commit on success and on business errors (a wrong try counts)."""
        db = self._db
        sub = db.execute("SELECT * FROM subscribers WHERE msisdn = ?", (ctx.msisdn,)).fetchone()
        if sub is None:
            raise BusinessError("unknown subscriber", code="UNKNOWN_SUBSCRIBER")
        now = self._clock.now()
        if key is not None:
            done = db.execute(
                "SELECT result FROM idempotency WHERE msisdn = ? AND key = ? AND created_at > ?",
                (ctx.msisdn, key, now - KEY_SECONDS),
            ).fetchone()
            if done is not None:
                result: dict[str, Any] = json.loads(done[0])
                return result
        try:
            result = handler(DemoCall(db, sub, params, ctx, now))
            if key is not None:
                db.execute(
                    "INSERT OR REPLACE INTO idempotency VALUES (?, ?, ?, ?)",
                    (ctx.msisdn, key, json.dumps(result, ensure_ascii=False), now),
                )
        except BusinessError:
            db.commit()
            raise
        except BaseException:
            db.rollback()
            raise
        db.commit()
        return result

    async def close(self) -> None:
        with self._lock:
            self._db.close()
