"""What a turn may use of the world (``engine.run.context``): the backend within its deadline, agent hours."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any

import pytest

from engine.backend.demo import DemoBackend
from engine.clock import ManualClock
from engine.ports.backend import BackendTimeout, BackendUnavailable, BusinessError, CallContext
from engine.ports.events import EngineEvent
from engine.run.context import TurnContext, within_hours
from tests.engine.states.kit import compile_states, registry_of

CTX = CallContext("8613800138000", "ussd", "ussd:c1")


class Crashing(DemoBackend):
    """A backend with a bug in one operation (a configured one may have any)."""

    async def call(self, operation: str, params: Mapping[str, Any], ctx: CallContext) -> dict[str, Any]:
        if operation == "balance":
            raise KeyError("balance")
        return await super().call(operation, params, ctx)


def world(backend: DemoBackend, timeout: float = 1.0) -> TurnContext:
    registry = registry_of(compile_states("main: {type: end, text: x}\n"))
    return TurnContext(registry, backend, timeout, [], logging.getLogger("menuflow.engine"))


async def test_an_operation_the_backend_does_not_offer_is_unavailable_by_name() -> None:
    with pytest.raises(BackendUnavailable) as err:
        await world(DemoBackend(clock=ManualClock())).call("launch", {}, CTX)
    assert str(err.value) == "operation 'launch' is not offered by the backend"


async def test_a_call_past_its_deadline_times_out() -> None:
    backend = DemoBackend(clock=ManualClock())
    backend.inject("balance", None, delay=0.2)
    with pytest.raises(BackendTimeout) as err:
        await world(backend, timeout=0.01).call("balance", {}, CTX)
    assert str(err.value) == "timed out"


async def test_a_business_answer_passes_as_it_is() -> None:
    backend = DemoBackend(clock=ManualClock())
    backend.inject("balance", BusinessError("no", code="X"))
    with pytest.raises(BusinessError):
        await world(backend).call("balance", {}, CTX)


async def test_a_crashing_backend_is_unavailable_and_the_log_says_which_operation(
        caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="menuflow.engine"), pytest.raises(BackendUnavailable) as err:
        await world(Crashing(clock=ManualClock())).call("balance", {}, CTX)
    assert str(err.value) == "KeyError" and err.value.__cause__ is None
    [record] = caplog.records
    assert record.getMessage() == "backend balance crashed" and record.exc_info is not None


def test_agent_hours_include_the_opening_minute_and_exclude_the_closing_one() -> None:
    def at(hour: int, minute: int) -> float:
        return time.mktime((2026, 3, 2, hour, minute, 0, 0, 0, -1))

    assert not within_hours("08:00-22:00", at(7, 59))
    assert within_hours("08:00-22:00", at(8, 0))
    assert within_hours("08:00-22:00", at(21, 59))
    assert not within_hours("08:00-22:00", at(22, 0))


def test_a_failing_observer_is_logged_by_name_and_the_next_one_still_hears(
        caplog: pytest.LogCaptureFixture) -> None:
    heard: list[EngineEvent] = []

    def broken(event: EngineEvent) -> None:
        raise RuntimeError("metrics backend gone")

    turn = world(DemoBackend(clock=ManualClock()))
    turn.observers.extend([broken, heard.append])
    event = EngineEvent("state", "ussd:c1", "ussd")
    with caplog.at_level(logging.ERROR, logger="menuflow.engine"):
        turn.emit(event)
    assert heard == [event]
    assert [(r.getMessage(), r.exc_info is not None) for r in caplog.records] == [("observer failed", True)]


def test_secret_names_are_rebuilt_once_per_reload_not_per_turn() -> None:
    turn = world(DemoBackend(clock=ManualClock()))
    first = turn.secret_names()
    assert turn.secret_names() is first  # cached: a turn does not walk every flow again
    turn.registry.generation += 1  # what a reload does
    assert turn.secret_names() is not first and turn.secret_names() == first


async def test_without_a_shared_limiter_a_turn_counts_in_this_process() -> None:
    turn = world(DemoBackend(clock=ManualClock()))
    assert [await turn.limits.allow("reset:8613800138000", 2, 3600.0) for _ in range(3)] == [True, True, False]
