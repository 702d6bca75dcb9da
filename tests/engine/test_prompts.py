"""The recording studio's list (``engine.flow.prompts``): every IVR text per locale, with the ids the engine plays."""

from __future__ import annotations

from engine.flow.prompts import Prompt, iter_prompts
from tests.engine.states.kit import compile_states, registry_of

STATES = """
main:
  type: menu
  text: {zh: 请选择, en: Choose, audio: welcome}
  options:
    - {label: {zh: 余额, en: Balance}, goto: ask}
ask:
  type: input
  text: {zh: 请输入号码, en: Enter the number, ivr: {zh: 请按键输入号码}}
  var: number
  kind: digits
  error: {zh: 号码有误, en: Wrong number, ivr: {zh: 号码有误请重新按键}}
  goto: pin
pin:
  type: input
  text: {zh: 请输入密码, en: Password}
  var: pin
  error: {zh: 密码有误, ivr: {zh: 密码有误请重按}}
  goto: check
check:
  type: switch
  cases: [{when: "number == '1'", goto: bye}]
  default: bye
bye: {type: end, text: {zh: "再见{{ number }}", en: ""}}
"""


def prompts(flow: str = "k") -> list[Prompt]:
    extra = "messages: {busy: 忙, goodbye: {zh: 再见, ivr: {zh: 再会}}}\n"
    return list(iter_prompts(registry_of(compile_states(STATES, flow=flow, extra=extra))))


def test_each_state_text_per_locale_under_the_id_the_engine_plays() -> None:
    got = [p for p in prompts() if p.state]
    assert got == [
        Prompt("k", "main", "welcome", "zh", "请选择余额请按1，重听请按*。"),
        Prompt("k", "ask", "k/ask", "zh", "请按键输入号码"),
        Prompt("k", "ask", "k/ask/error", "zh", "号码有误请重新按键"),
        Prompt("k", "pin", "k/pin", "zh", "请输入密码"),
        Prompt("k", "pin", "k/pin/error", "zh", "密码有误请重按"),
        Prompt("k", "bye", "k/bye", "zh", "再见{{ number }}"),  # listed as written: the exporter marks it dynamic
        Prompt("k", "main", "welcome", "en", "Choose For Balance, press 1. To repeat, press *."),
        Prompt("k", "ask", "k/ask", "en", "Enter the number"),
        Prompt("k", "ask", "k/ask/error", "en", "Wrong number"),  # the IVR override is Chinese only
        Prompt("k", "pin", "k/pin", "en", "Password"),
        Prompt("k", "pin", "k/pin/error", "en", "密码有误请重按"),  # no English: the flow's own language
    ]  # a state without text (switch) has none; an empty English text is not a prompt


def test_the_engine_s_own_texts_with_the_flow_s_overrides() -> None:
    own = {(p.id, p.locale): p for p in prompts("f") if not p.state}
    assert own[("f/msg/busy", "zh")] == Prompt("f", "", "f/msg/busy", "zh", "忙")
    assert own[("f/msg/busy", "en")].text == "忙"
    assert own[("f/msg/goodbye", "zh")].text == own[("f/msg/goodbye", "en")].text == "再会"  # the IVR's words
    assert own[("f/msg/no_input", "en")].text == "We did not receive your input."
    assert own[("f/msg/ivr_option", "zh")].text == "{{ label }}请按{{ key }}"
    assert len(own) == 2 * len({key for key, _ in own})
