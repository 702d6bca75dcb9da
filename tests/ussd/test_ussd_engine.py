"""End to end: Africa's Talking and JSON webhooks through the real engine and 10086 flows."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from engine.clock import ManualClock
from engine.flow.channels import fits_ussd_page
from engine.run.build import build_engine
from engine.run.engine import Engine

from .helpers import MSISDN, Live, live

ALICE = "8613900139000"  # the demo's English-speaking subscriber
#: ``*188#``: a long menu that needs two pages in either language (tests/ussd/flows/pages.yaml).
FLOWS = Path(__file__).with_name("flows")


@asynccontextmanager
async def engine_live(**opts: Any) -> AsyncIterator[tuple[Live, Engine]]:
    engine = build_engine(["flows", str(FLOWS)], "demo")
    async with live(engine.handle, **opts) as s:
        yield s, engine


async def test_dial_shows_main_menu_and_balance_is_50() -> None:
    async with engine_live() as (s, _):
        menu = await s.at_text("E1", "")
        assert menu.startswith("CON 欢迎使用10086自助服务")
        assert "1. 话费余额" in menu
        balance = await s.at_text("E1", "1")
        assert balance.startswith("CON ")
        assert "50.00" in balance


async def test_invalid_option_reprompts_with_con() -> None:
    async with engine_live() as (s, _):
        await s.at_text("E1", "")
        again = await s.at_text("E1", "9")
        assert again.startswith("CON 输入有误")
        assert "1. 话费余额" in again


async def test_star_shortcut_goes_straight_to_balance() -> None:
    async with engine_live() as (s, _):
        text = await s.at_text("E2", "", code="*100*1#")
        assert text.startswith("CON ")
        assert "50.00" in text


async def paging_walk(s: Live, msisdn: str, more: str, back: str, done: str) -> None:
    """Page 1, 98 → page 2, 0 → page 1, 98 → page 2, choose 5 → END."""
    sid = "P" + msisdn
    first = await s.at_text(sid, "", code="*188#", msisdn=msisdn)
    assert first.startswith("CON ") and first.endswith(more)
    second = await s.at_text(sid, "98", code="*188#", msisdn=msisdn)
    assert second.startswith("CON ") and second.endswith(back)
    assert "5. " in second and "5. " not in first
    assert await s.at_text(sid, "98*0", code="*188#", msisdn=msisdn) == first
    assert await s.at_text(sid, "98*0*98", code="*188#", msisdn=msisdn) == second
    assert await s.at_text(sid, "98*0*98*5", code="*188#", msisdn=msisdn) == "END " + done
    for page in (first[4:], second[4:]):
        assert fits_ussd_page(page)


async def test_chinese_pagination_through_cumulative_text() -> None:
    async with engine_live() as (s, _):
        await paging_walk(s, MSISDN, "98 更多", "0 返回", "已完成")


async def test_english_pagination_through_cumulative_text() -> None:
    async with engine_live() as (s, _):
        await paging_walk(s, ALICE, "98 More", "0 Back", "Done")


async def test_finish_ends_with_end_and_a_later_input_is_refused() -> None:
    async with engine_live() as (s, _):
        await s.at_text("F", "")
        await s.at_text("F", "1")
        await s.at_text("F", "1*2")  # no, thanks to the offer after the balance
        bye = await s.at_text("F", "1*2*2")
        assert bye.startswith("END ")
        assert await s.at_text("F", "1*2*2*1") == "END 会话已结束，请重新拨号"
        assert s.count("sessions_ended") == 1


async def test_network_abort_closes_the_engine_session() -> None:
    async with engine_live() as (s, engine):
        await s.at_text("A", "")
        resp = await s.at("A", "", status="Incomplete")
        assert resp.status == 200
        assert await engine.store.get("ussd:A") is None
        assert s.count("sessions_aborted") == 1
        late = await s.at_text("A", "1")  # no gateway record: the engine says the session is over
        assert late.startswith("END ")
        assert "50.00" not in late


async def test_idle_timeout_is_decided_by_the_engine_on_a_shared_clock() -> None:
    clock = ManualClock()
    engine = build_engine("flows", "demo", clock=clock)
    async with live(engine.handle, clock=clock, session_timeout=180) as s:
        await s.at_text("T", "")
        clock.advance(100)
        assert "50.00" in await s.at_text("T", "1")
        clock.advance(181)
        late = await s.at_text("T", "1*1")
        assert late.startswith("END ")
        assert s.count("resyncs") == 1


async def test_json_dialect_through_the_engine() -> None:
    async with engine_live() as (s, _):
        base = {"session_id": "J", "msisdn": MSISDN, "service_code": "*100#"}
        status, data = await s.js({**base, "type": "begin"})
        assert (status, data["action"]) == (200, "continue")
        assert data["message"].startswith("欢迎使用10086自助服务")
        _, data = await s.js({**base, "type": "continue", "input": "1"})
        assert "50.00" in data["message"]
