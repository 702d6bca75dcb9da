"""Offers at touchpoints: the demo backend's rules and limits, and the ``offer`` state on each channel."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.backend.demo import DemoBackend
from engine.backend.demo_offers import OfferPolicy
from engine.clock import ManualClock
from engine.ports.backend import BackendUnavailable, CallContext
from engine.types import Channel
from tests.engine.helpers import EN, POOR, ZH, Phone, engine_for, write_flow

DAY = 86400.0


def ctx(msisdn: str = ZH, channel: str = "sms") -> CallContext:
    return CallContext(msisdn, channel, "s1")


async def pick(backend: DemoBackend, msisdn: str = ZH, channel: str = "sms", touchpoint: str = "balance") -> str:
    data = await backend.call("offers", {"touchpoint": touchpoint}, ctx(msisdn, channel))
    return data["offer"]["id"] if data["offer"] else data["reason"]


# -- the rules, in the backend -----------------------------------------------------------
async def test_rules_pick_by_plan_usage_balance_and_touchpoint() -> None:
    backend = DemoBackend(clock=ManualClock())
    assert await pick(backend) == "DATA300"  # CX58 plan, 35 % of data used, 50 yuan
    assert await pick(backend, EN) == "none_fits"  # 20 % used: no data offer
    assert await pick(backend, POOR) == "none_fits"  # 0.80 yuan cannot pay 10
    assert await pick(backend, touchpoint="topup") == "none_fits"


async def test_segment_and_priority_and_already_subscribed() -> None:
    backend = DemoBackend(clock=ManualClock())
    backend._db.execute("INSERT INTO segments VALUES (?, 'video_fan')", (EN,))
    assert await pick(backend, EN) == "VIDEO"
    await backend.call("subscribe", {"code": "LL10"}, ctx())
    assert await pick(backend) == "none_fits"  # has the pack: never offered what one already has


async def test_weekly_cap_counts_impressions_of_all_offers() -> None:
    clock = ManualClock()
    backend = DemoBackend(clock=clock)
    assert [await pick(backend) for _ in range(3)] == ["DATA300", "DATA300", "weekly_cap"]
    clock.advance(7 * DAY + 1)
    assert await pick(backend) == "DATA300"


async def test_never_again_within_the_period_after_a_decline() -> None:
    clock = ManualClock()
    backend = DemoBackend(clock=clock)
    backend.set_offer_policy(OfferPolicy(per_week=100, decline_days=30))
    assert await pick(backend) == "DATA300"
    await backend.call("offer_reply", {"offer": "DATA300", "outcome": "declined"}, ctx())
    clock.advance(29 * DAY)
    assert await pick(backend) == "none_fits"
    clock.advance(DAY + 1)
    assert await pick(backend) == "DATA300"


async def test_channel_switch_and_bad_replies() -> None:
    backend = DemoBackend(clock=ManualClock())
    backend.set_offer_policy(OfferPolicy(channels=("sms",)))
    assert await pick(backend, channel="ivr") == "channel_off"
    assert await pick(backend, channel="sms") == "DATA300"
    for params, code in (({"offer": "DATA300", "outcome": "maybe"}, "INVALID_OUTCOME"),
                         ({"offer": "NOPE", "outcome": "declined"}, "UNKNOWN_OFFER")):
        with pytest.raises(Exception) as info:
            await backend.call("offer_reply", params, ctx())
        assert getattr(info.value, "code", "") == code


# -- the state, in the demo flow -----------------------------------------------------------
async def balance(phone: Phone) -> str:
    if phone.channel == "sms":
        return (await phone.send("YE")).text
    await phone.dial()
    return (await phone.send("1")).text


@pytest.mark.parametrize(("channel", "form", "accept"), [
    ("sms", "回复KT开通10元300MB流量包（10.00元/月）。", "kt"),
    ("ussd", "为您推荐：10元300MB流量包，10.00元/月\n1. 立即开通\n2. 不需要", "1"),
    ("ivr", "为您推荐10元300MB流量包，每月10.00元，办理请按1，不需要请按2。", "1"),
])
async def test_offer_shown_in_the_channel_form_and_accepted_through_password_and_confirm(
        channel: Channel, form: str, accept: str) -> None:
    engine, _, events = engine_for("flows")
    phone = Phone(engine, channel)
    text = await balance(phone)
    assert text.startswith("尊敬的客户，您的账户余额为50.00元。") and text.endswith(form)
    assert "服务密码" in (await phone.send(accept)).text
    assert "您将订购10元300MB流量包" in (await phone.send("123456")).text
    assert "订购成功" in (await phone.send("1" if channel == "ivr" else "是")).text
    kinds = [(e.kind, e.data.get("offer")) for e in events if e.kind.startswith("offer")]
    assert kinds == [("offer_shown", "DATA300"), ("offer_accepted", "DATA300")]
    assert [e.data["op"] for e in events if e.kind == "call"][-1] == "subscribe"


async def test_decline_is_recorded_and_the_offer_stays_away() -> None:
    engine, _, events = engine_for("flows")
    phone = Phone(engine, "sms")
    await phone.send("YE")
    assert (await phone.send("不要")).text == "回复CD查看更多业务。"  # anything but the code or a yes
    assert "回复KT" not in await balance(Phone(engine, "sms", call="again"))
    assert [e.kind for e in events if e.kind.startswith("offer")] == ["offer_shown", "offer_declined"]


async def test_a_plain_yes_on_sms_accepts_too() -> None:
    engine, _, events = engine_for("flows")
    phone = Phone(engine, "sms")
    await phone.send("YE")
    assert "服务密码" in (await phone.send("是")).text
    assert [e.kind for e in events if e.kind.startswith("offer")] == ["offer_shown", "offer_accepted"]


async def test_an_sms_keyword_still_starts_its_business_while_an_offer_waits() -> None:
    engine, _, events = engine_for("flows")
    phone = Phone(engine, "sms")
    await phone.send("YE")
    assert "账单合计" in (await phone.send("ZD")).text
    assert not [e for e in events if e.kind in ("offer_accepted", "offer_declined")]


async def test_ivr_silence_moves_on_without_an_agent() -> None:
    engine, _, _ = engine_for("flows")
    phone = Phone(engine, "ivr")
    await balance(phone)
    for _ in range(3):
        reply = await phone.send("", event="noinput")
    assert "返回主菜单请按1" in reply.text and phone.last[0].transfer is None


async def test_failing_backend_or_switched_off_channel_skip_the_offer(tmp_path: Path) -> None:
    backend = DemoBackend(clock=ManualClock())
    backend.inject("offers", BackendUnavailable("down"))
    engine, _, events = engine_for("flows", backend)
    assert (await Phone(engine, "sms").send("YE")).text == "尊敬的客户，您的账户余额为50.00元。\n回复CD查看更多业务。"
    assert [e.data["ok"] for e in events if e.kind == "call" and e.data["op"] == "offers"] == [False]
    flow = write_flow(tmp_path, """\
        flow: t
        title: t
        version: 1
        entry: o
        triggers: {sms: [{keywords: [GO]}]}
        states:
          o: {type: offer, touchpoint: balance, accept: yes, goto: no, channels: [ussd]}
          "yes": {type: end, text: taken}
          "no": {type: end, text: none}
        """)
    engine, _, _ = engine_for(str(flow))
    assert (await Phone(engine, "sms", to="GO").send("GO")).text == "none"
