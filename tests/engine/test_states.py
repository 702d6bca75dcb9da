"""Every state kind of the flow language, through the real engine."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.backend.demo import DemoBackend
from engine.clock import ManualClock
from engine.ports.backend import BackendTimeout, BackendUnavailable
from tests.engine.helpers import EN, POOR, ZH, Phone, engine_for, write_flow

FLOW = """
flow: t
title: {zh: 测试, en: Test}
version: 1
entry: main
default_for: [sms, ivr]
agent: {target: queue-1}
triggers:
  sms:
    - {keywords: [CD, 菜单]}
    - {keywords: [YE, CXYE, 余额], goto: bal}
    - {keywords: [AMT], goto: amount}
  ussd: [{code: "*100#"}]
  ivr: [{code: "10086"}]
states:
  main:
    type: menu
    text: {zh: 主菜单, en: Main}
    retries: 2
    fallback: sorry
    options:
      - {label: {zh: 余额, en: Balance}, goto: bal}
      - {label: {zh: 订购, en: Buy}, goto: buy}
      - {label: {zh: 仅语音, en: Voice only}, goto: bye, channels: [ivr]}
      - {key: "7", label: {zh: 已登录, en: Logged in}, goto: bye, when: authenticated}
      - {label: {zh: 子流程, en: Sub}, goto: sub}
      - {label: {zh: 转人工, en: Agent}, goto: agent}
      - {label: {zh: 语言, en: Lang}, goto: english}
  sorry:
    type: end
    text: {zh: 再见了, en: Bye then}
  bal:
    type: call
    op: balance
    result: b
    goto: show
    timeout: slow
  slow:
    type: end
    text: {zh: 超时了, en: Timed out}
  show:
    type: message
    text: {zh: "余额{{ b.balance }}元", en: "Balance {{ b.balance }}"}
  buy:
    type: confirm
    text: {zh: 确认订购LL5？, en: "Buy LL5?"}
    goto: do_buy
    cancel: main
  do_buy:
    type: call
    op: subscribe
    params: {code: LL5}
    result: s
    goto: bought
    errors: {INSUFFICIENT_BALANCE: poor}
  poor:
    type: end
    text: {zh: 余额不足, en: Not enough money}
  bought:
    type: send
    text: {zh: "已订购{{ s.code }}", en: "Bought {{ s.code }}"}
    goto: done
  done:
    type: switch
    cases: [{when: "channel == 'sms'", goto: sms_bye}]
    default: bye
  sms_bye:
    type: end
    text: {zh: 短信再见, en: SMS bye}
  bye:
    type: end
    text: {zh: 再见, en: Bye}
  amount:
    type: input
    text: {zh: 金额？, en: "Amount?"}
    var: amt
    kind: amount
    min: 1
    max: 500
    error: {zh: 金额不对, en: Bad amount}
    goto: said
  said:
    type: end
    text: {zh: "金额{{ amt }}", en: "Amount {{ amt }}"}
  sub:
    type: subflow
    flow: s
    goto: after_sub
  after_sub:
    type: end
    text: {zh: "回来了{{ token }}", en: "Back {{ token }}"}
  agent:
    type: transfer
    target: queue-9
    text: {zh: 正在转接, en: Transferring}
  english:
    type: set
    vars: {locale: en}
    goto: main
"""

SUB = """
flow: s
title: {zh: 子, en: Sub}
version: 1
entry: ask
states:
  ask:
    type: input
    text: {zh: 请输入密码, en: "Password?"}
    var: pin
    kind: digits
    pattern: "\\\\d{4}"
    secret: true
    goto: keep
  keep:
    type: set
    vars: {token: "ok{{ pin|length }}"}
    goto: back
  back:
    type: return
    text: {zh: 子流程完成, en: Sub done}
"""


@pytest.fixture
def flows(tmp_path: Path) -> str:
    write_flow(tmp_path, FLOW, "t.yaml")
    write_flow(tmp_path, SUB, "s.yaml")
    return str(tmp_path)


async def test_menu_renders_per_channel_and_hides_options(flows: str) -> None:
    engine, _, _ = engine_for(flows)
    ussd = await Phone(engine, "ussd").dial()
    assert ussd.text.splitlines()[0] == "主菜单"
    assert "1. 余额" in ussd.text and "仅语音" not in ussd.text and "已登录" not in ussd.text
    ivr = await Phone(engine, "ivr").dial()
    assert "余额请按1" in ivr.text and "仅语音请按3" in ivr.text and "重听请按*" in ivr.text
    assert ivr.wait is not None and ivr.wait.max_digits == 1 and ivr.wait.barge_in


async def test_invalid_choice_reprompts_then_falls_back(flows: str) -> None:
    engine, _, events = engine_for(flows)
    phone = Phone(engine, "ussd")
    await phone.dial()
    r = await phone.send("9")
    assert r.text.startswith("输入有误，请重新选择。\n主菜单") and r.wait is not None
    r = await phone.send("x")
    assert r.text == "再见了" and r.end
    assert [e.data["count"] for e in events if e.kind == "invalid"] == [1, 2]


async def test_call_success_and_message(flows: str) -> None:
    engine, _, _ = engine_for(flows)
    r = await Phone(engine, "sms").send("ye")
    assert r.text == "余额50.00元" and r.end


async def test_call_timeout_branch(flows: str) -> None:
    clock = ManualClock()
    backend = DemoBackend(clock=clock)
    backend.inject("balance", BackendTimeout("slow"))
    engine, _, events = engine_for(flows, backend, clock)
    r = await Phone(engine, "sms").send("YE")
    assert r.text == "超时了"
    call = next(e for e in events if e.kind == "call")
    assert call.data["ok"] is False and call.data["failure"] == "timeout"


async def test_call_unavailable_without_branch_says_busy(flows: str) -> None:
    clock = ManualClock()
    backend = DemoBackend(clock=clock)
    backend.inject("subscribe", BackendUnavailable("down"))
    engine, _, _ = engine_for(flows, backend, clock)
    phone = Phone(engine, "ussd")
    await phone.dial()
    await phone.send("2")
    r = await phone.send("1")
    assert r.text == "系统繁忙，请稍后再试。" and r.end
    assert "Traceback" not in r.text


async def test_slow_backend_hits_engine_deadline(flows: str) -> None:
    clock = ManualClock()
    backend = DemoBackend(clock=clock)
    backend.inject("balance", None, delay=0.5)
    engine, _, _ = engine_for(flows, backend, clock)
    engine.call_timeout = 0.05
    r = await Phone(engine, "sms").send("YE")
    assert r.text == "超时了"


async def test_business_error_branch(flows: str) -> None:
    engine, _, _ = engine_for(flows)
    phone = Phone(engine, "ussd", msisdn=POOR)
    await phone.dial()
    await phone.send("2")
    r = await phone.send("Y")
    assert r.text == "余额不足"


async def test_confirm_yes_push_and_switch(flows: str) -> None:
    engine, _, _ = engine_for(flows)
    phone = Phone(engine, "ussd")
    await phone.dial()
    r = await phone.send("2")
    assert r.text == "确认订购LL5？\n1. 确认\n2. 取消"  # a keypad user answers by number on USSD
    r = await phone.send("是")
    assert r.text == "再见"
    receipt, pushed = (p.text for p in phone.pushes)  # the catalogue's SMS receipt, then the flow's own SMS
    assert receipt.startswith("【10086】您已成功订购5元100MB流量包") and pushed == "已订购LL5"
    assert phone.pushes[1].channel == "sms" and phone.pushes[1].msisdn == ZH


async def test_confirm_no_and_expiry(flows: str) -> None:
    engine, clock, _ = engine_for(flows)
    phone = Phone(engine, "sms")
    await phone.send("CD")
    await phone.send("2")
    r = await phone.send("n")
    assert r.text.startswith("已取消，未做任何变更。\n主菜单")
    await phone.send("2")
    clock.advance(301)
    r = await phone.send("Y")
    assert r.text.startswith("确认已超时，业务未办理。\n主菜单")


async def test_confirm_on_ivr_disables_barge_in(flows: str) -> None:
    engine, _, _ = engine_for(flows)
    phone = Phone(engine, "ivr")
    await phone.dial()
    r = await phone.send("2")
    assert r.wait is not None and not r.wait.barge_in and "确认请按1" in r.text


async def test_input_validation_and_retries(flows: str) -> None:
    engine, _, _ = engine_for(flows)
    phone = Phone(engine, "sms")
    await phone.send("AMT")
    r = await phone.send("1000")
    assert r.text == "金额不对\n金额？"
    r = await phone.send("１２.5")  # full-width digits are normalised
    assert r.text == "金额12.50"


async def test_subflow_secret_input_and_return(flows: str) -> None:
    engine, _, events = engine_for(flows)
    phone = Phone(engine, "ussd")
    await phone.dial()
    r = await phone.send("3")
    assert r.text == "请输入密码" and r.wait is not None and r.wait.secret
    r = await phone.send("12a4")
    assert r.text.startswith("输入有误")
    r = await phone.send("1234")
    assert r.text == "子流程完成\n回来了ok4"
    shown = [e.data["text"] for e in events if e.kind == "input"]
    assert "1234" not in shown and "******" in shown
    assert all("1234" not in str(e.data) for e in events)


async def test_secret_call_results_live_for_one_turn_only() -> None:
    engine, _, events = engine_for("flows")
    phone = Phone(engine, "sms")
    r = await phone.send("CZMM")
    code = phone.pushes[0].text.split("验证码为")[1][:6]
    assert r.text.startswith("验证码已短信发送") and code.isdigit()
    session = await engine.store.get("sms:" + phone.msisdn)
    assert session is not None and "code" not in session.vars.get("otp", {})
    assert all(code not in str(e.data) for e in events)
    assert any(e.kind == "push" and "******" in e.data["text"] for e in events)
    await phone.send(code)
    r = await phone.send("135790")
    assert r.text == "服务密码修改成功。"


async def test_transfer_on_ivr_and_message_elsewhere(flows: str) -> None:
    engine, _, _ = engine_for(flows)
    ivr = Phone(engine, "ivr")
    await ivr.dial()
    r = await ivr.send("5")
    assert r.transfer is not None and r.transfer.target == "queue-9" and r.text == "正在转接" and r.end
    sms = Phone(engine, "sms")
    await sms.send("CD")
    r = await sms.send("4")
    assert r.transfer is None and "10086" in r.text


async def test_set_locale_switches_language(flows: str) -> None:
    engine, _, _ = engine_for(flows)
    phone = Phone(engine, "ussd")
    await phone.dial()
    r = await phone.send("5")
    assert r.text.startswith("Main\n1. Balance") and r.locale == "en"


async def test_subscriber_language_from_backend(flows: str) -> None:
    engine, _, _ = engine_for(flows)
    r = await Phone(engine, "sms", msisdn=EN).send("YE")
    assert r.text == "Balance 120.50"


async def test_ivr_noinput_counts_then_agent(flows: str) -> None:
    engine, _, events = engine_for(flows)
    phone = Phone(engine, "ivr")
    await phone.dial()
    await phone.send("4")  # the password prompt has no fallback: the IVR hands over to an agent
    r = await phone.send("", "noinput")
    assert r.text.startswith("您没有输入。请输入密码")
    await phone.send("", "noinput")
    r = await phone.send("", "noinput")
    assert r.transfer is not None and r.transfer.target == "queue-1"
    assert [e.data["count"] for e in events if e.kind == "noinput"] == [1, 2, 3]


async def test_ivr_repeat_and_agent_keys(flows: str) -> None:
    engine, _, _ = engine_for(flows)
    phone = Phone(engine, "ivr")
    first = await phone.dial()
    again = await phone.send("*")
    assert again.text == first.text
    r = await phone.send("0")
    assert r.transfer is not None and r.transfer.target == "queue-1"


async def test_main_menu_key_cancels_confirm_but_not_secret_input(flows: str) -> None:
    engine, _, events = engine_for(flows)
    phone = Phone(engine, "sms")
    await phone.send("CD")
    await phone.send("2")
    r = await phone.send("0")
    assert r.text.startswith("主菜单") and not any(e.kind == "call" for e in events)
    await phone.send("3")
    r = await phone.send("0")  # inside the secret input "0" is a (wrong) password, not navigation
    assert r.text.startswith("输入有误")


async def test_end_event_closes_session(flows: str) -> None:
    engine, _, events = engine_for(flows)
    phone = Phone(engine, "ussd")
    await phone.dial()
    r = await phone.send("", "end")
    assert r.end
    assert await engine.store.get("ussd:c1") is None
    assert events[-1].kind == "end" and events[-1].data["reason"] == "abort"


async def test_sms_unknown_command_falls_back_to_menu(flows: str) -> None:
    engine, _, _ = engine_for(flows)
    r = await Phone(engine, "sms").send("HELLO")
    assert r.text.startswith("未能识别您的指令") and "主菜单" in r.text


async def test_sms_keyword_normalisation(flows: str) -> None:
    engine, _, _ = engine_for(flows)
    for text in ("ＹＥ", " cxye ", "余额", "y e"):
        r = await Phone(engine, "sms", call=text).send(text)
        assert r.text == "余额50.00元", text


async def test_sms_yes_without_pending_confirmation(flows: str) -> None:
    engine, _, _ = engine_for(flows)
    r = await Phone(engine, "sms").send("是")
    assert r.text.startswith("您没有待确认的业务。")


LONG_OPTIONS = "\n".join(
    f"      - {{label: {{zh: 第{i}项很长的业务名称说明文字, en: Option number {i} with a long label}}, goto: done}}"
    for i in range(1, 10)
)
LONG = f"""
flow: long
title: 长
version: 1
entry: main
triggers:
  ussd: [{{code: "*9#"}}]
states:
  main:
    type: menu
    text: {{zh: 请选择您需要办理的业务类型, en: Please choose the service you need today}}
    options:
{LONG_OPTIONS}
  done:
    type: end
    text: {{zh: "选了", en: "Chosen"}}
"""


async def test_ussd_pagination_in_zh_and_en(tmp_path: Path) -> None:
    write_flow(tmp_path, LONG, "long.yaml")
    engine, _, _ = engine_for(str(tmp_path))
    phone = Phone(engine, "ussd", to="*9#")
    r = await phone.dial()
    pages = [r.text]
    while "98 更多" in r.text:
        r = await phone.send("98")
        pages.append(r.text)
    assert len(pages) >= 3 and all(len(p) <= 78 for p in pages)
    assert "0 返回" in pages[-1] and "0 返回" not in pages[0]
    assert "\n".join(pages).count("很长的业务名称") == 9  # nothing cut, nothing lost
    assert (await phone.send("0")).text == pages[-2]
    assert (await phone.send("9")).text == "选了"  # an option from another page still works
    en = Phone(engine, "ussd", msisdn=EN, to="*9#", call="en")
    r = await en.dial()
    assert r.text.endswith("98 More") and len(r.text) <= 180
    r = await en.send("98")
    assert "0 Back" in r.text
