"""The 10086 demo on SMS, USSD and IVR, in-process."""

from __future__ import annotations

from engine.clock import ManualClock
from tests.engine.helpers import EN, POOR, ZH, Phone, engine_for


async def test_sms_commands_and_aliases() -> None:
    engine, _, _ = engine_for("flows")
    for cmd, expect in (("YE", "50.00"), ("cxye", "50.00"), ("余额", "50.00"), ("CXLL", "MB"), ("流量", "GB"),
                        ("ZD", "账单合计"), ("JF", "1200"), ("CD", "欢迎使用"), ("菜单", "欢迎使用")):
        r = await Phone(engine, "sms", call=cmd).send(cmd)
        assert expect in r.text, (cmd, r.text)


async def test_sms_0000_lists_subscriptions_and_cancels_after_password_and_confirm() -> None:
    engine, _, events = engine_for("flows")
    phone = Phone(engine, "sms")
    r = await phone.send("0000")
    assert "1.来电显示5.00元/月" in r.text and "回复序号退订" in r.text
    assert "服务密码" in (await phone.send("1")).text
    r = await phone.send("123456")
    assert "确认退订来电显示" in r.text
    r = await phone.send("是")
    assert r.text.startswith("来电显示已退订")
    ops = [e.data["op"] for e in events if e.kind == "call"]
    assert ops == ["profile", "subscriptions", "verify_password", "unsubscribe"][-len(ops):]


async def test_password_checked_once_per_session() -> None:
    engine, _, events = engine_for("flows")
    phone = Phone(engine, "ussd")
    await phone.dial()
    for key in ("4", "1", "123456", "Y", "1", "4"):
        await phone.send(key)
    r = await phone.send("2")
    assert "确认订购" not in r.text and "您将订购10元300MB流量包" in r.text  # no second password prompt
    assert sum(1 for e in events if e.kind == "call" and e.data["op"] == "verify_password") == 1


async def test_ussd_balance_star_shortcut_and_english() -> None:
    engine, _, _ = engine_for("flows")
    r = await Phone(engine, "ussd", call="a").dial("*100*1#")
    assert "50.00" in r.text
    r = await Phone(engine, "ussd", msisdn=EN, call="b").dial("*100#")
    assert r.text.startswith("Welcome to 10086 self-service")


async def test_ivr_menu_balance_agent_and_bill_sms() -> None:
    engine, _, _ = engine_for("flows")
    phone = Phone(engine, "ivr")
    r = await phone.dial()
    assert r.text.startswith("您好，欢迎致电中国移动。话费余额请按1") and "人工服务请按0" in r.text
    assert r.audio == ("welcome",)
    r = await phone.send("1")
    assert "50.00" in r.text and "办理请按1" in r.text
    assert "返回主菜单请按1" in (await phone.send("2")).text  # the offer declined
    await phone.send("1")
    r = await phone.send("2")
    assert "账单明细已通过短信发送给您" in r.text
    assert phone.pushes and phone.pushes[0].channel == "sms" and "账单合计" in phone.pushes[0].text
    r = await phone.send("0")
    assert r.transfer is not None and r.transfer.target == "queue-10086"


async def test_topup_needs_confirmation_and_insufficient_balance_path() -> None:
    engine, _, events = engine_for("flows")
    phone = Phone(engine, "sms")
    await phone.send("CZ")
    r = await phone.send("20")
    assert r.text == "请输入6位服务密码："  # top-up moves money: the password first
    r = await phone.send("123456")
    assert "您将充值20.00元" in r.text
    assert not any(e.kind == "call" and e.data["op"] == "topup" for e in events)
    r = await phone.send("Y")
    assert "当前余额70.00元" in r.text
    poor = Phone(engine, "ussd", msisdn=POOR, call="p")
    await poor.dial()
    for key in ("4", "3", "246810"):
        await poor.send(key)
    r = await poor.send("1")
    assert r.text == "余额不足，请充值后再订购。"


async def test_confirm_expires_after_five_minutes() -> None:
    clock = ManualClock()
    engine, _, events = engine_for("flows", clock=clock)
    phone = Phone(engine, "sms")
    await phone.send("CZ")
    await phone.send("30")
    await phone.send("123456")
    clock.advance(301)
    r = await phone.send("是")
    assert r.text == "本次业务未办理。"  # one message: the flow's cancel state, not the engine's too
    assert not any(e.kind == "call" and e.data["op"] == "topup" for e in events)


async def test_language_switch_persists_for_next_session() -> None:
    engine, _, _ = engine_for("flows")
    phone = Phone(engine, "sms", msisdn=ZH)
    r = await phone.send("EN")
    assert r.text.startswith("Welcome to 10086")
    r = await Phone(engine, "sms", msisdn=ZH, call="x").send("YE")
    assert r.text.startswith("Your balance is 50.00 yuan.")
