"""``transfer``: an agent on the IVR (within hours), the state's own words on SMS and USSD."""

from __future__ import annotations

import time

from engine.states import transfer
from tests.engine.helpers import EN
from tests.engine.states.kit import Kit, compile_states

TRANSFER = """
main:
  type: transfer
  target: queue-7
  text:
    zh: 正在为您转接
    en: Connecting you
    sms: {zh: 请拨打10086转人工, en: Call 10086 for an agent}
    ussd: 人工请拨10086
"""


async def test_on_the_ivr_the_caller_is_transferred_with_the_states_text() -> None:
    kit = Kit(compile_states(TRANSFER))
    r = await kit.phone("ivr").dial()
    assert r.text == "正在为您转接" and r.transfer is not None and r.transfer.target == "queue-7" and r.end
    assert r.audio == ("k/main",)
    assert kit.of("transfer")[0].data == {"target": "queue-7"}
    assert kit.of("end")[-1].data == {"reason": "transfer"}


async def test_on_sms_and_ussd_the_states_own_text_for_that_channel_is_said() -> None:
    kit = Kit(compile_states(TRANSFER))
    r = await kit.phone("sms").send("GO")
    assert r.text == "请拨打10086转人工" and r.transfer is None and r.end
    r = await kit.phone("sms", msisdn=EN).send("GO")
    assert r.text == "Call 10086 for an agent"
    assert (await kit.phone("ussd").dial()).text == "人工请拨10086"
    assert (await kit.phone("ussd", msisdn=EN, call="en").dial()).text == "人工请拨10086"
    assert kit.of("transfer")[0].data == {"target": "queue-7"}


async def test_without_a_text_for_the_channel_the_builtin_says_how_to_reach_an_agent() -> None:
    kit = Kit(compile_states("main: {type: transfer, target: q, text: {zh: 正在转接, en: Connecting}}"))
    assert (await kit.phone("sms").send("GO")).text == "如需人工服务，请拨打10086。"
    assert (await kit.phone("ussd", msisdn=EN).dial()).text == "For an agent, please call 10086."
    r = await kit.phone("ivr").dial()
    assert r.text == "正在转接" and r.transfer is not None


async def test_an_empty_text_transfers_in_silence() -> None:
    kit = Kit(compile_states('main: {type: transfer, target: q, text: ""}'))
    r = await kit.phone("ivr").dial()
    assert r.text == "" and r.transfer is not None and r.transfer.target == "q"


AGENT_MENU = """
main:
  type: menu
  text: 菜单
  options: [{label: 甲, goto: main}]
"""


async def test_the_agent_key_within_and_outside_hours() -> None:
    hour = time.localtime(1_780_000_000.0).tm_hour
    open_hours = f"{hour:02d}:00-{(hour + 1) % 24:02d}:00" if hour < 23 else "23:00-23:59"
    kit = Kit(compile_states(AGENT_MENU, extra=f"agent: {{target: q1, hours: '{open_hours}'}}\n"))
    ivr = kit.phone("ivr")
    await ivr.dial()
    r = await ivr.send("0")
    assert r.transfer is not None and r.transfer.target == "q1" and r.text == "正在为您转接人工服务，请稍候。"
    closed = f"{(hour + 2) % 24:02d}:00-{(hour + 2) % 24:02d}:30"
    kit = Kit(compile_states(AGENT_MENU, extra=f"agent: {{target: q1, hours: '{closed}'}}\n"))
    ivr = kit.phone("ivr")
    await ivr.dial()
    r = await ivr.send("0")
    assert r.transfer is None and r.end and r.text == f"人工服务时间为{closed}，请稍后再拨。再见。"


async def test_the_agent_key_without_an_agent_queue_is_an_invalid_choice() -> None:
    kit = Kit(compile_states(AGENT_MENU))
    ivr = kit.phone("ivr")
    await ivr.dial()
    assert (await ivr.send("0")).text.startswith("输入有误，请重新选择。")


async def test_a_subflow_without_its_own_agent_uses_the_callers() -> None:
    caller = AGENT_MENU.replace("goto: main}]", "goto: sub}]") + "sub: {type: subflow, flow: inner, goto: main}\n"
    inner = "main:\n  type: input\n  text: 输入\n  var: x\n  goto: main\n"
    kit = Kit(compile_states(caller, extra="agent: {target: outer-q}\n"),
              compile_states(inner, flow="inner", code="*2#", keyword="IN", number="2"))
    ivr = kit.phone("ivr")
    await ivr.dial()
    await ivr.send("1")
    for _ in range(2):
        await ivr.send("", "noinput")
    r = await ivr.send("", "noinput")
    assert r.transfer is not None and r.transfer.target == "outer-q"


async def test_without_any_agent_the_ivr_falls_back_to_goodbye() -> None:
    kit = Kit(compile_states("main:\n  type: input\n  text: 输入\n  var: x\n  goto: main\n"))
    ivr = kit.phone("ivr")
    await ivr.dial()
    assert (await ivr.send("", "noinput")).text == "您没有输入。输入"
    await ivr.send("", "noinput")
    r = await ivr.send("", "noinput")
    assert r.text == "输入错误次数过多，再见。" and r.end and r.transfer is None


def test_declarations_and_graph() -> None:
    f = compile_states(TRANSFER)
    n = f.nodes["main"]
    k = transfer.KIND
    assert k.ends(n.spec) and n.edges == ()
    assert k.shape == ("([", "])", "house") and k.label(f, n) == "main: transfer\\n正在为您转接"
    assert k.ivr_text(f, n, "en") == "Connecting you"


def closed_hours() -> str:
    hour = time.localtime(1_780_000_000.0).tm_hour
    return f"{(hour + 2) % 24:02d}:00-{(hour + 2) % 24:02d}:30"


async def test_a_caller_who_finds_the_agents_closed_gets_the_ways_to_help_themselves_by_sms() -> None:
    closed = closed_hours()
    kit = Kit(compile_states(AGENT_MENU, extra=f"agent: {{target: q1, hours: '{closed}'}}\n"))
    for msisdn, words in (("8613800138000", f"【10086】人工服务时间为{closed}。"),
                          (EN, f"[10086] Agents are available {closed}.")):
        ivr = kit.phone("ivr", msisdn, call=msisdn)
        await ivr.dial()
        await ivr.send("0")
        [push] = ivr.pushes
        assert (push.channel, push.msisdn, push.text.startswith(words)) == ("sms", msisdn, True)


async def test_the_busy_sms_is_worded_for_sms_by_the_flow() -> None:
    closed = closed_hours()
    words = "agent_busy_sms: {zh: '忙{{ hours }}', en: 'Busy {{ hours }}', sms: {zh: '短信忙{{ hours }}'}}"
    kit = Kit(compile_states(AGENT_MENU, extra=f"agent: {{target: q1, hours: '{closed}'}}\nmessages: {{{words}}}\n"))
    ivr = kit.phone("ivr", EN)
    await ivr.dial()
    await ivr.send("0")
    assert [p.text for p in ivr.pushes] == [f"Busy {closed}"]
    ivr = kit.phone("ivr", call="zh")
    await ivr.dial()
    await ivr.send("0")
    assert [p.text for p in ivr.pushes] == [f"短信忙{closed}"]
