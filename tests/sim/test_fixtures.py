"""FixtureBackend: canned results and failures on top of the real demo operator."""

from __future__ import annotations

import pytest

from engine.backend.catalogue import OPERATIONS
from engine.backend.demo import DemoBackend
from engine.clock import ManualClock
from engine.ports.backend import BackendTimeout, BackendUnavailable, BusinessError, CallContext
from simulator.fixtures import Fixture, FixtureBackend, FixtureError, parse_fixtures

CTX = CallContext("8613800138000", "sms", "t")


async def test_fixtures_answer_and_the_rest_goes_to_the_demo_backend() -> None:
    backend = FixtureBackend(DemoBackend(None, ManualClock()), parse_fixtures({
        "balance": {"result": {"balance": "9.99"}},
        "bill": "timeout",
        "data_usage": {"fail": "unavailable", "times": 1},
        "subscribe": {"fail": "business", "code": "INSUFFICIENT_BALANCE", "details": {"need": "5.00"}},
    }, OPERATIONS))
    try:
        assert await backend.call("balance", {}, CTX) == {"balance": "9.99"}
        with pytest.raises(BackendTimeout):
            await backend.call("bill", {}, CTX)
        with pytest.raises(BackendUnavailable):
            await backend.call("data_usage", {}, CTX)
        assert "used_mb" in await backend.call("data_usage", {}, CTX)  # only the first call failed
        with pytest.raises(BusinessError) as err:
            await backend.call("subscribe", {"code": "LL5"}, CTX)
        assert err.value.code == "INSUFFICIENT_BALANCE" and err.value.details == {"need": "5.00"}
        backend.set("balance", None)
        assert (await backend.call("balance", {}, CTX))["balance"] == "50.00"
        backend.set("balance", Fixture(fail="unavailable"))
        with pytest.raises(BackendUnavailable):
            await backend.call("balance", {}, CTX)
        assert backend.operations() is backend.inner.operations()
    finally:
        await backend.close()


@pytest.mark.parametrize(("raw", "message"), [
    ({"nosuch": "timeout"}, "fixture 'nosuch': not an operation of the backend"),
    ({"balance": {"result": {}, "fail": "timeout"}}, "needs exactly one of 'result' or 'fail'"),
    ({"balance": {"result": {}, "times": 0}}, "times must be a positive integer"),
    ({"balance": {"result": {}, "when": 1}}, "unknown key(s) when"),
    ({"balance": 3}, "must be a mapping"),
])
def test_fixture_errors_say_what_is_wrong(raw: object, message: str) -> None:
    with pytest.raises(FixtureError) as err:
        parse_fixtures(raw, OPERATIONS)
    assert message in str(err.value)
