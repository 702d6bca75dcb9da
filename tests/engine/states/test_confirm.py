"""``confirm``: the hint verbatim, yes/no tokens, the window at its exact end and one past, retries, graph."""

from __future__ import annotations

import pytest

from engine.states import confirm
from engine.states.confirm import CONFIRM_WAIT
from tests.engine.helpers import EN
from tests.engine.states.kit import Kit, compile_states

CONFIRM = """
main:
  type: confirm
  text: {zh: 确认订购？, en: "Subscribe?"}
  goto: yes_done
  cancel: no_done
yes_done:
  type: end
  text: {zh: 已订购, en: Done}
no_done:
  type: end
  text: {zh: 没订, en: Not done}
"""


def kit(extra: str = "", states: str = CONFIRM) -> Kit:
    return Kit(compile_states(states, extra=extra))


async def test_the_hint_names_every_token_and_ussd_offers_numbered_choices() -> None:
    k = kit()
    r = await k.phone("sms").send("GO")
    assert r.text == "确认订购？\n回复是/Y/YES/1确认，回复否/N/NO/2取消，5分钟内有效。"
    assert r.wait == CONFIRM_WAIT and r.wait.max_digits == 1 and not r.wait.barge_in
    r = await k.phone("sms", msisdn=EN).send("GO")  # outside Chinese only the ASCII tokens: the SMS stays GSM-7
    assert r.text == "Subscribe?\nReply Y/YES/1 to confirm or N/NO/2 to cancel within 5 min."
    r = await k.phone("ussd", msisdn=EN).dial()
    assert r.text == "Subscribe?\n1. Confirm\n2. Cancel"


async def test_the_hint_follows_the_flows_confirm_settings() -> None:
    k = kit("confirm: {yes: [OK, Y1, Y2], no: [NO, N2], window: 119}\n")
    r = await k.phone("sms").send("GO")
    assert r.text == "确认订购？\n回复OK/Y1/Y2确认，回复NO/N2取消，1分钟内有效。"
    k = kit("confirm: {yes: [OK], no: [NO], window: 59}\n")
    assert (await k.phone("sms").send("GO")).text.endswith("回复OK确认，回复NO取消，1分钟内有效。")


async def test_the_ivr_hint_uses_keys_1_and_2() -> None:
    k = kit()
    ivr = k.phone("ivr")
    r = await ivr.dial()
    assert r.text == "确认订购？确认请按1，取消请按2。"
    assert r.audio == ()  # the hint is a template (its keys are filled in): the IVR speaks it
    assert (await ivr.send("2")).text == "没订"  # one message: the cancel state's own
    en = k.phone("ivr", msisdn=EN, call="en")
    assert (await en.dial()).text == "Subscribe? To confirm press 1, to cancel press 2."
    assert (await en.send("1")).text == "Done"
    assert (confirm.IVR_YES, confirm.IVR_NO) == ("1", "2")


NO = "没订"  # "no" says one thing: the cancel state's own text when it has one


@pytest.mark.parametrize(("answer", "text"), [
    ("是", "已订购"), ("y", "已订购"), ("Yes", "已订购"), ("1", "已订购"),
    ("否", NO), ("n", NO), ("2", NO),
])
async def test_yes_and_no_tokens_case_insensitive(answer: str, text: str) -> None:
    k = kit()
    phone = k.phone("sms")
    await phone.send("GO")
    assert (await phone.send(answer)).text == text
    answers = [e.data["answer"] for e in k.of("confirm_answered")]
    assert answers == (["yes"] if text == "已订购" else ["no"])


async def test_the_window_at_its_exact_end_and_one_past() -> None:
    k = kit()
    phone = k.phone("sms")
    await phone.send("GO")
    k.clock.advance(300)
    assert (await phone.send("Y")).text == "已订购"  # exactly at the deadline: still in time
    phone = k.phone("sms", msisdn="8613700137000")
    await phone.send("GO")
    k.clock.advance(300.5)
    assert (await phone.send("Y")).text == "没订"


async def test_the_window_survives_reprompts_and_a_states_own_window_wins() -> None:
    k = kit(states=CONFIRM.replace("  cancel: no_done\n", "  cancel: no_done\n  window: 60\n"))
    phone = k.phone("sms")
    r = await phone.send("GO")
    assert r.text.endswith("1分钟内有效。")
    k.clock.advance(40)
    assert (await phone.send("maybe")).text.startswith("输入有误，请重新选择。\n确认订购？")
    k.clock.advance(21)  # 61 s after the first prompt: the re-prompt did not reopen the window
    assert (await phone.send("Y")).text == "没订"
    assert [e.data["answer"] for e in k.of("confirm_answered")] == ["expired"]


async def test_after_a_confirmation_the_window_is_closed_for_the_next_one() -> None:
    states = CONFIRM.replace("yes_done:\n  type: end\n  text: {zh: 已订购, en: Done}",
                             "yes_done:\n  type: confirm\n  text: 再次确认\n  goto: fin\nfin: {type: end, text: 完}")
    k = kit(states=states)
    phone = k.phone("sms")
    await phone.send("GO")
    k.clock.advance(200)
    assert (await phone.send("Y")).text.startswith("再次确认")
    k.clock.advance(200)  # 400 s after the first prompt, 200 s after the second
    assert (await phone.send("Y")).text == "完"


async def test_without_cancel_no_ends_and_too_many_tries_cancel() -> None:
    k = kit(states=CONFIRM.replace("  cancel: no_done\n", ""), extra="retries: 2\n")
    phone = k.phone("sms")
    await phone.send("GO")
    r = await phone.send("N")
    assert r.text == "已取消，未做任何变更。" and r.end
    await phone.send("GO")
    await phone.send("x")
    r = await phone.send("x")
    assert r.text == "已取消，未做任何变更。" and r.end
    k = kit(extra="retries: 1\n")
    phone = k.phone("sms")
    await phone.send("GO")
    assert (await phone.send("x")).text == "没订"


async def test_an_expired_confirmation_without_cancel_ends() -> None:
    k = kit(states=CONFIRM.replace("  cancel: no_done\n", ""))
    phone = k.phone("sms")
    await phone.send("GO")
    k.clock.advance(301)
    r = await phone.send("Y")
    assert r.text == "确认已超时，业务未办理。" and r.end


def test_declarations_and_graph() -> None:
    f = compile_states(CONFIRM)
    n = f.nodes["main"]
    k = confirm.KIND
    assert k.waiting and k.holds_text and k.guards_payment and not k.menu_level
    assert k.graph_edges(f, n) == [("no_done", "no / expired"), ("yes_done", "yes")]
    no_cancel = compile_states(CONFIRM.replace("  cancel: no_done\n", ""))
    assert k.graph_edges(no_cancel, no_cancel.nodes["main"]) == [("yes_done", "yes")]
    assert k.shape == ("{{", "}}", "diamond")
    assert k.label(f, n) == "main: confirm\\n确认订购？"


def test_lint_warns_of_a_prompt_longer_than_three_sms() -> None:
    f = compile_states(CONFIRM.replace("确认订购？", "订" * 202))
    n = f.nodes["main"]
    assert [d.message for d in n.kind.lint(f, n)] == ["zh SMS text needs 4 ucs2 segments (more than 3)"]


async def test_after_an_expiry_or_a_no_the_next_prompt_opens_a_new_window() -> None:
    k = kit(states=CONFIRM.replace("cancel: no_done", "cancel: main"))
    phone = k.phone("sms")
    await phone.send("GO")
    k.clock.advance(301)
    assert (await phone.send("Y")).text.startswith("确认已超时，业务未办理。\n确认订购？")
    k.clock.advance(299)
    assert (await phone.send("N")).text.startswith("已取消，未做任何变更。\n确认订购？")
    k.clock.advance(299)
    assert (await phone.send("Y")).text == "已订购"


async def test_a_flows_own_ivr_hint_may_name_the_minutes() -> None:
    for window, minutes in ((60, 1), (120, 2), (150, 2)):
        k = kit("messages: {confirm_hint_ivr: '{{ minutes }}分钟内按{{ yes }}确认，按{{ no }}取消'}\n",
                states=CONFIRM.replace("  cancel: no_done\n", f"  cancel: no_done\n  window: {window}\n"))
        assert (await k.phone("ivr").dial()).text == f"确认订购？{minutes}分钟内按1确认，按2取消"


@pytest.mark.parametrize("channel", ["ussd", "ivr"])
async def test_keys_1_and_2_answer_on_a_keypad_whatever_the_flow_s_words(channel: str) -> None:
    k = kit("confirm: {yes: [是], no: [否]}\n")
    for key, said in (("1", "已订购"), ("2", "没订")):
        phone = k.phone(channel, call=f"{channel}{key}")  # type: ignore[arg-type]
        await phone.dial()
        assert (await phone.send(key)).text == said


async def test_on_sms_only_the_flow_s_words_answer() -> None:
    k = kit("confirm: {yes: [是], no: [否]}\n")
    phone = k.phone("sms")
    await phone.send("GO")
    assert (await phone.send("1")).text.startswith("输入有误，请重新选择。")
    assert (await phone.send("2")).text.startswith("输入有误，请重新选择。")
    assert (await phone.send("否")).text == "没订"


async def test_asking_and_giving_up_are_events() -> None:
    k = kit("retries: 2\n")
    phone = k.phone("ussd")
    await phone.dial()
    assert [e.kind for e in k.events if e.kind.startswith("confirm")] == ["confirm_asked"]
    await phone.send("7")
    assert (await phone.send("8")).text == "没订"
    assert [e.data for e in k.of("confirm_answered")] == [{"answer": "gave_up"}]


async def test_a_flow_may_put_the_minutes_into_the_ussd_choices() -> None:
    k = kit("confirm: {window: 600}\nmessages: {confirm_choices: '{{ yes }}确认 {{ no }}取消（{{ minutes }}分钟）'}\n")
    assert (await k.phone("ussd").dial()).text == "确认订购？\n1确认 2取消（10分钟）"
