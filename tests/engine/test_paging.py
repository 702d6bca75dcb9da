"""USSD paging through the engine: "98"/"0" walk the pages, the last page waits as the reply did."""

from __future__ import annotations

from engine.run.paging import PAGE_WAIT
from engine.types import Wait
from tests.engine.states.kit import Kit, compile_states

LONG_END = "main:\n  type: end\n  text: '" + "很长的结果" * 40 + "'\n"  # 200 characters: 3 pages
LONG_MENU = ("main:\n  type: menu\n  text: '" + "菜单说明" * 30 + "'\n  options:\n"
             "    - {label: 甲, goto: done}\n    - {key: '12', label: 乙, goto: done, channels: [ussd]}\n"
             "done: {type: end, text: 完}\n")


async def test_a_long_final_text_stays_open_until_its_last_page() -> None:
    kit = Kit(compile_states(LONG_END))
    phone = kit.phone("ussd")
    r = await phone.dial()
    assert r.wait == PAGE_WAIT and r.text.endswith("98 更多")
    r = await phone.send("98")
    assert r.wait == PAGE_WAIT and r.text.endswith("98 更多\n0 返回")
    last = await phone.send("98")
    assert last.end and last.text.endswith("\n0 返回")  # the dialog ends with its last page
    assert await kit.engine.store.get("ussd:c1") is None
    assert kit.of("end")[-1].data == {"reason": "done"}


async def test_back_and_more_stop_at_the_ends_and_other_input_drops_the_pages() -> None:
    kit = Kit(compile_states(LONG_END))
    phone = kit.phone("ussd")
    first = await phone.dial()
    r = await phone.send("0")  # "back" on the first page: not a page key, so the ended dialog says goodbye
    assert r.text == "感谢使用，再见。" and r.end
    phone = kit.phone("ussd", call="c2")
    await phone.dial()
    second = await phone.send("98")
    assert (await phone.send("0")).text == first.text
    assert (await phone.send("98")).text == second.text
    session = await kit.engine.store.get("ussd:c2")
    assert session is not None and session.page == 1 and len(session.pages) == 3 and session.pages_end


async def test_the_last_page_of_a_menu_keeps_the_dialog_open() -> None:
    kit = Kit(compile_states(LONG_MENU))
    phone = kit.phone("ussd")
    r = await phone.dial()
    assert r.wait == PAGE_WAIT and Wait("choice", max_digits=2) == PAGE_WAIT
    r = await phone.send("98")
    assert "1. 甲" in r.text and r.wait == PAGE_WAIT  # a page key or a menu key of up to two digits
    assert (await phone.send("0")).wait == PAGE_WAIT
    r = await phone.send("98")
    assert (await phone.send("1")).text == "完"  # a menu key on a page is input, and drops the pages
    session = await kit.engine.store.get("ussd:c1")
    assert session is None


async def test_more_on_the_last_page_is_input_for_the_waiting_state() -> None:
    kit = Kit(compile_states(LONG_MENU))
    phone = kit.phone("ussd")
    await phone.dial()
    await phone.send("98")
    r = await phone.send("98")  # past the last page: "98" goes to the menu, which has no such option
    assert r.text.startswith("输入有误，请重新选择。")
