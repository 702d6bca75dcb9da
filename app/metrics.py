"""Business volumes per channel, from engine events, for Prometheus.

The operator measures success as the share of *business* handled through the
electronic channels, where balance and bill look-ups are queries counted apart
("不含话费查询") and checking the password on the way is neither. So every
backend operation is counted once in ``menuflow_backend_calls_total`` (with its
outcome, for error rates), and a success lands in exactly one of
``menuflow_business_total`` or ``menuflow_queries_total`` by the catalogue's
``category``/``business`` declaration, as ``menuflow report`` counts it. No
subscriber data is ever a label.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from engine.events.log import EventLog
from engine.ports.events import EngineEvent


class EngineMetrics:
    """Observer of engine events. Label children are looked up once per label values and kept:
    ``labels()`` takes a lock, checks every value and builds a tuple, twice per USSD request."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self._children: dict[tuple[Any, ...], Any] = {}

        def counter(name: str, doc: str, labels: list[str]) -> Counter:
            return Counter(name, doc, labels, registry=registry)

        self.sessions = counter("menuflow_sessions_total", "Sessions started", ["channel", "flow"])
        self.ended = counter("menuflow_sessions_ended_total", "Sessions ended", ["channel", "reason"])
        self.calls = counter("menuflow_backend_calls_total", "Backend operations by outcome",
                             ["channel", "op", "category", "outcome"])
        self.business = counter("menuflow_business_total",
                                "Business handled (successful operations the KPI counts; no queries)",
                                ["channel", "category"])
        self.queries = counter("menuflow_queries_total", "Successful queries (balance, bill, usage...)",
                               ["channel"])
        self.latency = Histogram("menuflow_backend_seconds", "Backend operation latency", ["op"],
                                 registry=registry, buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5))
        self.inputs = counter("menuflow_inputs_total", "Subscriber inputs", ["channel"])
        self.invalid = counter("menuflow_invalid_inputs_total", "Invalid choices and no-inputs", ["channel", "kind"])
        self.confirm_asked = counter("menuflow_confirm_asked_total", "Confirmations asked", ["channel"])
        self.confirm_answered = counter("menuflow_confirm_answered_total", "Confirmations answered",
                                        ["channel", "answer"])
        self.pushes = counter("menuflow_pushes_total", "SMS pushed to subscribers", ["channel"])
        self.transfers = counter("menuflow_transfers_total", "Handovers to agents", ["channel"])
        self.unreached = counter("menuflow_agent_unavailable_total",
                                 "Callers handed to agents who reached none (wait threshold, full, empty, busy)",
                                 ["reason"])
        self.offers = counter("menuflow_offers_total", "Offers shown and accepted", ["channel", "offer", "step"])
        self.failed = counter("menuflow_inputs_failed_total",
                              "Inputs answered 'busy': session locked, stale write, store unreachable, error",
                              ["channel", "reason"])

    def _of(self, family: Counter | Histogram, *labels: str) -> Any:
        key = (id(family), *labels)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = family.labels(*labels)
        return child

    def __call__(self, e: EngineEvent) -> None:
        kind, ch = e.kind, e.channel
        if kind == "call":
            self._call(e)
        elif kind == "session":
            self._of(self.sessions, ch, e.flow).inc()
        elif kind == "end":
            self._of(self.ended, ch, e.data.get("reason", "done")).inc()
        elif kind == "input":
            self._of(self.inputs, ch).inc()
        elif kind in ("invalid", "noinput"):
            self._of(self.invalid, ch, kind).inc()
        elif kind == "confirm_asked":
            self._of(self.confirm_asked, ch).inc()
        elif kind == "confirm_answered":
            self._of(self.confirm_answered, ch, e.data.get("answer", "")).inc()
        elif kind == "push":
            self._of(self.pushes, ch).inc()
        elif kind == "transfer":
            self._of(self.transfers, ch).inc()
        elif kind == "agent_unavailable":
            self._of(self.unreached, str(e.data.get("reason", "failed"))).inc()
        elif kind in ("offer_shown", "offer_accepted"):
            self._of(self.offers, ch, str(e.data.get("offer", "")), kind.removeprefix("offer_")).inc()
        elif kind == "failed":
            self._of(self.failed, ch, e.data.get("reason", "error")).inc()

    def _call(self, e: EngineEvent) -> None:
        op, category = str(e.data.get("op", "")), str(e.data.get("category", "other"))
        ok = bool(e.data.get("ok"))
        self._of(self.calls, e.channel, op, category, "ok" if ok else str(e.data.get("failure", "error"))).inc()
        self._of(self.latency, op).observe(float(e.data.get("ms", 0.0)) / 1000)
        if ok and e.data.get("business"):
            self._of(self.business, e.channel, category).inc()
        elif ok and category == "query":
            self._of(self.queries, e.channel).inc()


class EventLogCollector(Collector):
    """The event log's health: written, dropped (queue full) and queued events."""

    def __init__(self, events: EventLog) -> None:
        self.events = events

    def collect(self) -> Iterator[Metric]:
        e = self.events
        yield CounterMetricFamily("menuflow_events_written", "Events written to the event store", value=e.written)
        yield CounterMetricFamily("menuflow_events_dropped", "Events dropped: the queue was full (store slow or down)",
                                  value=e.dropped)
        yield GaugeMetricFamily("menuflow_events_queued", "Events waiting to be written", value=len(e.queue))
