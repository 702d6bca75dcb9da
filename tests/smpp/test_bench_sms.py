"""The SMS bench measures MO->MT round trips through a real ``menuflow serve --smpp`` process."""

from __future__ import annotations

import pytest

from bench.sms import run


@pytest.mark.timeout(120)
def test_round_trips_through_serve_and_in_process() -> None:
    figures = run(0.6, smsc="simulator")
    assert figures["sms_raw_submit_per_s"] > 0
    assert figures["sms_roundtrips_per_s"] > 0 and figures["sms_inproc_roundtrips_per_s"] > 0
    assert figures["sms_ratio"] == round(figures["sms_roundtrips_per_s"] / figures["sms_raw_submit_per_s"], 3)
    assert figures["targets"] == {"sms_ratio": [">=", 0.4]}
