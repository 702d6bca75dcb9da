"""The full-screen phone driven for real: keys through a pipe, a dummy terminal, screen captures."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from prompt_toolkit.output import DummyOutput

from engine.run.build import load_registry
from simulator.phone.snapshot import snapshot
from tests.sim.conftest import Driver, F, until


async def test_sms_thread_and_panel(phone: Callable[..., Driver]) -> None:
    d = phone("sms")
    await d.line("YE")
    assert "余额为50.00元" in d.last
    screen = snapshot(d.phone.app, 120, 30)
    assert "SMS with 10086 · 8613800138000" in screen
    assert "me: YE" in screen
    assert "balance {} ok" in screen  # the QA panel's backend call
    assert "State    balance_offer" in screen
    assert "SMS UCS2, 1 part" in screen


async def test_ussd_dialog_secret_input_and_cancel(phone: Callable[..., Driver]) -> None:
    d = phone("ussd")
    await d.keys("\r", answers=2)  # Enter on an empty line dials *100#
    assert d.model.open and "1. 话费余额" in d.model.screen
    await d.line("4")
    await d.line("1")
    assert d.model.device.wait is not None and d.model.device.wait.secret
    d.pipe.send_text("123")
    await until(lambda: d.phone.entry.text == "123")
    screen = snapshot(d.phone.app, 120, 34)
    assert "reply> ***" in screen and "123" not in screen.split("reply>")[1].splitlines()[0]
    await d.keys("456\r", answers=2)
    assert d.model.history[-2].text == "******"
    screen = snapshot(d.phone.app, 120, 34)
    # checked in the turn it was typed, then wiped: the session (and its panel) keeps no password
    assert "password =" not in screen and "123456" not in screen
    assert "Cancel" in screen and "Send" in screen
    await d.keys(F["f9"], answers=2)  # Cancel
    assert not d.model.open
    assert d.model.history[-1].text == "dialog ended"


async def test_ivr_keypad_sends_dtmf_and_noinput(phone: Callable[..., Driver]) -> None:
    d = phone("ivr")
    await d.keys("\r", answers=2)  # call 10086
    assert "请按" in d.model.screen
    screen = snapshot(d.phone.app, 120, 34)
    assert "[1]   [2]   [3]" in screen and "in call" in screen
    await d.keys("4", answers=2)  # one key is a whole menu choice
    assert "套餐订退" in d.model.screen
    await d.keys("1", answers=2)
    d.pipe.send_text("12345")
    await until(lambda: d.model.digits == "12345")
    assert "keys: 12345" in snapshot(d.phone.app, 120, 34)
    await d.keys("6", answers=2)  # six digits complete the password
    assert "确认请按1" in d.model.screen
    await d.keys(F["f10"], answers=2)  # the caller stays silent
    assert "您没有输入" in d.model.screen
    await d.keys("2", answers=2)
    assert d.model.last is not None and d.model.last.after == "10086:cancelled"
    assert not d.model.open


async def test_ivr_agent_queue_report_shows_the_busy_sms(phone: Callable[..., Driver]) -> None:
    d = phone("ivr")
    await d.keys("\r", answers=2)
    await d.keys("0", answers=3)  # the key, the transfer, "call ended"
    assert d.model.history[-2].text.endswith("[transfer to queue-10086, at most 120 s: /agent OUTCOME]")
    await d.keys("/agent timeout\r", answers=4)
    shown = [(line.who, line.channel, line.text) for line in d.model.history[-4:]]
    assert shown[:2] == [("me", "ivr", "[agents: timeout]"),
                         ("net", "ivr", "坐席繁忙，已短信告知您自助办理方式，再见。")]
    assert shown[2] == ("info", "ivr", "call ended")
    assert shown[3][:2] == ("sms", "sms") and shown[3][2].startswith("【10086】抱歉，坐席繁忙。")
    assert "【10086】抱歉，坐席繁忙" in snapshot(d.phone.app, 120, 40)
    await d.command("/agent later")
    assert d.last.startswith("not understood: /agent later")
    await d.command("/channel sms")
    await d.command("/agent timeout")
    assert d.last == "only IVR calls are transferred to agents"


async def test_switch_channel_subscriber_and_language(phone: Callable[..., Driver]) -> None:
    d = phone("sms")
    await d.keys(F["f2"])
    assert d.model.channel == "ussd"
    await d.keys(F["f3"])
    assert d.model.msisdn == "8613900139000"
    await d.keys(F["f4"])
    assert d.model.lang == "zh"
    await d.keys("\r", answers=2)
    assert "欢迎使用" in d.model.screen  # Alice asked for Chinese
    await d.command("/lang en")
    await d.keys("\r", answers=2)
    assert "Welcome" in d.model.screen
    await d.command("/channel ivr")
    assert "Call to 10086" in snapshot(d.phone.app)
    assert str(d.model.channel) == "ivr"


async def test_clock_advance_expires_a_confirmation(phone: Callable[..., Driver]) -> None:
    d = phone("sms")
    await d.line("TC")
    await d.line("1")
    await d.line("123456")
    assert "5分钟内有效" in d.last
    await d.keys(F["f8"])
    assert d.model.advanced == 301 and "Clock +301 s" in snapshot(d.phone.app)
    await d.line("Y")
    assert "本次业务未办理" in d.last  # the flow's cancel text alone after expiry


async def test_fixture_command_and_restart(phone: Callable[..., Driver]) -> None:
    d = phone("ussd")
    await d.command("/fail balance unavailable")
    assert "balance: unavailable" in d.last
    await d.keys("\r", answers=2)
    await d.line("1")
    assert "系统繁忙" in d.model.screen and not d.model.open
    assert "FAIL unavailable" in snapshot(d.phone.app)
    await d.command("/ok balance")
    await d.keys("\r", answers=2)
    await d.line("1")
    assert "50.00" in d.last
    await d.keys(F["f5"], answers=1)
    assert d.model.last is None and "restarted ussd" in d.last
    await d.command("/nonsense")
    assert "not understood" in d.last


async def test_reload_keeps_the_running_session(phone: Callable[..., Driver], tmp_path: Path) -> None:
    shutil.copytree("flows/10086", tmp_path / "10086")
    d = phone("ussd", flows=load_registry(str(tmp_path)))
    await d.keys("\r", answers=2)
    main = tmp_path / "10086" / "main.yaml"
    text = main.read_text(encoding="utf-8")
    main.write_text(text.replace("version: 1", "version: 2", 1).replace("欢迎使用10086自助服务", "新版欢迎", 1),
                    encoding="utf-8")
    await d.keys(F["f6"])
    assert "flows reloaded" in d.last and "10086 v2" in d.last
    await d.line("1")
    assert "50.00" in d.last
    assert "Flow     10086 v1" in snapshot(d.phone.app)  # the live session stayed on v1
    await d.line("00")
    assert "欢迎使用10086自助服务" in d.model.screen
    await d.keys(F["f9"], answers=2)
    await d.keys("\r", answers=2)
    assert "新版欢迎" in d.model.screen and "Flow     10086 v2" in snapshot(d.phone.app)
    main.write_text("flow: [broken", encoding="utf-8")
    await d.keys(F["f6"])
    assert "reload failed" in d.last


async def test_quit_from_a_command(phone: Callable[..., Driver]) -> None:
    d = phone("sms")
    d.pipe.send_text("/quit\r")
    await until(lambda: not d.phone.app.is_running)


async def test_keypad_keys_can_be_clicked(phone: Callable[..., Driver]) -> None:
    d = phone("ivr")
    await d.keys("\r", answers=2)
    size = DummyOutput().get_size()  # the app renders (and maps mouse clicks) at this size
    await until(lambda: d.phone.app.render_counter > 1)
    rows = snapshot(d.phone.app, size.columns, size.rows).splitlines()
    y = next(i for i, row in enumerate(rows) if "[4]" in row)
    x = rows[y].index("[4]") + 1
    await d.keys(f"\x1b[<0;{x + 1};{y + 1}M\x1b[<0;{x + 1};{y + 1}m", answers=2)  # SGR press + release
    assert d.model.history[-2].text == "4" and "套餐订退" in d.model.screen
