"""Issue 13 problem 6: confirmations read right on each channel and say one thing on cancel."""

from __future__ import annotations

from pathlib import Path

from tests.engine.helpers import Phone, engine_for, write_flow

FLOW = """\
flow: c
title: {zh: 确认, en: Confirm}
version: 1
entry: ask
triggers:
  sms: [{keywords: [C]}]
  ussd: [{code: "*200#"}]
confirm: {yes: [好, OK, "8"], no: [不], window: 120}
states:
  ask:
    type: confirm
    text: {zh: 确认办理？, en: "Go?"}
    goto: done
    cancel: nope
  done:
    type: end
    text: {zh: 已办理, en: Done}
  nope:
    type: end
    text: {zh: 您已放弃办理。, en: Dropped.}
"""


async def test_sms_hint_lists_every_configured_token(tmp_path: Path) -> None:
    engine, _, _ = engine_for(str(write_flow(tmp_path, FLOW)))
    r = await Phone(engine, "sms").send("C")
    assert r.text == "确认办理？\n回复好/OK/8确认，回复不取消，2分钟内有效。"


async def test_ussd_offers_numbered_choices(tmp_path: Path) -> None:
    engine, _, _ = engine_for(str(write_flow(tmp_path, FLOW)))
    phone = Phone(engine, "ussd", to="*200#")
    assert (await phone.dial()).text == "确认办理？\n1. 确认\n2. 取消"
    assert (await phone.send("1")).text == "已办理"


async def test_cancel_and_expiry_say_only_the_flows_text(tmp_path: Path) -> None:
    engine, clock, _ = engine_for(str(write_flow(tmp_path, FLOW)))
    ussd = Phone(engine, "ussd", to="*200#")
    await ussd.dial()
    assert (await ussd.send("2")).text == "您已放弃办理。"
    sms = Phone(engine, "sms")
    await sms.send("C")
    clock.advance(121)
    assert (await sms.send("好")).text == "您已放弃办理。"
