"""Business volumes per channel, from engine events, for Prometheus.

Operations measure success as "share of business handled through electronic
channels": every completed backend operation is counted per channel and
outcome, with no subscriber data in the labels.
"""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram

from engine.ports.events import EngineEvent


class EngineMetrics:
    """Observer of engine events. Label children are looked up once per label values and kept:
    ``labels()`` takes a lock, checks every value and builds a tuple, twice per USSD request."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self._children: dict[tuple[Any, ...], Any] = {}
        self.sessions = Counter("menuflow_sessions_total", "Sessions started", ["channel", "flow"],
                                registry=registry)
        self.ended = Counter("menuflow_sessions_ended_total", "Sessions ended", ["channel", "reason"],
                             registry=registry)
        self.calls = Counter("menuflow_business_total", "Backend operations", ["channel", "op", "outcome"],
                             registry=registry)
        self.latency = Histogram("menuflow_backend_seconds", "Backend operation latency", ["op"],
                                 registry=registry, buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5))
        self.inputs = Counter("menuflow_inputs_total", "Subscriber inputs", ["channel"], registry=registry)
        self.invalid = Counter("menuflow_invalid_inputs_total", "Invalid choices and no-inputs",
                               ["channel", "kind"], registry=registry)
        self.pushes = Counter("menuflow_pushes_total", "SMS pushed to subscribers", ["channel"],
                              registry=registry)
        self.transfers = Counter("menuflow_transfers_total", "Handovers to agents", ["channel"],
                                 registry=registry)
        self.failed = Counter("menuflow_inputs_failed_total",
                              "Inputs answered 'busy': session locked, stale write, store unreachable, error",
                              ["channel", "reason"], registry=registry)

    def _of(self, family: Counter | Histogram, *labels: str) -> Any:
        key = (id(family), *labels)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = family.labels(*labels)
        return child

    def __call__(self, e: EngineEvent) -> None:
        if e.kind == "session":
            self._of(self.sessions, e.channel, e.flow).inc()
        elif e.kind == "end":
            self._of(self.ended, e.channel, e.data.get("reason", "done")).inc()
        elif e.kind == "call":
            outcome = "ok" if e.data.get("ok") else str(e.data.get("failure", "error"))
            self._of(self.calls, e.channel, e.data.get("op", ""), outcome).inc()
            self._of(self.latency, e.data.get("op", "")).observe(float(e.data.get("ms", 0.0)) / 1000)
        elif e.kind == "input":
            self._of(self.inputs, e.channel).inc()
        elif e.kind in ("invalid", "noinput"):
            self._of(self.invalid, e.channel, e.kind).inc()
        elif e.kind == "push":
            self._of(self.pushes, e.channel).inc()
        elif e.kind == "transfer":
            self._of(self.transfers, e.channel).inc()
        elif e.kind == "failed":
            self._of(self.failed, e.channel, e.data.get("reason", "error")).inc()
