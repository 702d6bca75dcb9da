"""The SMS bench measures MO->MT round trips through a real ``menuflow serve --smpp`` process."""

from __future__ import annotations

import pytest
import redis

from bench.sms import run
from simulator.smsc_npm import npm_smsc_available
from tests.conftest import skip_or_fail

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
def redis_url() -> str:
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1.0)
    try:
        client.ping()
    except redis.RedisError:
        skip_or_fail("Redis not reachable on 127.0.0.1:6379")
    finally:
        client.close()
    return REDIS_URL


@pytest.mark.timeout(120)
def test_round_trips_through_serve_and_in_process() -> None:
    figures = run(0.6, smsc="simulator")
    assert figures["sms_raw_submit_per_s"] > 0
    assert figures["sms_roundtrips_per_s"] > 0 and figures["sms_inproc_roundtrips_per_s"] > 0
    # the ratio is taken before the two rates are rounded for display, so the printed figures can differ
    # from it in the last digit
    assert figures["sms_ratio"] == pytest.approx(
        figures["sms_roundtrips_per_s"] / figures["sms_raw_submit_per_s"], abs=0.0015)
    assert figures["targets"] == {"sms_ratio": [">=", 0.4]}
    assert figures["sms_serve_us_per_mo"] > 0  # the serve process's CPU per round trip
    assert "sms_redis_server_us_per_mo" not in figures  # no Redis on the memory store
    # timed inside one more serve process: every MO's turn and the events it gave metrics and the log
    assert figures["sms_engine_in_serve_us_per_turn"] > 0 and figures["sms_observers_in_serve_us_per_mo"] > 0
    # our simulator runs in the bench's process: its CPU is not the in-process path's, so no floor from it
    assert "sms_inproc_us_per_mo" not in figures and "sms_floor_ratio" not in figures


@pytest.mark.timeout(180)
def test_the_floor_is_the_in_process_path_plus_serves_observers() -> None:
    """With the npm SMSC in its own process, the bench process's CPU per round trip is the path's own."""
    reason = npm_smsc_available()
    if reason:
        skip_or_fail(f"npm SMSC unavailable: {reason}")
    figures = run(0.6)
    inproc, observers = figures["sms_inproc_us_per_mo"], figures["sms_observers_in_serve_us_per_mo"]
    assert inproc > 0 and observers > 0
    assert figures["sms_floor_ratio"] == pytest.approx(1e6 / (inproc + observers) / figures["sms_raw_submit_per_s"],
                                                       abs=0.002)


@pytest.mark.timeout(180)
def test_round_trips_on_redis_report_both_processes_cpu(redis_url: str) -> None:
    """On Redis each loop's numbers are its own: a number repeating a text within a second would be taken
    for a redelivery by the durable inbox, and the loop would wait for an answer that never comes."""
    figures = run(0.6, smsc="simulator", store=redis_url)
    assert figures["sms_roundtrips_per_s"] > 0
    assert figures["sms_serve_us_per_mo"] > 0 and figures["sms_redis_server_us_per_mo"] > 0
