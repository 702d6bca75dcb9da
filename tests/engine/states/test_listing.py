"""``list``: the items of a backend list as numbered options, fixed options after them, the IVR in chunks.

The backend's list is pinned by a fixture (``packages``), so each test says exactly
what the subscriber is offered; the demo catalogue is in ``tests/engine/test_listing.py``.
"""

from __future__ import annotations

from typing import Any

import pytest

from engine.flow.model import Edge
from engine.states import listing
from engine.states.listing import IVR_CHUNK, choices, render_list
from engine.types import Wait
from tests.engine.helpers import EN
from tests.engine.states.kit import Kit, compile_states

STATES = """
main:
  type: call
  op: packages
  result: pk
  goto: pick
pick:
  type: list
  text: {zh: 请选择, en: Choose, ussd: {zh: 选一个, en: Pick one}}
  items: pk.packages
  label:
    zh: "{{ item.name }}{{ item.price }}元"
    en: "{{ item.name }} at {{ item.price }}"
    ivr: {zh: "{{ item.name }}"}
  var: chosen
  goto: show
  empty: none
  invalid: {zh: 没有这一项, en: No such item}
  options:
    - {label: {zh: 已订业务, en: Mine}, goto: mine}
    - {label: {zh: 帮助, en: Help}, goto: help, key: "8"}
    - {label: 短信专享, goto: mine, channels: [sms]}
    - {label: 会员专区, goto: mine, when: "pk.vip"}
show: {type: end, text: "选了{{ chosen.name }}"}
none: {type: end, text: 暂无可选}
mine: {type: end, text: 已订业务}
help: {type: end, text: 帮助}
"""


def package(n: int) -> dict[str, Any]:
    return {"name": f"包{n}", "price": n}


def kit(count: int = 2, states: str = STATES, **extra: Any) -> Kit:
    result = {"packages": [package(n) for n in range(1, count + 1)], **extra}
    return Kit(compile_states(states), fixtures={"packages": {"result": result}})


async def test_items_then_the_fixed_options_visible_here_numbered_after_them() -> None:
    r = await kit().phone("sms").send("GO")
    assert r.text == "请选择\n1. 包11元\n2. 包22元\n3. 已订业务\n8. 帮助\n5. 短信专享"
    assert r.wait == Wait("choice", max_digits=1)
    r = await kit(vip=True).phone("ussd", EN).dial()
    assert r.text == "Pick one\n1. 包1 at 1\n2. 包2 at 2\n3. Mine\n8. Help\n5. 会员专区"


async def test_the_chosen_item_is_kept_whole_and_a_fixed_option_goes_its_way() -> None:
    k = kit()
    phone = k.phone("sms")
    await phone.send("GO")
    assert (await phone.send("2")).text == "选了包2"
    await phone.send("GO")
    assert (await phone.send("8")).text == "帮助"


async def test_an_unknown_key_is_an_invalid_choice_in_the_state_s_words() -> None:
    k = kit()
    phone = k.phone("ussd")
    await phone.dial()
    r = await phone.send("6")
    assert r.text == "没有这一项\n选一个\n1. 包11元\n2. 包22元\n3. 已订业务\n8. 帮助" and not r.end
    assert [e.data for e in k.of("invalid")] == [{"count": 1, "text": "6"}]


async def test_ten_or_more_choices_wait_for_two_digits() -> None:
    r = await kit(9).phone("sms").send("GO")
    assert r.wait == Wait("choice", max_digits=2) and r.text.endswith("\n10. 已订业务\n8. 帮助\n12. 短信专享")


async def test_the_ivr_says_a_chunk_at_a_time_with_9_for_more() -> None:
    assert IVR_CHUNK == 4
    k = kit(6)
    phone = k.phone("ivr")
    first = await phone.dial()
    assert first.text == "请选择包1请按1，包2请按2，包3请按3，包4请按4，更多选项请按9，重听请按*。"
    second = await phone.send("9")
    assert second.text == "请选择包5请按1，包6请按2，已订业务请按3，帮助请按8，重听请按*。"
    assert second.wait == Wait("choice", max_digits=1)
    assert (await phone.send("2")).text == "选了包6"


async def test_exactly_one_chunk_on_the_ivr_has_no_more_key() -> None:
    r = await kit(IVR_CHUNK).phone("ivr").dial()
    assert "9" not in r.text and r.text.endswith("帮助请按8，重听请按*。")


async def test_an_empty_list_goes_to_empty_or_shows_only_the_fixed_options() -> None:
    assert (await kit(0).phone("sms").send("GO")).text == "暂无可选"
    no_empty = STATES.replace("  empty: none\n", "")
    assert (await kit(0, no_empty).phone("sms").send("GO")).text == "请选择\n1. 已订业务\n8. 帮助\n3. 短信专享"


@pytest.mark.parametrize("packages", ["not a list", None, {"a": 1}])
async def test_anything_but_a_list_lists_nothing(packages: Any) -> None:
    k = Kit(compile_states(STATES), fixtures={"packages": {"result": {"packages": packages}}})
    assert (await k.phone("sms").send("GO")).text == "暂无可选"


def test_choices_and_rendering_start_at_the_first_item_by_default() -> None:
    k = kit()
    flow = k.registry.current["k"]
    node = flow.nodes["pick"]
    ctx = {"pk": {"packages": [package(n) for n in range(1, 7)]}}
    offered, more = choices(flow, node, "ivr", "zh", ctx)
    assert [(key, item["name"]) for key, _, item in offered] == [("1", "包1"), ("2", "包2"), ("3", "包3"), ("4", "包4")]
    assert more
    assert render_list(flow, node, "ivr", "zh", ctx).startswith("请选择包1请按1，")


def test_declarations() -> None:
    f = compile_states(STATES)
    node, k = f.nodes["pick"], listing.KIND
    assert list(k.edges("pick", node.spec))[:2] == [Edge(("states", "pick", "goto"), "show", "chosen → chosen"),
                                                   Edge(("states", "pick", "empty"), "none", "empty list")]
    assert [p for p, _ in k.texts("pick", node.spec)] == [
        ("states", "pick", "text"), ("states", "pick", "label"), ("states", "pick", "invalid"),
        *[("states", "pick", "options", i, "label") for i in range(4)]]
    assert list(k.expressions("pick", node.spec)) == [(("states", "pick", "items"), "pk.packages"),
                                                     (("states", "pick", "options", 3, "when"), "pk.vip")]
    assert k.label(f, node) == "pick: list of pk.packages"


async def test_9_chooses_the_ninth_item_where_there_is_no_more_key() -> None:
    phone = kit(10).phone("sms")
    await phone.send("GO")
    assert (await phone.send("9")).text == "选了包9"


async def test_without_its_own_words_an_invalid_choice_gets_the_built_in_ones() -> None:
    phone = kit(2, STATES.replace("  invalid: {zh: 没有这一项, en: No such item}\n", "")).phone("sms")
    await phone.send("GO")
    assert (await phone.send("7")).text.startswith("输入有误，请重新选择。\n请选择\n1. 包11元")


async def test_the_ivr_waits_for_the_keys_of_the_chunk_it_said() -> None:
    r = await kit(12).phone("ivr").dial()
    assert r.wait == Wait("choice", max_digits=1)  # keys 1-4 and 9, not the twelve items' 1-12


async def test_nothing_to_list_and_nothing_fixed_still_waits_for_one_key() -> None:
    bare = "pick:\n  type: list\n  text: 无\n  items: nothing\n  label: x\n  var: v\n  goto: pick\n"
    r = await Kit(compile_states(bare, entry="pick")).phone("sms").send("GO")
    assert (r.text, r.wait) == ("无", Wait("choice", max_digits=1))


def test_declarations_of_the_way_out_and_the_item_s_scope() -> None:
    f = compile_states(STATES.replace("  goto: show\n", "  goto: show\n  fallback: none\n"))
    node, k = f.nodes["pick"], listing.KIND
    edges = list(k.edges("pick", node.spec))
    assert edges[2] == Edge(("states", "pick", "fallback"), "none", "too many tries")
    assert [list(k.defines_along("pick", node.spec, e, {})) for e in edges[:3]] == [["chosen"], [], []]
    assert k.scope("pick", node.spec, ("states", "pick", "label"), {}) == {"item": None}
    assert k.scope("pick", node.spec, ("states", "pick", "text"), {}) == {}


async def test_the_ivr_s_own_words_in_chinese_serve_an_english_caller() -> None:
    """No English anywhere: the header, labels and fixed options fall back to the IVR's Chinese, with variables."""
    states = """
main:
  type: call
  op: packages
  result: pk
  goto: pick
pick:
  type: list
  text: {zh: "{{ pk.who }}请选", ivr: {zh: "语音{{ pk.who }}请选"}}
  items: pk.packages
  label: {zh: "{{ item.name }}", ivr: {zh: "语音{{ item.name }}"}}
  var: chosen
  goto: pick
  options:
    - {label: {zh: "{{ pk.who }}的", ivr: {zh: "语音{{ pk.who }}的"}}, goto: pick}
"""
    k = Kit(compile_states(states), fixtures={"packages": {"result": {"who": "张三", "packages": [package(1)]}}})
    r = await k.phone("ivr", EN).dial()
    assert r.text == "语音张三请选 For 语音包1, press 1. For 语音张三的, press 2. To repeat, press *."


def test_mistakes_are_located_where_they_were_typed() -> None:
    from tests.engine.states.kit import errors_of, flow_text

    def located(old: str, new: str) -> str:
        return errors_of(flow_text(STATES.replace(old, new, 1)))[0].split(": error: ")[1]

    assert located("goto: mine}", "goto: nowhere}").startswith("states.pick.options[0].goto: unknown state 'nowhere'")
    assert located('when: "pk.vip"', 'when: "pk.vip =="').startswith("states.pick.options[3].when: expression syntax")
    assert located("items: pk.packages", "items: pk.packages ==").startswith("states.pick.items: expression syntax")
    assert located('"{{ item.name }} at', '"{{ item.name at').startswith("states.pick.label: template syntax")
    assert located("{zh: 已订业务, en: Mine}", "'{{ mine'").startswith("states.pick.options[0].label: template syntax")
    assert located("{zh: 没有这一项, en: No such item}", "'{{ no'").startswith("states.pick.invalid: template syntax")
    assert located("{zh: 请选择, en: Choose, ussd: {zh: 选一个, en: Pick one}}", "'{{ x'").startswith(
        "states.pick.text: template syntax")
    node = compile_states(STATES).nodes["pick"]
    assert list(node.kind.defines("pick", node.spec)) == [(("states", "pick", "var"), "chosen")]


async def test_the_ivr_waits_for_as_many_keys_as_the_chunk_it_said_needs() -> None:
    states = STATES.replace('key: "8"}', 'key: "88"}')
    phone = kit(5, states).phone("ivr")
    assert (await phone.dial()).wait == Wait("choice", max_digits=1)
    assert (await phone.send("9")).wait == Wait("choice", max_digits=2)  # item 5 and the fixed "88"


async def test_the_ivr_s_more_key_in_the_flow_s_words() -> None:
    k = Kit(compile_states(STATES, extra="messages: {ivr_more: {zh: 屏幕, ivr: {zh: '下一批按{{ key }}'}}}\n"),
            fixtures={"packages": {"result": {"packages": [package(n) for n in range(1, 7)]}}})
    assert "下一批按9" in (await k.phone("ivr").dial()).text
