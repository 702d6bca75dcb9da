"""The IVR benchmark runs end to end and reports its figures (short window, canned replies)."""

from __future__ import annotations

import pytest

from bench.ivr import bare_handler, run, twiml
from bench.wrk import wrk_path
from tests.conftest import skip_or_fail


def test_bench_reports_figures() -> None:
    figures = run(0.3, handler_factory=bare_handler)
    assert figures["ivr_agi_concurrent_calls"] == 200
    assert figures["ivr_agi_calls_completed"] > 0 and figures["ivr_agi_calls_failed"] == 0
    assert figures["ivr_agi_step_p99_ms"] > 0
    assert set(figures["targets"]) <= set(figures)


@pytest.mark.timeout(120)
def test_twiml_bench_walks_calls_through_a_serve_process() -> None:
    if wrk_path() is None:
        skip_or_fail("wrk not installed (apt-get install wrk)")
    figures = twiml(1.0)
    assert figures["ivr_twiml_req_per_s"] > 0 and figures["ivr_twiml_bare_req_per_s"] > 0
    assert figures["ivr_twiml_errors"] == 0  # every answer a TwiML document, calls walked in order
    assert figures["ivr_twiml_ratio"] is not None or "did not saturate" in figures["ivr_twiml_ceiling_note"]
    # the floor: the bare process's CPU per request against the engine's CPU per turn on the same calls
    bare, turn = figures["ivr_twiml_bare_us_per_request"], figures["ivr_engine_us_per_turn"]
    assert bare > 0 and turn > 0
    assert figures["ivr_twiml_floor_ratio"] == pytest.approx(bare / (bare + turn), abs=0.001)
