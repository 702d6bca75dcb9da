"""Generic JSON dialect over a real loopback HTTP server."""

from __future__ import annotations

from typing import Any

from engine.types import Inbound, Reply

from .helpers import MAIN, MSISDN, live


def msg(kind: str, session: str = "J1", **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"session_id": session, "msisdn": "+" + MSISDN, "service_code": "*100#"}
    body["type"] = kind
    body.update(extra)
    return body


async def test_begin_continue_end() -> None:
    async with live() as s:
        assert await s.js(msg("begin")) == (200, {"session_id": "J1", "message": MAIN, "action": "continue"})
        status, data = await s.js(msg("continue", input="1"))
        assert (status, data["message"], data["action"]) == (200, "您的余额为 50.00 元", "end")
        assert s.handler.inputs("J1") == [("begin", ""), ("input", "1")]
        assert s.handler.seen[0].service_code == "*100#"
        assert s.handler.seen[1].service_code == "*100#"


async def test_input_is_taken_verbatim_including_stars() -> None:
    async with live() as s:
        await s.js(msg("begin"))
        await s.js(msg("continue", input="2"))
        _, data = await s.js({"session_id": "J1", "msisdn": MSISDN, "type": "continue", "input": "*1*2#"})
        assert data == {"session_id": "J1", "message": "收到:*1*2#", "action": "continue"}


async def test_response_keeps_chinese_unescaped_on_the_wire() -> None:
    async with live() as s:
        resp = await s.client.post("/ussd", json=msg("begin"))
        assert "主菜单" in (await resp.read()).decode()
        assert resp.content_type == "application/json"


async def test_request_id_makes_a_resent_request_idempotent() -> None:
    async with live() as s:
        await s.js(msg("begin", request_id="r1"))
        await s.js(msg("continue", input="2", request_id="r2"))
        first = await s.js(msg("continue", input="x", request_id="r3"))
        again = await s.js(msg("continue", input="x", request_id="r3"))
        assert first == again
        assert [t for _, t in s.handler.inputs("J1")] == ["", "2", "x"]
        assert s.count("retries", "json") == 1


async def test_same_input_without_request_id_is_a_new_step() -> None:
    async with live() as s:
        await s.js(msg("begin"))
        await s.js(msg("continue", input="2"))
        await s.js(msg("continue", input="x"))
        await s.js(msg("continue", input="x"))
        assert [t for _, t in s.handler.inputs("J1")] == ["", "2", "x", "x"]


async def test_abort_sends_end_to_the_engine_and_counts_it() -> None:
    async with live() as s:
        await s.js(msg("begin"))
        assert await s.js(msg("abort")) == (200, {"session_id": "J1", "message": "", "action": "end"})
        assert s.handler.inputs("J1") == [("begin", ""), ("end", "")]
        assert s.count("sessions_aborted", "json") == 1
        assert s.count("sessions_begun", "json") == 1
        assert len(s.gateway.locks) == 0


async def test_abort_of_unknown_session_is_passed_on_but_not_counted() -> None:
    async with live() as s:
        assert (await s.js(msg("abort", session="nope")))[0] == 200
        assert s.handler.inputs("nope") == [("end", "")]
        assert s.count("sessions_aborted", "json") == 0


async def test_abort_after_end_is_only_acknowledged() -> None:
    async with live() as s:
        await s.js(msg("begin"))
        await s.js(msg("continue", input="1"))
        assert (await s.js(msg("abort")))[0] == 200
        assert [e for e, _ in s.handler.inputs("J1")] == ["begin", "input"]


async def test_gateway_texts_follow_the_configured_locale_before_any_reply() -> None:
    async def broken(inbound: Inbound) -> list[Reply]:
        raise RuntimeError("down")

    async with live(broken, locale="en") as s:
        status, data = await s.js(msg("begin"))
        assert (status, data["action"]) == (200, "end")
        assert data["message"] == "The service is temporarily unavailable; please try again later."


async def test_input_after_end_is_answered_by_the_gateway() -> None:
    async with live() as s:
        await s.js(msg("begin"))
        await s.js(msg("continue", input="1"))
        _, data = await s.js(msg("continue", input="1"))
        assert data == {"session_id": "J1", "message": "会话已结束，请重新拨号", "action": "end"}
        assert len(s.handler.seen) == 2
        assert s.count("sessions_expired", "json") == 1
