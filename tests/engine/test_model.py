"""Compiled flows and the base of every state kind (``engine.flow.model``): page footers, graph labels,
what a kind that does not override them says, draws and refuses."""

from __future__ import annotations

import pytest

from engine.flow.model import LABEL_CHARS, cut_label
from engine.states import message
from engine.states import set as set_kind
from tests.engine.states.kit import Kit, compile_states

END = "main: {type: end, text: {zh: 再见, en: Bye}}\n"


def test_ussd_page_footers_use_the_flow_s_keys_and_words_per_language() -> None:
    flow = compile_states(END, extra="navigation: {ussd: {more: ['99', '97'], back: ['#', '*']}}\n"
                                     "messages:\n  more: {zh: 更多, ussd: {zh: 下页, en: Next}}\n"
                                     "  back: {zh: 返回, ussd: 上页}\n")
    assert flow.footers("zh") == ("97 下页", "# 上页")
    assert flow.footers("en") == ("97 Next", "# 上页")


def test_without_page_keys_the_footers_show_the_usual_ones() -> None:
    flow = compile_states(END, extra="navigation: {ussd: {more: [], back: []}}\n")
    assert flow.footers("en") == ("98 More", "0 Back")


@pytest.mark.parametrize(("text", "limit", "label"), [
    ("a" * 24, 24, "a" * 24),  # at the limit: whole, no mark
    ("a" * 25, 24, "a" * 24 + "…"),
    ("abc{{ x }}def", 3, "abc…"),  # a tag that starts at the cut is not entered
    ("ab{{ x }}def", 3, "ab{{ x }}…"),  # a short tag across the cut is kept whole
    ("ab{{ x }}", 9, "ab{{ x }}"),
    ("ab{{ xy }}cd", 9, "ab{{ xy }}…"),  # the cut just inside the tag's end moves past it
    ("ab{{ x }}cd", 9, "ab{{ x }}…"),  # a cut right after the tag stays there
    ("a{{ " + "y" * 20 + " }}b", 5, "a…"),  # a tag reaching far past the cut is dropped
])
def test_a_label_is_cut_but_never_inside_a_template_tag(text: str, limit: int, label: str) -> None:
    assert cut_label(text, limit) == label


def test_a_tag_ending_at_most_half_a_label_past_the_cut_is_kept() -> None:
    assert LABEL_CHARS == 24
    at_half = "a{{ " + "y" * 12 + " }}bb"  # the tag ends at 19: 12 past a cut at 7
    assert cut_label(at_half, 7) == "a{{ " + "y" * 12 + " }}…"
    past_half = "a{{ " + "y" * 13 + " }}bb"  # ends at 20: 13 past
    assert cut_label(past_half, 7) == "a…"


def test_the_base_kind_labels_with_the_first_line_of_the_text() -> None:
    flow = compile_states("main: {type: end, text: {zh: \"短\\n第二行\", en: Short}}\n")
    node = flow.nodes["main"]
    assert message.KIND.label(flow, node) == "main: end\\n短"


def test_the_base_kind_s_ivr_text_falls_back_to_the_flow_s_language() -> None:
    flow = compile_states("main: {type: end, text: {zh: 屏幕, ivr: {zh: 语音}}}\n")
    node = flow.nodes["main"]
    assert message.KIND.ivr_text(flow, node, "en") == "语音"
    assert message.KIND.ivr_text(flow, node, "zh") == "语音"
    bare = compile_states("main: {type: set, vars: {a: '1'}, goto: b}\nb: {type: end, text: x}\n")
    assert set_kind.KIND.ivr_text(bare, bare.nodes["main"], "zh") == ""


async def test_a_kind_that_does_not_wait_refuses_a_prompt_or_input_by_name() -> None:
    kit = Kit(compile_states("main: {type: set, vars: {a: '1'}, goto: b}\nb: {type: end, text: x}\n"))
    turn = kit.turn()
    node = turn.flow.nodes["main"]
    with pytest.raises(NotImplementedError) as err:
        set_kind.KIND.prompt(turn, node)
    assert str(err.value) == "set states do not wait for input"
    with pytest.raises(NotImplementedError) as err:
        await set_kind.KIND.feed(turn, node, "1")
    assert str(err.value) == "set states do not take input"
