"""``message`` / ``end``: say the text for the channel and locale, then continue or end; the SMS-length lint."""

from __future__ import annotations

from engine.states import message
from engine.states.message import sms_fit
from tests.engine.helpers import EN
from tests.engine.states.kit import Kit, compile_states

MESSAGE = """
main:
  type: message
  text: {zh: 你好, en: Hello, ussd: {zh: 你好USSD}, ivr: 您好}
  goto: bye
bye:
  type: end
  text: {zh: 再见, en: Bye}
"""


async def test_message_then_goto_then_end_per_channel_and_locale() -> None:
    kit = Kit(compile_states(MESSAGE))
    r = await kit.phone("sms").send("GO")
    assert r.text == "你好\n再见" and r.end
    assert (await kit.phone("ussd").dial()).text == "你好USSD\n再见"
    r = await kit.phone("ivr").dial()
    assert r.text == "您好再见" and r.audio == ("k/main", "k/bye")
    assert (await kit.phone("ussd", msisdn=EN, call="en").dial()).text == "Hello\nBye"  # no en USSD override
    r = await kit.phone("ivr", msisdn=EN, call="en2").dial()
    assert r.text == "您好 Bye"  # English parts are joined with a space on the IVR


async def test_a_message_with_an_empty_text_says_nothing() -> None:
    kit = Kit(compile_states('main:\n  type: message\n  text: ""\n  goto: bye\nbye: {type: end, text: 完}\n'))
    assert (await kit.phone("sms").send("GO")).text == "完"


def test_declarations_and_graph() -> None:
    f = compile_states(MESSAGE)
    k = message.KIND
    assert k.types == ("message", "end")
    assert not k.ends(f.nodes["main"].spec) and k.ends(f.nodes["bye"].spec)
    assert f.nodes["bye"].ends and not f.nodes["main"].ends
    assert k.label(f, f.nodes["main"]) == "main: message\\n你好"
    assert k.label(f, f.nodes["bye"]) == "bye: end\\n再见"
    assert k.graph_edges(f, f.nodes["main"]) == [("bye", "")]
    assert k.graph_edges(f, f.nodes["bye"]) == []
    assert k.shape == ("(", ")", "ellipse")
    assert k.ivr_text(f, f.nodes["main"], "zh") == "您好"


def test_label_keeps_the_first_line_cut_to_24_characters() -> None:
    f = compile_states('main:\n  type: end\n  text: "' + "一" * 30 + '\\n第二行"\n')
    assert f.nodes["main"].kind.label(f, f.nodes["main"]) == "main: end\\n" + "一" * 24 + "…"  # marked as cut
    f = compile_states('main:\n  type: end\n  text: ""\n')
    assert f.nodes["main"].kind.label(f, f.nodes["main"]) == "main: end"


def lint(text: str) -> list[str]:
    f = compile_states(f"main:\n  type: end\n  text: {text}\n")
    return [str(d) for d in message.KIND.lint(f, f.nodes["main"])]


def test_sms_lint_at_three_segments_and_one_past() -> None:
    assert lint("{zh: " + "长" * 201 + ", en: " + "a" * 459 + "}") == []  # 3 x 67 ucs2, 3 x 153 gsm7
    assert lint("{zh: " + "长" * 202 + ", en: " + "a" * 460 + "}") == [
        "f.yaml:12:11: warning: states.main.text: zh SMS text needs 4 ucs2 segments (more than 3)",
        "f.yaml:12:11: warning: states.main.text: en SMS text needs 4 gsm7 segments (more than 3)",
    ]


def test_sms_lint_checks_the_sms_text_only_when_static_and_its_own() -> None:
    assert lint("{zh: '" + "长" * 300 + "{{ x }}', en: ok}") == []  # varies: cannot be measured
    assert lint("{zh: ok, en: ok, ussd: '" + "长" * 300 + "'}") == []  # a USSD text is not sent by SMS
    assert lint("{zh: ok, sms: {zh: '" + "长" * 300 + "'}}") == [
        "f.yaml:12:11: warning: states.main.text: zh SMS text needs 5 ucs2 segments (more than 3)"]
    f = compile_states("main:\n  type: switch\n  cases: [{when: x, goto: main}]\n  default: main\n")
    assert list(sms_fit(f, f.nodes["main"])) == []
    f = compile_states("main:\n  type: end\n  text: {zh: '" + "长" * 300 + "'}\n", extra="locales: [zh, en]\n")
    assert [d.message for d in sms_fit(f, f.nodes["main"])] == ["zh SMS text needs 5 ucs2 segments (more than 3)"]


def test_sms_lint_of_a_locale_with_only_an_sms_text_and_of_later_locales() -> None:
    assert lint("{zh: ok, sms: {en: '" + "a" * 460 + "'}}") == [
        "f.yaml:12:11: warning: states.main.text: en SMS text needs 4 gsm7 segments (more than 3)"]
    f = compile_states("main:\n  type: end\n  text: {zh: '" + "长" * 300 + "'}\n", extra="locales: [en, zh]\n")
    assert [d.message for d in sms_fit(f, f.nodes["main"])] == ["zh SMS text needs 5 ucs2 segments (more than 3)"]
