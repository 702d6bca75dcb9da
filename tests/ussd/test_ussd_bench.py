"""The USSD bench runs end to end (tiny window) and reports every figure it promises."""

from __future__ import annotations

from bench import ussd
from engine.types import Handler, Inbound, Reply, Wait


def echo_factory(store: str) -> Handler:
    assert store == "memory"

    async def handler(inbound: Inbound) -> list[Reply]:
        return [Reply("ussd", inbound.msisdn, f"menu {inbound.text}", wait=Wait())]

    return handler


def test_bench_reports_ratio_rate_and_p99() -> None:
    figures = ussd.run(0.2, "memory", echo_factory)
    for name in ("ussd_http_ratio", "ussd_http_req_per_s", "ussd_http_bare_req_per_s", "ussd_http_p99_ms"):
        assert isinstance(figures[name], float) and figures[name] > 0, name
    assert figures["ussd_http_errors"] == 0
    assert figures["ussd_http_deadline_pushes"] == 0
    assert figures["targets"] == {"ussd_http_ratio": [">=", 0.5], "ussd_http_p99_ms": ["<=", 10.0]}


def test_bench_reports_what_the_event_log_costs_the_serve_path() -> None:
    figures = ussd.run(0.2, "memory")
    assert figures["ussd_http_logged_req_per_s"] > 0 and figures["ussd_http_errors"] == 0
    assert figures["event_log_cost"] == 1 - figures["ussd_http_logged_req_per_s"] / figures["ussd_http_req_per_s"]
    assert figures["targets"]["event_log_cost"] == ["<=", 0.05]
