"""The runtime Turn and the engine around it: loop guard, masking, recordings, subflows, main menu, reloads."""

from __future__ import annotations

from typing import Any

import pytest

from engine.flow.model import CompiledFlow
from engine.ports.events import MASK
from engine.run.turn import MAX_AUTO_STEPS, MAX_NOINPUT, prompt_id
from tests.engine.helpers import EN, ZH
from tests.engine.states.kit import Kit, compile_states

MENU = """
main:
  type: menu
  text: {zh: 主菜单, en: Main}
  options:
    - {label: {zh: 走, en: Go}, goto: s1}
"""

#: What input gets when no flow takes it and no flow is that channel's declared default.
NO_SERVICE = "未能识别您的指令或号码，请核对后重试。"
NO_SERVICE_EN = "Sorry, that command, code or number is not recognised. Please check it and try again."


def chain(n: int) -> str:
    """A menu whose option runs ``n`` automatic ``set`` states, then a message: n + 1 states in one input."""
    states = [f"s{i}:\n  type: set\n  vars: {{v{i}: '{i}'}}\n  goto: {f's{i + 1}' if i < n else 'done'}"
              for i in range(1, n + 1)]
    return MENU + "\n".join(states) + "\ndone:\n  type: end\n  text: {zh: 到了, en: Arrived}\n"


async def test_max_auto_steps_exactly_runs() -> None:
    assert MAX_AUTO_STEPS == 64
    kit = Kit(compile_states(chain(MAX_AUTO_STEPS - 1)))
    phone = kit.phone("ussd")
    await phone.dial()
    r = await phone.send("1")
    assert r.text == "到了" and r.end


async def test_one_step_past_max_auto_steps_says_busy_and_ends(caplog: pytest.LogCaptureFixture) -> None:
    kit = Kit(compile_states(chain(MAX_AUTO_STEPS)))
    phone = kit.phone("ussd")
    await phone.dial()
    r = await phone.send("1")
    assert r.text == "系统繁忙，请稍后再试。" and r.end
    assert await kit.engine.store.get("ussd:c1") is None
    assert "flow k loops without waiting at done" in caplog.text and not kit.of("failed")
    assert len(kit.of("state")) == 1 + MAX_AUTO_STEPS  # the menu, then 64 automatic states: "done" never ran


async def test_a_loop_between_automatic_states_is_stopped() -> None:
    kit = Kit(compile_states(MENU + """
s1:
  type: switch
  cases: [{when: "true", goto: s2}]
  default: s2
s2:
  type: set
  vars: {x: "1"}
  goto: s1
"""))
    phone = kit.phone("sms")
    r = await phone.send("GO")
    r = await phone.send("1")
    assert r.text == "系统繁忙，请稍后再试。" and r.end
    assert kit.of("end")[-1].data == {"reason": "done"}


# -- masking --------------------------------------------------------------------------


async def test_masked_hides_every_secret_the_longer_first() -> None:
    kit = Kit(compile_states(MENU + "s1: {type: end, text: x}", extra="secrets: [pin, otp]\n"))
    turn = kit.turn()
    turn.session.vars.update({"pin": "3456", "otp": "123456", "card": {"code": "99887766", "n": 1}, "none": "",
                              "flat": "24680"})
    turn.note_secret(["card.code", "none", "missing", "flat.sub"])  # "flat" is no mapping: the whole value
    said = "pin 3456, code 123456, card 99887766, flat 24680, 4321"
    assert turn.masked(said) == f"pin {MASK}, code {MASK}, card {MASK}, flat {MASK}, 4321"
    # why the order matters: masking the shorter first leaves the head of the longer in clear
    # ("3456" also sorts after "123456" as text, so only ordering by length gets this right)
    assert said.replace("3456", MASK).replace("123456", MASK).startswith(f"pin {MASK}, code 12{MASK}")


async def test_masked_without_secrets_changes_nothing() -> None:
    kit = Kit(compile_states(MENU + "s1: {type: end, text: x}"))
    turn = kit.turn()
    turn.session.vars["pin"] = "1234"  # not declared secret
    assert turn.masked("pin 1234") == "pin 1234"


async def test_whole_variable_secret_and_wipe() -> None:
    kit = Kit(compile_states(MENU + "s1: {type: end, text: x}"))
    turn = kit.turn()
    turn.session.vars.update({"code": "5555", "res": {"code": "777", "keep": "k"}, "plain": {"x": 1}})
    turn.note_secret(["code", "res.code", "plain.y"])
    assert turn.masked("5555 777") == f"{MASK} {MASK}"
    turn.wipe_secrets()
    assert turn.session.vars == {"res": {"keep": "k"}, "plain": {"x": 1}}
    assert turn.secrets == []


# -- recordings -------------------------------------------------------------------------

RECORDED = """
main:
  type: menu
  text: {zh: 主菜单, en: Main}
  options:
    - {label: {zh: 固定, en: Fixed}, goto: fixed}
    - {label: {zh: 变化, en: Varies}, goto: varies}
    - {label: {zh: 录音, en: Recorded}, goto: named}
    - {label: {zh: 半变, en: Half}, goto: half}
fixed:
  type: message
  text: {zh: 固定文字, en: Fixed text}
  goto: main
varies:
  type: message
  text: {zh: "号码{{ msisdn }}", en: "Number {{ msisdn }}"}
  goto: main
named:
  type: end
  text: {zh: 再见, en: Bye, audio: bye-prompt}
half:
  type: end
  text: {zh: 中文固定, en: "English {{ msisdn }}"}
"""


async def test_static_prompts_get_recording_ids_and_varying_ones_none() -> None:
    kit = Kit(compile_states(RECORDED))
    ivr = kit.phone("ivr")
    r = await ivr.dial()
    assert r.audio == ("k/main",)
    r = await ivr.send("1")
    assert r.text == "固定文字主菜单固定请按1，变化请按2，录音请按3，半变请按4，重听请按*。"
    assert r.audio == ("k/fixed", "k/main")
    r = await ivr.send("2")
    assert r.text.startswith(f"号码{ZH}") and r.audio == ()  # one varying part: the IVR must speak it all
    r = await ivr.send("3")
    assert r.audio == ("bye-prompt",)


async def test_recording_id_is_decided_per_locale() -> None:
    flow = compile_states(RECORDED)
    node = flow.nodes["half"]
    assert prompt_id(flow, node, "ivr", "zh") == "k/half"
    assert prompt_id(flow, node, "ivr", "en") is None
    assert prompt_id(flow, flow.nodes["named"], "ivr", "en") == "bye-prompt"
    assert prompt_id(flow, flow.nodes["varies"], "ivr", "zh") is None
    kit = Kit(flow)
    phone = kit.phone("ivr", msisdn=EN)
    await phone.dial()
    r = await phone.send("4")
    assert r.text == f"English {EN}" and r.audio == ()


async def test_engine_messages_get_ids_only_when_static() -> None:
    kit = Kit(compile_states(MENU + "s1: {type: end, text: x}"))
    ivr = kit.phone("ivr")
    await ivr.dial()
    r = await ivr.send("7")
    assert r.text.startswith("输入有误，请重新选择。") and r.audio == ("k/msg/invalid_choice", "k/main")
    turn = kit.turn("ivr")
    turn.session.vars["error_code"] = "E1"
    turn.say_msg("business_error")
    assert turn.out == ["业务办理失败（E1）。"] and not turn.recorded and turn.audio == []


def test_say_ignores_empty_text() -> None:
    kit = Kit(compile_states(MENU + "s1: {type: end, text: x}"))
    turn = kit.turn()
    turn.say("")
    assert turn.out == [] and turn.recorded
    turn.say("a", "id-a")
    assert turn.out == ["a"] and turn.audio == ["id-a"] and turn.recorded


def test_noinput_limit() -> None:
    assert MAX_NOINPUT == 3


def test_ctx_holds_builtins_and_is_rebuilt_after_a_change() -> None:
    kit = Kit(compile_states(MENU + "s1: {type: end, text: x}"))
    turn = kit.turn("sms", "en")
    turn.session.vars["a"] = 1
    ctx = turn.ctx()
    assert ctx == {"a": 1, "msisdn": ZH, "channel": "sms", "locale": "en", "flow": "k", "authenticated": False,
                   "auth_level": "none"}
    assert turn.ctx() is ctx
    turn.session.vars["a"] = 2
    turn.session.vars["authenticated"] = True  # a flow variable cannot fake the engine's record
    assert turn.ctx() is ctx  # unchanged until told
    turn.changed()
    assert turn.ctx()["a"] == 2 and turn.ctx()["authenticated"] is False
    turn.session.auth_level = "password"
    turn.changed()
    assert turn.ctx()["authenticated"] is True and turn.ctx()["auth_level"] == "password"


def test_set_locale_accepts_only_the_flows_locales() -> None:
    kit = Kit(compile_states(MENU + "s1: {type: end, text: x}", extra="locales: [zh]\n"))
    turn = kit.turn()
    turn.set_locale("en")
    assert turn.session.locale == "zh" and not kit.engine.world.locale_changed
    kit = Kit(compile_states(MENU + "s1: {type: end, text: x}"))
    turn = kit.turn()
    ctx = turn.ctx()
    turn.set_locale("en")
    assert turn.session.locale == "en" and turn.ctx() is not ctx and ctx["locale"] == "zh"
    assert kit.engine.world.locale_changed == {ZH}


# -- subflows, the main menu key and reloads -----------------------------------------------

OUTER = """
main:
  type: menu
  text: 外层
  options:
    - {label: 进入, goto: go}
go:
  type: subflow
  flow: mid
  goto: after
after:
  type: end
  text: 外层结束
"""
MID = """
main:
  type: menu
  text: 中层
  options:
    - {label: 深入, goto: go}
    - {label: 中层停留, goto: stay}
go:
  type: subflow
  flow: inner
  goto: back
back:
  type: return
  text: 中层返回
stay:
  type: input
  text: 中层输入
  var: v
  goto: back
"""
INNER = """
ask:
  type: input
  text: 内层输入
  var: w
  goto: done
done:
  type: return
"""


def nested(outer: str = OUTER, version: int = 1) -> list[CompiledFlow]:
    """outer → mid → inner; the inner flow's entry is not called "main", so landing there by mistake shows."""
    return [compile_states(outer, flow="outer", keyword="OUT", version=version),
            compile_states(MID, flow="mid", code="*2#", keyword="MID", number="2"),
            compile_states(INNER, flow="inner", code="*3#", keyword="IN", number="3", entry="ask")]


async def test_subflows_nest_and_return_to_each_callers_goto() -> None:
    kit = Kit(*nested())
    phone = kit.phone("ussd")
    assert (await phone.dial()).text.startswith("外层")
    assert (await phone.send("1")).text.startswith("中层")
    assert (await phone.send("1")).text == "内层输入"
    session = await kit.engine.store.get("ussd:c1")
    assert session is not None and [f[0] for f in session.stack] == ["outer", "mid"]
    r = await phone.send("42")
    assert r.text == "中层返回\n外层结束" and r.end


async def test_main_menu_key_in_a_nested_subflow_goes_to_the_outermost_entry() -> None:
    kit = Kit(*nested())
    phone = kit.phone("ussd")
    await phone.dial()
    await phone.send("1")
    await phone.send("1")
    r = await phone.send("00")
    assert r.text == "外层\n1. 进入" and r.meta["flow"] == "outer" and r.meta["state"] == "main"
    session = await kit.engine.store.get("ussd:c1")
    assert session is not None and session.stack == [] and session.flow == "outer"
    assert (await phone.send("1")).text.startswith("中层")  # and the outer menu works from there


async def test_main_menu_key_goes_to_the_root_version_the_session_started_on() -> None:
    kit = Kit(*nested())
    phone = kit.phone("sms")
    await phone.send("OUT")
    await phone.send("1")
    await phone.send("1")
    kit.registry.install(nested(OUTER.replace("外层", "新外层"), version=2))
    assert (await phone.send("00")).text == "外层\n1. 进入"
    assert (await kit.phone("sms", msisdn=EN).send("OUT")).text == "新外层\n1. 进入"


async def test_return_goes_back_to_the_callers_version() -> None:
    kit = Kit(*nested())
    phone = kit.phone("sms")
    await phone.send("OUT")
    await phone.send("1")
    await phone.send("1")
    kit.registry.install(nested(OUTER.replace("外层结束", "新版结束"), version=2))
    assert (await phone.send("42")).text == "中层返回\n外层结束"


async def test_main_menu_key_in_the_outer_flow_goes_to_its_entry() -> None:
    kit = Kit(compile_states(OUTER.replace("go:\n  type: subflow\n  flow: mid\n  goto: after",
                                           "go:\n  type: input\n  text: 问\n  var: q\n  goto: after")))
    phone = kit.phone("ussd")
    await phone.dial()
    assert (await phone.send("1")).text == "问"
    assert (await phone.send("00")).text == "外层\n1. 进入"


async def test_back_key_goes_to_the_parent_menu() -> None:
    kit = Kit(*nested())
    phone = kit.phone("ussd", to="*2#")
    await phone.dial()
    assert (await phone.send("2")).text == "中层输入"
    assert (await phone.send("0")).text == "中层\n1. 深入\n2. 中层停留"


async def test_return_after_a_reload_dropped_the_parent_says_busy() -> None:
    """A restart on flow files without the caller: the subscriber inside the subflow gets "busy", no crash."""
    store_kit = Kit(*nested())
    phone = store_kit.phone("sms")
    await phone.send("OUT")
    await phone.send("1")
    await phone.send("1")
    flows = nested()
    later = Kit(flows[1], flows[2])  # "outer" is gone
    later.engine.store = store_kit.engine.store
    r = await later.phone("sms").send("42")
    assert r.text == "中层返回\n系统繁忙，请稍后再试。" and r.end
    assert await later.engine.store.get("sms:" + ZH) is None
    assert not later.of("failed")  # answered by the flow, not by the crash handler


async def test_main_menu_key_after_a_reload_dropped_the_root_says_busy() -> None:
    store_kit = Kit(*nested())
    phone = store_kit.phone("sms")
    await phone.send("OUT")
    await phone.send("1")
    await phone.send("2")
    flows = nested()
    later = Kit(flows[1], flows[2])
    later.engine.store = store_kit.engine.store
    r = await later.phone("sms").send("00")
    assert r.text == "系统繁忙，请稍后再试。" and r.end
    assert await later.engine.store.get("sms:" + ZH) is None
    assert not later.of("failed")


async def test_ivr_silence_in_a_subflow_whose_caller_is_gone_says_goodbye() -> None:
    """The agent queue comes from the outermost flow: with that flow gone there is none, and no crash."""
    store_kit = Kit(*nested(OUTER, version=1))
    ivr = store_kit.phone("ivr")
    await ivr.dial()
    await ivr.send("1")
    await ivr.send("1")
    flows = nested()
    later = Kit(flows[1], flows[2])
    later.engine.store = store_kit.engine.store
    ivr = later.phone("ivr")
    for _ in range(2):
        await ivr.send("", "noinput")
    r = await ivr.send("", "noinput")
    assert r.text == "输入错误次数过多，再见。" and r.end and r.transfer is None


def test_to_agent_without_a_queue_says_how_to_reach_one() -> None:
    kit = Kit(compile_states(MENU + "s1: {type: end, text: x}"))
    turn = kit.turn("ivr")
    turn.to_agent()
    assert turn.out == ["如需人工服务，请拨打10086。"] and turn.ended and turn.transfer_to is None


async def test_a_subflow_missing_at_entry_says_busy() -> None:
    outer = compile_states(OUTER, flow="outer")
    kit = Kit(outer)  # "mid" is not loaded (a registry without it)
    phone = kit.phone("ussd")
    await phone.dial()
    r = await phone.send("1")
    assert r.text == "系统繁忙，请稍后再试。" and r.end and not kit.of("failed")


async def test_return_outside_a_subflow_ends_the_session() -> None:
    kit = Kit(compile_states(MENU + "s1: {type: return, text: 完成}"))
    phone = kit.phone("ussd")
    await phone.dial()
    r = await phone.send("1")
    assert r.text == "完成" and r.end



async def test_an_error_text_per_channel_and_locale_with_its_recording() -> None:
    states = ("main:\n  type: input\n  text: {zh: 输入, en: Enter}\n  var: v\n  kind: digits\n"
              "  error: {zh: 错, en: Wrong, ivr: {zh: 语音错}}\n  goto: main\n"
              "other:\n  type: input\n  text: 再输入\n  var: v\n  kind: digits\n"
              "  error: '错{{ msisdn[-1] }}'\n  goto: other\n")
    kit = Kit(compile_states(states))
    ivr = kit.phone("ivr")
    await ivr.dial()
    r = await ivr.send("x")
    assert r.text == "语音错输入" and r.audio == ("k/main/error", "k/main")
    sms = kit.phone("sms", msisdn=EN)
    await sms.send("GO")
    assert (await sms.send("x")).text == "Wrong\nEnter"
    turn = kit.turn("ivr", state="other")
    await turn.invalid(turn.node, "invalid_input")
    assert turn.out == ["错0", "再输入"] and not turn.recorded


async def test_a_flows_message_override_per_channel_and_locale_decides_the_recording() -> None:
    over = ("messages:\n  invalid_choice: {zh: 选错了, en: 'Wrong {{ msisdn }}', ivr: {zh: 语音选错了}}\n"
            "  goodbye: {zh: '再见{{ msisdn }}', en: Bye, ivr: {zh: '语音再见{{ msisdn }}'}}\n")
    kit = Kit(compile_states(MENU + "s1: {type: end, text: x}", extra=over))
    ivr = kit.phone("ivr")
    await ivr.dial()
    r = await ivr.send("7")
    assert r.text.startswith("语音选错了主菜单") and r.audio == ("k/msg/invalid_choice", "k/main")
    en = kit.phone("ivr", msisdn=EN, call="en")
    await en.dial()
    r = await en.send("7")
    assert r.text.startswith(f"Wrong {EN} Main") and r.audio == ()
    turn = kit.turn("ivr", "en")
    turn.say_msg("goodbye")
    assert turn.out == ["Bye"] and turn.audio == ["k/msg/goodbye"]
    turn = kit.turn("sms")
    turn.say_msg("goodbye")
    assert turn.out == [f"再见{ZH}"] and not turn.recorded


async def test_the_backend_hears_who_asks_on_which_channel_and_session() -> None:
    from engine.backend.demo import DemoBackend
    from engine.ports.backend import CallContext

    seen: list[CallContext] = []

    class Recording(DemoBackend):
        async def call(self, operation: str, params: Any, ctx: CallContext) -> dict[str, Any]:
            seen.append(ctx)
            return await super().call(operation, params, ctx)

    states = "main:\n  type: call\n  op: balance\n  result: b\n  goto: said\nsaid: {type: end, text: ok}\n"
    kit = Kit(compile_states(states), backend=Recording())
    await kit.phone("ussd", msisdn=EN, call="s9").dial()
    assert seen[-1] == CallContext(EN, "ussd", "ussd:s9", "en")


async def test_an_unknown_sms_command_is_answered_in_the_subscribers_language() -> None:
    kit = Kit(compile_states(MENU + "s1: {type: end, text: x}", extra="default_for: [sms]\n"))
    r = await kit.phone("sms", msisdn=EN).send("HELLO")
    assert r.text == "Sorry, that command is not recognised. Reply with a number from the menu.\nMain\n1. Go"
    kit = Kit(compile_states(MENU + "s1: {type: end, text: x}", extra="default_for: [sms]\n"))
    r = await kit.phone("sms", msisdn=EN).send("N")
    assert r.text.startswith("You have nothing pending to confirm.\nMain\n1. Go")


async def test_an_sms_where_no_flow_is_the_sms_default_says_so() -> None:
    from tests.engine.states.kit import compile_text
    f = compile_text("flow: u\ntitle: U\nversion: 1\nentry: main\ntriggers: {ussd: [{code: '*9#'}]}\n"
                     "states:\n  main: {type: end, text: hi}\n")
    kit = Kit(f)
    r = await kit.phone("sms").send("HELLO")
    assert (r.channel, r.msisdn, r.text, r.locale) == ("sms", ZH, NO_SERVICE, "zh")


async def test_a_store_outage_gets_busy_in_the_subscribers_channel_and_a_failed_event() -> None:
    """A store nobody listens for (a closed port): "busy", the reason for metrics, and no traceback."""
    from engine.store.redis import RedisStore
    from tests.net import free_port

    kit = Kit(compile_states(MENU + "s1: {type: end, text: x}"))
    kit.engine.store = RedisStore(f"redis://127.0.0.1:{free_port()}/0?socket_connect_timeout=0.2")
    r = await kit.phone("ussd", msisdn=EN).dial()
    assert (r.channel, r.msisdn, r.text, r.locale, r.end) == ("ussd", EN, "系统繁忙，请稍后再试。", "zh", True)
    [failed] = kit.of("failed")
    assert (failed.kind, failed.session_key, failed.channel, failed.data) == (
        "failed", "ussd:c1", "ussd", {"reason": "store"})


async def test_where_a_dial_or_a_call_starts_and_when_it_is_refused() -> None:
    from engine.types import Inbound
    from tests.engine.states.kit import compile_text

    kit = Kit(compile_states(MENU + "s1: {type: end, text: x}", extra="default_for: [ivr]\n"))
    handle = kit.engine.handle
    [r] = await handle(Inbound("ussd", ZH, "", "begin", "u1", "*999#"))  # no flow listens, none is the default
    assert (r.channel, r.msisdn, r.text, r.locale, r.end) == ("ussd", ZH, NO_SERVICE, "zh", True)
    [r] = await handle(Inbound("ussd", ZH, "", "begin", "u2", "*999#", locale="en"))
    assert (r.text, r.locale) == (NO_SERVICE_EN, "en")
    [r] = await handle(Inbound("ussd", EN, "1", "input", "u3", "*100#"))  # input for a session that expired
    assert (r.channel, r.msisdn, r.text, r.locale, r.end) == (
        "ussd", EN, "Your session has ended. Please dial again.", "en", True)
    [r] = await handle(Inbound("ivr", ZH, "", "begin", "i1", "95555"))  # an unknown number: the default IVR flow
    assert r.text.startswith("主菜单") and not r.end
    [r] = await handle(Inbound("ivr", ZH, "", "begin", "i2", ""))
    assert r.text.startswith("主菜单")
    ussd_only = compile_text("flow: u\ntitle: U\nversion: 1\nentry: main\ntriggers: {ussd: [{code: '*9#'}]}\n"
                             "states:\n  main: {type: end, text: hi}\n")
    [r] = await Kit(ussd_only).engine.handle(Inbound("ivr", EN, "", "begin", "i3", "10086"))
    assert (r.channel, r.msisdn, r.text, r.locale, r.end) == ("ivr", EN, NO_SERVICE, "zh", True)


async def test_a_recording_only_where_the_words_said_on_that_channel_and_language_are_fixed() -> None:
    states = ("a:\n  type: input\n  text: {zh: 输入, en: Enter}\n  var: v\n  kind: digits\n"
              "  error: {zh: 错, en: Wrong, ivr: {zh: '语音错{{ msisdn[-1] }}'}}\n  goto: a\n"
              "b:\n  type: input\n  text: {zh: 再输入, en: Again}\n  var: v\n  kind: digits\n"
              "  error: {zh: 错B, ivr: {zh: '语音错B{{ msisdn[-1] }}'}}\n  goto: b\n")
    kit = Kit(compile_states(states, entry="a"))
    turn = kit.turn("ivr", state="a")
    await turn.invalid(turn.node, "invalid_input")
    assert turn.out == ["语音错0", "输入"] and not turn.recorded
    turn = kit.turn("ivr", locale="en", state="a")
    await turn.invalid(turn.node, "invalid_input")
    assert turn.out == ["Wrong", "Enter"] and turn.recorded and turn.audio == ["k/a/error", "k/a"]
    turn = kit.turn("ivr", locale="en", state="b")  # no English error: the IVR's Chinese one, which varies
    await turn.invalid(turn.node, "invalid_input")
    assert turn.out == ["语音错B0", "Again"] and not turn.recorded


async def test_the_engine_s_own_words_are_recorded_only_where_they_are_fixed() -> None:
    over = "messages:\n  goodbye: {zh: 再见, ivr: {zh: '语音再见{{ msisdn[-1] }}'}}\n"
    kit = Kit(compile_states(MENU + "s1: {type: end, text: x}", extra=over))
    turn = kit.turn("ivr")
    turn.say_msg("goodbye")
    assert turn.out == ["语音再见0"] and not turn.recorded
    turn = kit.turn("ivr", locale="en")
    turn.say_msg("goodbye")
    assert turn.out == ["语音再见0"] and not turn.recorded
    turn = kit.turn("sms")
    turn.say_msg("goodbye")
    assert turn.out == ["再见"] and turn.audio == ["k/msg/goodbye"]


async def test_back_from_behind_an_automatic_state_goes_to_the_menu_not_the_automatic_state() -> None:
    states = MENU.replace("goto: s1}", "goto: note}") + (
        "note:\n  type: message\n  text: 提示\n  goto: s1\n"
        "s1:\n  type: input\n  text: 输入\n  var: v\n  goto: s1\n")
    phone = Kit(compile_states(states)).phone("ussd")
    await phone.dial()
    assert (await phone.send("1")).text == "提示\n输入"
    assert (await phone.send("0")).text == "主菜单\n1. 走"
