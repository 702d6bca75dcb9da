"""Past the reply budget: answer END "processing", then push the late result by SMS.

The slow handler blocks on an event the test sets, so no test waits on the
wall clock for its logic; only the 0.05 s budget itself elapses.
"""

from __future__ import annotations

import asyncio

import pytest

from engine.types import Inbound, Reply, Wait

from .helpers import MSISDN, MenuHandler, live

BUDGET = 0.05
PROCESSING = "END 受理中，结果将以短信通知"


async def test_slow_engine_gets_processing_end_and_the_result_arrives_by_sms() -> None:
    async with live(budget=BUDGET) as s:
        await s.at_text("S", "")
        assert await s.at_text("S", "3") == PROCESSING
        assert s.pushes == []
        s.handler.release.set()
        await asyncio.wait_for(s.pushed.wait(), 5)
        (sms,) = s.pushes
        assert (sms.channel, sms.msisdn, sms.text, sms.push) == ("sms", MSISDN, "慢查询结果: 42", True)
        assert sms.meta == {"reason": "ussd-deadline", "session": "S"}
        assert s.count("deadline_fallbacks") == 1
        assert s.count("sessions_ended") == 1


async def test_retry_after_fallback_repeats_processing_without_a_second_step() -> None:
    async with live(budget=BUDGET) as s:
        await s.at_text("S", "")
        assert await s.at_text("S", "3") == PROCESSING
        assert await s.at_text("S", "3") == PROCESSING
        assert [t for _, t in s.handler.inputs("S")] == ["", "3"]
        s.handler.release.set()
        await s.gateway.runner.drain(5)
        assert len(s.pushes) == 1


class SlowMenu(MenuHandler):
    """Answers an English CON menu late, or fails late, once ``release`` is set."""

    fail_late = False

    async def __call__(self, inbound: Inbound) -> list[Reply]:
        self.seen.append(inbound)
        if inbound.event == "begin":
            return [Reply("ussd", inbound.msisdn, "Menu", locale="en", wait=Wait())]
        if inbound.event == "end":
            return []
        await self.release.wait()
        if self.fail_late:
            raise RuntimeError(f"leaks {inbound.text}")
        return [Reply("ussd", inbound.msisdn, "Next menu", locale="en", wait=Wait())]


async def test_late_menu_is_pushed_and_the_engine_session_is_closed() -> None:
    async with live(SlowMenu(), budget=BUDGET) as s:
        await s.at_text("S", "")
        text = await s.at_text("S", "1")
        assert text == "END Your request is being processed; the result will be sent by SMS."
        s.handler.release.set()
        await s.gateway.runner.drain(5)
        assert [(p.text, p.locale) for p in s.pushes] == [("Next menu", "en")]
        assert s.handler.inputs("S") == [("begin", ""), ("input", "1"), ("end", "")]
        assert s.gateway.runner.pending == 0


async def test_late_failure_pushes_the_unavailable_text_and_logs_no_input(
    caplog: pytest.LogCaptureFixture,
) -> None:
    handler = SlowMenu()
    handler.fail_late = True
    async with live(handler, budget=BUDGET) as s:
        await s.at_text("S", "")
        await s.at_text("S", "654321")
        handler.release.set()
        await s.gateway.runner.drain(5)
        (sms,) = s.pushes
        assert sms.text == "The service is temporarily unavailable; please try again later."
        assert "654321" not in caplog.text
        assert "engine failed after the deadline" in caplog.text


async def test_push_failure_is_logged_and_does_not_break_the_gateway(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def broken_push(reply: Reply) -> None:
        raise ConnectionError(f"smsc down while sending {reply.text}")

    async with live(budget=BUDGET, push=broken_push) as s:
        await s.at_text("S", "")
        await s.at_text("S", "3")
        s.handler.release.set()
        await s.gateway.runner.drain(5)
        assert "deadline follow-up SMS failed for ussd session S: ConnectionError" in caplog.text
        assert "慢查询" not in caplog.text
        assert (await s.at_text("T", "")).startswith("CON ")


async def test_shutdown_drains_pending_follow_ups() -> None:
    async with live(budget=BUDGET) as s:
        await s.at_text("S", "")
        await s.at_text("S", "3")
        assert s.gateway.runner.pending == 1
        asyncio.get_running_loop().call_soon(s.handler.release.set)
    assert [p.text for p in s.pushes] == ["慢查询结果: 42"]


class SlowToClose(MenuHandler):
    """Closing a session (``end``) waits for ``release`` and then fails."""

    async def __call__(self, inbound: Inbound) -> list[Reply]:
        if inbound.event != "end":
            return await super().__call__(inbound)
        self.seen.append(inbound)
        await self.release.wait()
        raise RuntimeError("close failed")


async def test_abort_is_acknowledged_within_the_budget_even_if_the_engine_is_slow(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with live(SlowToClose(), budget=BUDGET) as s:
        await s.at_text("S", "")
        resp = await s.at("S", "", status="Incomplete")
        assert (resp.status, await resp.text()) == (200, "OK")
        assert s.gateway.runner.pending == 1
        s.handler.release.set()
        await s.gateway.runner.drain(5)
        assert s.handler.inputs("S") == [("begin", ""), ("end", "")]
        assert "closing the engine session failed for ussd session S: RuntimeError" in caplog.text
        assert s.pushes == []
