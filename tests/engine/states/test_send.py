"""``send``: an SMS pushed from any channel, apart from the answer on the current one."""

from __future__ import annotations

from engine.ports.events import MASK
from engine.states import send
from tests.engine.helpers import EN, ZH
from tests.engine.states.kit import Kit, compile_states

SEND = """
main:
  type: send
  text: {zh: "您的号码{{ msisdn }}", en: "Your number {{ msisdn }}"}
  goto: bye
bye:
  type: end
  text: {zh: 已发送, en: Sent}
"""


async def test_the_sms_is_pushed_and_the_call_goes_on() -> None:
    kit = Kit(compile_states(SEND))
    phone = kit.phone("ivr")
    r = await phone.dial()
    assert r.text == "已发送" and r.channel == "ivr"
    [push] = phone.pushes
    assert (push.channel, push.msisdn, push.text, push.locale, push.push) == ("sms", ZH, f"您的号码{ZH}", "zh", True)
    assert push.meta == {"flow": "k"} and push.end
    assert kit.of("push")[0].data == {"text": f"您的号码{ZH}"}
    en = kit.phone("ussd", msisdn=EN)
    await en.dial()
    assert [(p.text, p.locale) for p in en.pushes] == [(f"Your number {EN}", "en")]


async def test_a_send_without_goto_ends_and_secrets_are_masked_for_observers() -> None:
    states = "main:\n  type: input\n  text: 码\n  var: pin\n  secret: true\n  goto: tell\n" \
             "tell:\n  type: send\n  text: '码是{{ pin }}'\n"
    kit = Kit(compile_states(states))
    phone = kit.phone("sms")
    await phone.send("GO")
    r = await phone.send("8642")
    assert r.text == "" and r.end
    assert [p.text for p in phone.pushes] == ["码是8642"]
    assert kit.of("push")[0].data == {"text": f"码是{MASK}"}


def test_declarations_and_lint() -> None:
    f = compile_states(SEND)
    k = send.KIND
    assert not k.ends(f.nodes["main"].spec)
    assert k.ends(compile_states("main: {type: send, text: x}").nodes["main"].spec)
    assert k.label(f, f.nodes["main"]) == "main: send\\n您的号码{{ msisdn }}"
    long = compile_states("main: {type: send, text: " + "a" * 460 + "}")
    assert [d.message for d in k.lint(long, long.nodes["main"])] == [
        "zh SMS text needs 4 gsm7 segments (more than 3)", "en SMS text needs 4 gsm7 segments (more than 3)"]
