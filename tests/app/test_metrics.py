"""Prometheus counts business and queries apart, as the operator's KPI defines them."""

from __future__ import annotations

from prometheus_client import CollectorRegistry

from app.metrics import EngineMetrics
from engine.ports.events import EngineEvent


def _call(op: str, category: str, business: bool, ok: bool = True, channel: str = "ussd") -> EngineEvent:
    data = {"op": op, "category": category, "business": business, "ok": ok, "ms": 12.0}
    if not ok:
        data |= {"failure": "timeout", "code": ""}
    return EngineEvent("call", "ussd:1", channel, "main", 1, "s", data)


def test_business_excludes_queries_password_checks_and_failures() -> None:
    registry = CollectorRegistry()
    metrics = EngineMetrics(registry)
    for event in (_call("balance", "query", False), _call("verify_password", "auth", False),
                  _call("topup", "payment", True), _call("topup", "payment", True, ok=False),
                  _call("subscribe", "package", True, channel="sms")):
        metrics(event)

    def value(name: str, **labels: str) -> float | None:
        return registry.get_sample_value(name, labels)

    assert value("menuflow_business_total", channel="ussd", category="payment") == 1
    assert value("menuflow_business_total", channel="sms", category="package") == 1
    assert value("menuflow_business_total", channel="ussd", category="auth") is None
    assert value("menuflow_queries_total", channel="ussd") == 1
    assert value("menuflow_backend_calls_total", channel="ussd", op="topup", category="payment",
                 outcome="timeout") == 1
    assert value("menuflow_backend_calls_total", channel="ussd", op="verify_password", category="auth",
                 outcome="ok") == 1


def test_confirmations_and_offers_are_counted() -> None:
    registry = CollectorRegistry()
    metrics = EngineMetrics(registry)
    metrics(EngineEvent("confirm_asked", "sms:1", "sms"))
    metrics(EngineEvent("confirm_answered", "sms:1", "sms", data={"answer": "yes"}))
    metrics(EngineEvent("offer_shown", "sms:1", "sms", data={"offer": "DATA10"}))
    assert registry.get_sample_value("menuflow_confirm_asked_total", {"channel": "sms"}) == 1
    assert registry.get_sample_value("menuflow_confirm_answered_total", {"channel": "sms", "answer": "yes"}) == 1
    assert registry.get_sample_value("menuflow_offers_total",
                                     {"channel": "sms", "offer": "DATA10", "step": "shown"}) == 1
