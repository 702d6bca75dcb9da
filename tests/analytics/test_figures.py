"""Every report figure from the known event set, checked against numbers worked out by hand."""

from __future__ import annotations

from typing import Any

import pytest

from app.analytics.figures import Inputs, Period, compute, percentile
from app.analytics.html import render_html
from tests.analytics.known_events import T0, UNTIL, known_events


@pytest.fixture(scope="module")
def figures() -> dict[str, Any]:
    inputs = Inputs(other_channels={"shops": 5, "hotline": 3}, subscriber_base=10, share_target=0.55)
    return compute(known_events(), Period(T0, UNTIL), inputs)


def test_business_excludes_queries_password_checks_and_failures(figures: dict[str, Any]) -> None:
    assert figures["business"] == 2
    assert figures["queries"] == 1
    assert figures["business_by_channel"] == {"ussd": 1, "sms": 1}
    assert figures["business_by_category"] == {"payment": 1, "package": 1}
    assert figures["queries_by_channel"] == {"ussd": 1}


def test_share_cost_customers_and_penetration(figures: dict[str, Any]) -> None:
    assert figures["e_channel_share"] == 0.2  # 2 ÷ (2 + 5 shops + 3 hotline)
    assert figures["agent_cost_saved_yuan"] == 1.54
    assert figures["customers"] == 3
    assert figures["customers_by_channel"] == {"ivr": 1, "sms": 2, "ussd": 2}
    assert figures["active_customers"] == 2  # c's only business timed out
    assert (figures["penetration"], figures["active_rate"]) == (0.3, 0.2)


def test_share_is_null_without_other_channels() -> None:
    assert compute(known_events(), Period(T0, UNTIL))["e_channel_share"] is None


def test_session_outcomes_and_lengths(figures: dict[str, Any]) -> None:
    s = figures["sessions"]
    assert s["outcomes"] == {"completed": 1, "abandoned": 1, "timed_out": 1, "transferred": 1, "open": 1}
    assert s["completion_rate"] == 0.25
    assert (s["median_seconds"], s["p95_seconds"]) == (30.0, 90.0)  # lengths 20, 30, 60, 90


def test_a_silent_session_is_open_until_its_channel_timeout_passes() -> None:
    later = compute(known_events(), Period(T0, UNTIL + 180))
    assert later["sessions"]["outcomes"]["open"] == 0 and later["sessions"]["outcomes"]["timed_out"] == 2


def test_funnel_shows_where_subscribers_are_lost(figures: dict[str, Any]) -> None:
    assert figures["funnels"] == {"main": [
        {"state": "main", "entered": 5, "left": 0},
        {"state": "pkg", "entered": 2, "left": 2},
        {"state": "balance", "entered": 1, "left": 0},
        {"state": "busy", "entered": 1, "left": 0},
        {"state": "topup", "entered": 1, "left": 0},
    ]}


def test_invalid_inputs_operations_confirmations(figures: dict[str, Any]) -> None:
    assert figures["invalid_inputs"] == [{"flow": "main", "state": "main", "count": 2,
                                          "top": [{"text": "9", "count": 1}, {"text": "x", "count": 1}]}]
    topup = figures["operations"]["topup"]
    assert (topup["calls"], topup["ok"], topup["timeouts"], topup["timeout_rate"], topup["error_rate"]) == \
        (2, 1, 1, 0.5, 0.0)
    assert topup["p95_ms"] == 2000.0 and topup["business"] is True
    assert figures["operations"]["verify_password"]["category"] == "auth"
    assert figures["confirmations"] == {"asked": 1, "answers": {"yes": 1}, "yes_rate": 1.0}


def test_offers_satisfaction_sms_and_transfers(figures: dict[str, Any]) -> None:
    assert figures["offers"] == {"X": {"shown": 2, "accepted": 1, "take_up": 0.5}}
    assert figures["satisfaction"] == {"csat": {"answers": 2, "mean": 4.5}}
    assert (figures["sms_sent"], figures["transfers"], figures["agents_unreached"]) == (1, 1, {"timeout": 1})
    assert "agent transfers 1, 1 reached no agent (timeout 1); agent cost" in render_html(figures)
    quiet = compute([r for r in known_events() if r.kind != "agent_unavailable"], Period(T0, UNTIL))
    assert quiet["agents_unreached"] == {} and "agent transfers 1; agent cost" in render_html(quiet)


def test_timeline_counts_business_per_day_and_channel(figures: dict[str, Any]) -> None:
    assert figures["timeline"] == {"days": ["2025-06-01", "2025-06-02"], "business": {"sms": [1, 0], "ussd": [1, 0]}}


def test_percentile_is_nearest_rank() -> None:
    assert percentile([], 50) is None
    assert percentile([5.0], 95) == 5.0
    assert percentile([float(v) for v in range(1, 101)], 95) == 95.0
