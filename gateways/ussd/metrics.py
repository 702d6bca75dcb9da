"""Per-dialect USSD counters, registered on the HTTP app's Prometheus registry.

Label children are bound once per dialect: ``Counter.labels()`` takes a lock
and a dictionary lookup, which adds up at thousands of requests per second.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from prometheus_client import CollectorRegistry, Counter

_HELP = {
    "requests": ("menuflow_ussd_requests", "USSD webhook requests received"),
    "rejected": ("menuflow_ussd_rejected", "USSD requests refused with a 4xx"),
    "retries": ("menuflow_ussd_retries", "Re-sent requests answered from the cache"),
    "begun": ("menuflow_ussd_sessions_begun", "USSD sessions begun"),
    "ended": ("menuflow_ussd_sessions_ended", "USSD sessions ended by an END answer"),
    "aborted": ("menuflow_ussd_sessions_aborted", "USSD sessions aborted by the network"),
    "expired": ("menuflow_ussd_sessions_expired", "Inputs for a session that had ended or timed out"),
    "fallbacks": ("menuflow_ussd_deadline_fallbacks", "Answers sent as 'processing' as the budget ran out"),
    "failures": ("menuflow_ussd_engine_failures", "Engine calls that raised or gave no reply"),
    "resyncs": ("menuflow_ussd_resyncs", "Cumulative texts that did not extend the consumed prefix"),
    "unavailable": ("menuflow_ussd_unavailable", "Requests answered 'unavailable': a step raised (e.g. Redis away)"),
}


@dataclass(frozen=True, slots=True)
class DialectCounters:
    """The counters of one dialect (already labelled)."""

    requests: Counter
    rejected: Counter
    retries: Counter
    begun: Counter
    ended: Counter
    aborted: Counter
    expired: Counter
    fallbacks: Counter
    failures: Counter
    resyncs: Counter
    unavailable: Counter


class UssdMetrics:
    """Counter families labelled by ``dialect`` (``at``, ``json``, …); ``/metrics`` shows them."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self._families = {
            f.name: Counter(*_HELP[f.name], ["dialect"], registry=registry) for f in fields(DialectCounters)
        }
        self._bound: dict[str, DialectCounters] = {}

    def of(self, dialect: str) -> DialectCounters:
        bound = self._bound.get(dialect)
        if bound is None:
            children = {name: family.labels(dialect) for name, family in self._families.items()}
            bound = self._bound[dialect] = DialectCounters(**children)
        return bound
