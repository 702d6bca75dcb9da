"""The USSD bench drives real serve processes with wrk (short windows) and reports what it promises."""

from __future__ import annotations

import pytest

from bench import ussd
from bench.wrk import Step, lua_script, wrk_path
from engine.types import Handler, Inbound, Reply, Wait
from tests.conftest import skip_or_fail


def echo_factory(store: str) -> Handler:
    assert store == "memory"

    async def handler(inbound: Inbound) -> list[Reply]:
        return [Reply("ussd", inbound.msisdn, f"menu {inbound.text}", wait=Wait())]

    return handler


@pytest.fixture
def wrk() -> None:
    if wrk_path() is None:
        skip_or_fail("wrk not installed (apt-get install wrk)")


def test_walk_script_gives_each_connection_its_own_sessions() -> None:
    script = lua_script([Step("/ussd/at", "sessionId=SID&text=", "CON ")], "abc")
    assert 'local sid = tag .. "w" .. tid .. "-" .. n' in script and '"abc"' in script
    assert "verifying = tid == 1" in script  # wrk's check call does not eat the first dial


@pytest.mark.timeout(180)
def test_bench_measures_serve_processes_against_bare_aiohttp(wrk: None) -> None:
    figures = ussd.run(1.0, "memory", echo_factory)
    for key in ("ussd_http", "ussd_http_10086", "ussd_inproc"):
        assert figures[f"{key}_req_per_s"] > 0, key
        assert figures[f"{key}_errors"] == 0, key  # every answer was a CON menu: sessions walked in order
        assert figures[f"{key}_p99_ms"] > 0
    assert figures["ussd_http_bare_req_per_s"] > 0 and figures["ussd_http_bare_server_cores"] > 0
    if figures["ussd_http_ceiling_saturated"]:
        assert isinstance(figures["ussd_http_10086_ratio"], float)
    else:  # a busy machine: no ratio is claimed, and the report says why
        assert figures["ussd_http_10086_ratio"] is None and "did not saturate" in figures["ussd_http_ceiling_note"]
    assert figures["targets"] == {"ussd_http_10086_ratio": [">=", 0.5], "ussd_http_10086_p99_ms": ["<=", 10.0],
                                  "ussd_http_ratio": [">=", 0.6], "event_log_cost": ["<=", 0.05]}
    # the event log's cost: its CPU per turn (in-process A/B) over serve's CPU per request with its log
    assert figures["event_log_us_per_turn"] > 0  # a log that writes nothing would cost nothing
    assert figures["event_log_cost"] == pytest.approx(
        figures["event_log_us_per_turn"] / figures["serve_us_per_request"], abs=0.001)
    low, high = figures["event_log_serve_cost_spread"]  # and the same through two serve processes
    assert low <= figures["event_log_serve_cost"] <= high < 1
    assert isinstance(figures["event_log_serve_us_per_request"], float)
    # the floors: bare CPU per request against the real engine's CPU per turn on each walk
    bare = figures["bare_us_per_request"]
    assert bare == pytest.approx(1e6 * figures["ussd_http_bare_server_cores"] / figures["ussd_http_bare_req_per_s"],
                                 rel=0.01)
    for key in ("", "_10086"):
        turn = figures[f"engine{key}_us_per_turn"]
        assert turn > 0 and figures[f"ussd_http{key}_floor_ratio"] == pytest.approx(bare / (bare + turn), abs=0.001)
    assert figures["engine_10086_us_per_turn"] > figures["engine_us_per_turn"]  # balance + offer: backend calls
    # and the floors with the engine's turn timed inside a serve process, where it shares the caches
    for key in ("", "_10086"):
        turn = figures[f"engine{key}_in_serve_us_per_turn"]
        assert turn > 0 and figures[f"ussd_http{key}_floor_in_serve_ratio"] == pytest.approx(bare / (bare + turn),
                                                                                             abs=0.001)
    # serve's CPU per request on the bench walk, part by part: the rest is what no stopwatch covered
    parts = [figures[f"serve_{part}_us"] for part in ("parse", "gateway", "observers")]
    assert all(p > 0 for p in parts)  # every webhook parsed, every answer recorded, every turn observed
    assert figures["serve_rest_us"] == pytest.approx(
        figures["serve_us_per_request"] - bare - figures["engine_in_serve_us_per_turn"] - sum(parts), abs=0.2)

