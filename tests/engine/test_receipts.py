"""SMS receipts with order numbers after business on USSD and IVR, and the IVR's busy SMS (遇忙短信)."""

from __future__ import annotations

import time
from pathlib import Path

from engine.backend.catalogue import OPERATIONS
from engine.backend.demo import DemoBackend
from engine.clock import ManualClock
from engine.flow.templates import compile_template
from engine.ports.backend import CallContext
from tests.engine.helpers import ZH, Phone, engine_for, write_flow


async def subscribe_ll5(phone: Phone) -> None:
    await phone.dial()
    for key in ("4", "1", "123456", "1" if phone.channel == "ivr" else "是"):
        await phone.send(key)


def test_every_receipt_template_compiles_in_both_languages() -> None:
    with_receipt = {name: info.receipt for name, info in OPERATIONS.items() if info.receipt}
    assert set(with_receipt) == {"subscribe", "unsubscribe", "topup", "redeem_points"}
    for receipt in with_receipt.values():
        assert set(receipt) == {"zh", "en"}
        for source in receipt.values():
            compile_template(source)


async def test_receipt_by_sms_after_a_subscription_on_ussd_and_ivr() -> None:
    engine, _, events = engine_for("flows")
    ussd = Phone(engine, "ussd", call="u")
    await subscribe_ll5(ussd)
    ivr = Phone(engine, "ivr", call="i")
    await ivr.dial()
    for key in ("5", "1", "20", "123456", "1"):  # more services, top-up, 20 yuan, password, confirm
        await ivr.send(key)
    for phone in (ussd, ivr):
        assert [(p.channel, p.msisdn) for p in phone.pushes] == [("sms", ZH)]
    receipts = [e.data for e in events if e.kind == "receipt"]
    assert [r["op"] for r in receipts] == ["subscribe", "topup"]
    assert receipts[0]["order"] != receipts[1]["order"] and receipts[0]["order"].startswith("DD")
    pushed = [e.data["text"] for e in events if e.kind == "push"]
    assert pushed[0] == f"【10086】您已成功订购5元100MB流量包，5.00元/月，订单号{receipts[0]['order']}。"
    assert pushed[1].startswith("【10086】您已成功充值20.00元，当前余额65.00元，订单号DD")


async def test_no_receipt_on_sms_nor_when_nothing_was_done() -> None:
    engine, _, events = engine_for("flows")
    sms = Phone(engine, "sms")
    for text in ("TC", "1", "123456", "是"):
        await sms.send(text)
    assert "订购成功" in sms.last[0].text and not sms.pushes  # on SMS the answer is the receipt
    ussd = Phone(engine, "ussd", call="u")
    await subscribe_ll5(ussd)  # already subscribed: nothing done, nothing to confirm by SMS
    assert "无需重复订购" in ussd.last[0].text and not ussd.pushes
    assert not [e for e in events if e.kind == "receipt"]


async def test_demo_orders_are_numbered_per_business_done() -> None:
    backend = DemoBackend(clock=ManualClock())
    ctx = CallContext(ZH, "ussd", "s")
    first = await backend.call("subscribe", {"code": "NEWS3"}, ctx)
    again = await backend.call("subscribe", {"code": "NEWS3"}, ctx)
    gone = await backend.call("unsubscribe", {"code": "NEWS3"}, ctx)
    assert first["order"].startswith("DD") and not again["order"] and gone["order"] > first["order"]
    assert "order" not in await backend.call("balance", {}, ctx)


def closed_hours(now: float) -> str:
    """A one-hour agent window that does not contain ``now`` (server local time, as the engine reads it)."""
    hour = (time.localtime(now).tm_hour + 2) % 24
    return f"{hour:02d}:00-{hour:02d}:59"


def agent_flow(tmp_path: Path, hours: str, extra: str = "") -> str:
    return str(write_flow(tmp_path, f"""\
        flow: hot
        title: hotline
        version: 1
        entry: main
        agent: {{target: q1, hours: "{hours}"}}
        navigation: {{ivr: {{agent: ["0"]}}}}
        triggers: {{ivr: [{{code: "10086"}}], ussd: [{{code: "*1#"}}]}}
        {extra}
        states:
          main:
            type: menu
            text: hi
            options: [{{label: one, goto: bye}}]
          bye: {{type: end, text: bye}}
        """))


async def test_busy_sms_when_the_agent_queue_is_closed(tmp_path: Path) -> None:
    clock = ManualClock()
    engine, _, _ = engine_for(agent_flow(tmp_path, closed_hours(clock.now())), clock=clock)
    phone = Phone(engine, "ivr")
    await phone.dial()
    reply = await phone.send("0")
    assert "人工服务时间为" in reply.text and reply.transfer is None
    assert len(phone.pushes) == 1 and phone.pushes[0].channel == "sms"
    assert "发送YE查话费" in phone.pushes[0].text and "*100#" in phone.pushes[0].text


async def test_no_busy_sms_when_agents_are_open_or_the_flow_turns_it_off(tmp_path: Path) -> None:
    clock = ManualClock()
    engine, _, _ = engine_for(agent_flow(tmp_path, "00:00-23:59"), clock=clock)
    phone = Phone(engine, "ivr")
    await phone.dial()
    assert (await phone.send("0")).transfer is not None and not phone.pushes
    off = tmp_path / "off"
    off.mkdir()
    engine, _, _ = engine_for(agent_flow(off, closed_hours(clock.now()), "messages: {agent_busy_sms: ''}"),
                              clock=clock)
    phone = Phone(engine, "ivr")
    await phone.dial()
    assert "人工服务时间为" in (await phone.send("0")).text and not phone.pushes
