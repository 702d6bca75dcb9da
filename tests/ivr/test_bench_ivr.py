"""The IVR benchmark runs end to end and reports its figures (short window, canned replies)."""

from __future__ import annotations

from bench.ivr import bare_handler, run


def test_bench_reports_figures() -> None:
    figures = run(0.3, handler_factory=bare_handler)
    assert figures["ivr_agi_concurrent_calls"] == 200
    assert figures["ivr_agi_calls_completed"] > 0 and figures["ivr_agi_calls_failed"] == 0
    assert figures["ivr_agi_step_p99_ms"] > 0
    assert set(figures["targets"]) <= set(figures)
