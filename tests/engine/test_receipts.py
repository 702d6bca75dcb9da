"""SMS receipts with order numbers after business on USSD and IVR, and the IVR's busy SMS (遇忙短信)."""

from __future__ import annotations

import time
from pathlib import Path

from engine.backend.catalogue import OPERATIONS
from engine.backend.demo import DemoBackend
from engine.clock import ManualClock
from engine.flow.channels import sms_segments
from engine.flow.templates import compile_template
from engine.ports.backend import CallContext
from engine.run.build import load_registry
from engine.run.engine import REPORT_GRACE
from engine.types import Reply, Transfer
from tests.engine.helpers import EN, ZH, Phone, engine_for, write_flow


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


def agent_flow(tmp_path: Path, hours: str, extra: str = "", agent: str = "", states: str = "") -> str:
    return str(write_flow(tmp_path, f"""\
        flow: hot
        title: hotline
        version: 1
        entry: main
        agent: {{target: q1, hours: "{hours}"{agent}}}
        navigation: {{ivr: {{agent: ["0"]}}}}
        triggers: {{ivr: [{{code: "10086"}}], ussd: [{{code: "*1#"}}]}}
        {extra}
        states:
          main:
            type: menu
            text: hi
            options: [{{label: one, goto: {"sub" if states else "bye"}}}]
          bye: {{type: end, text: bye}}
          {states}
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


def waiting_flow(tmp_path: Path, extra: str = "", states: str = "") -> str:
    """A hotline whose agents are always open but may keep a caller waiting at most 120 s."""
    return agent_flow(tmp_path, "00:00-23:59", extra, ", max_wait: 120", states)


async def queue(phone: Phone) -> Reply:
    """Dial and press 0: handed to the agents with the flow's wait threshold."""
    await phone.dial()
    reply = await phone.send("0")
    assert reply.transfer == Transfer("q1", max_wait=120) and reply.end and not phone.pushes
    return reply


async def test_busy_sms_when_no_agent_answers_within_the_wait(tmp_path: Path) -> None:
    engine, clock, events = engine_for(waiting_flow(tmp_path))
    phone = Phone(engine, "ivr")
    await queue(phone)
    clock.advance(130)
    reply = await phone.send("timeout", "transfer_result")
    assert reply.text == "坐席繁忙，已短信告知您自助办理方式，再见。" and reply.end and reply.transfer is None
    assert reply.audio == ("hot/msg/agent_busy",)
    assert [(p.channel, p.msisdn, p.push) for p in phone.pushes] == [("sms", ZH, True)]
    assert phone.pushes[0].text == ("【10086】抱歉，坐席繁忙，您已等待2分钟。您可随时自助办理：发送YE查话费、"
                                    "CXLL查流量、CD看菜单到10086，或拨打*100#。")
    unreached = [e for e in events if e.kind == "agent_unavailable"]
    assert [e.data for e in unreached] == [{"reason": "timeout", "waited": 130, "target": "q1"}]
    began = next(e for e in events if e.kind == "session")
    assert (unreached[0].msisdn, unreached[0].channel, unreached[0].started) == (ZH, "ivr", began.at)
    # one session, one end: the transfer ended it; the report only used its ticket
    assert [e.data["reason"] for e in events if e.kind == "end"] == ["transfer"]
    assert await engine.store.get("ivr:c1") is None


def test_the_busy_sms_after_a_wait_is_one_message_for_any_threshold() -> None:
    """A busy SMS in two parts may arrive out of order or half: it fits one even at the longest wait,
    600 s plus the ticket's grace (12 minutes), in both languages."""
    flow = load_registry("flows").current["10086"]
    for locale in ("zh", "en"):
        for minutes in (0, 2, (600 + int(REPORT_GRACE)) // 60):
            text = flow.message("agent_wait_sms", "sms", locale, {"minutes": minutes})
            assert sms_segments(text)[1] == 1, (locale, minutes, text)
    assert flow.message("agent_wait_sms", "sms", "zh", {"minutes": 12}).count("12分钟") == 1


def test_the_closed_hours_sms_is_one_message() -> None:
    """At 72 characters the Chinese text went out in two parts; the longest hours string is 11 characters."""
    flow = load_registry("flows").current["10086"]
    for locale in ("zh", "en"):
        text = flow.message("agent_busy_sms", "sms", locale, {"hours": "08:00-22:00"})
        assert sms_segments(text)[1] == 1, (locale, text)


async def test_each_way_of_reaching_no_agent_gets_the_sms_once_in_the_callers_language(tmp_path: Path) -> None:
    engine, _, events = engine_for(waiting_flow(tmp_path))
    for i, reason in enumerate(("full", "no_agents", "busy", "failed")):
        phone = Phone(engine, "ivr", msisdn=EN, call=f"c{i}")
        await phone.dial()
        await phone.send("9")  # an invalid key first: the transfer comes from a later turn
        assert (await phone.send("0")).transfer is not None
        reply = await phone.send(reason, "transfer_result")
        assert reply.text == "All our agents are busy. We have sent you a text with self-service options. Goodbye."
        assert phone.pushes[0].text.startswith("[10086] Sorry, our agents were busy. Self-service any time")
        again = await phone.send(reason, "transfer_result")  # a platform retrying its callback
        assert again.text == "" and again.end and not phone.pushes
    assert [e.data["reason"] for e in events if e.kind == "agent_unavailable"] == ["full", "no_agents", "busy",
                                                                                    "failed"]


async def test_no_sms_when_an_agent_answers_or_the_caller_hangs_up_in_the_queue(tmp_path: Path) -> None:
    engine, _, events = engine_for(waiting_flow(tmp_path))
    answered = Phone(engine, "ivr", call="a")
    await queue(answered)
    reply = await answered.send("answered", "transfer_result")
    assert reply.text == "" and reply.end and not answered.pushes
    assert await engine.store.get("ivr:a") is None
    gone = Phone(engine, "ivr", call="g")
    await queue(gone)
    assert (await gone.send("", "end")).text == ""
    assert await engine.store.get("ivr:g") is None
    late = await gone.send("timeout", "transfer_result")  # a report after the hang-up closed the ticket
    assert late.text == "" and not gone.pushes
    assert not [e for e in events if e.kind == "agent_unavailable"]
    assert [e.data["reason"] for e in events if e.kind == "end"] == ["transfer", "transfer"]


async def test_a_report_needs_a_transfer_that_asked_for_one(tmp_path: Path) -> None:
    """A forged or misrouted report cannot make the engine text anyone: only a ticket answers one."""
    engine, clock, _ = engine_for(agent_flow(tmp_path, "00:00-23:59"))  # no max_wait: nothing to report
    phone = Phone(engine, "ivr")
    await phone.dial()
    assert (await phone.send("0")).transfer == Transfer("q1")
    assert await engine.store.get("ivr:c1") is None
    assert (await phone.send("timeout", "transfer_result")).text == "" and not phone.pushes
    waiting = tmp_path / "waiting"
    waiting.mkdir()
    engine, clock, _ = engine_for(waiting_flow(waiting), clock=clock)
    menu = Phone(engine, "ivr", call="m")
    await menu.dial()
    assert (await menu.send("timeout", "transfer_result")).text == "" and not menu.pushes
    assert (await menu.send("1")).text == "bye"  # the menu still waits: the stray report changed nothing
    queued = Phone(engine, "ivr", call="q")
    await queue(queued)
    assert (await queued.send("timeout")).text == "" and not queued.pushes  # an input is no report
    assert await engine.store.get("ivr:q") is None
    expired = Phone(engine, "ivr", call="x")
    await queue(expired)
    clock.advance(120 + REPORT_GRACE + 1)  # the ticket lives max_wait + the grace, then the store drops it
    assert (await expired.send("timeout", "transfer_result")).text == "" and not expired.pushes


async def test_the_busy_sms_after_a_wait_can_be_reworded_or_turned_off(tmp_path: Path) -> None:
    custom = waiting_flow(tmp_path, "messages: {agent_wait_sms: '久等了{{ waited }}秒（{{ reason }}），回复YE查话费'}")
    engine, clock, _ = engine_for(custom)
    phone = Phone(engine, "ivr")
    await queue(phone)
    clock.advance(45)
    await phone.send("timeout", "transfer_result")
    assert [p.text for p in phone.pushes] == ["久等了45秒（timeout），回复YE查话费"]
    off = tmp_path / "off"
    off.mkdir()
    engine, _, _ = engine_for(waiting_flow(off, "messages: {agent_wait_sms: ''}"))
    phone = Phone(engine, "ivr")
    await queue(phone)
    reply = await phone.send("timeout", "transfer_result")
    assert reply.text == "坐席繁忙，请稍后再拨，再见。" and not phone.pushes  # it does not claim an SMS was sent
    withheld = Phone(engine, "ivr", msisdn="", call="w")
    await queue(withheld)
    assert (await withheld.send("busy", "transfer_result")).text == "坐席繁忙，请稍后再拨，再见。"
    assert not withheld.pushes


async def test_a_subflow_caller_is_held_to_the_outer_flows_threshold(tmp_path: Path) -> None:
    outer = waiting_flow(tmp_path, states="sub: {type: subflow, flow: inner, goto: bye}")
    write_flow(tmp_path, """\
        flow: inner
        title: inner
        version: 1
        entry: ask
        navigation: {ivr: {agent: ["0"]}}
        states:
          ask:
            type: menu
            text: inner
            options: [{label: back, goto: done}]
          done: {type: return}
        """, "inner.yaml")
    engine, _, _ = engine_for([outer, str(tmp_path / "inner.yaml")])
    phone = Phone(engine, "ivr")
    await phone.dial()
    assert (await phone.send("1")).text.startswith("inner")
    assert (await phone.send("0")).transfer == Transfer("q1", max_wait=120)
    assert (await phone.send("full", "transfer_result")).text.startswith("坐席繁忙，已短信告知")
    assert len(phone.pushes) == 1
