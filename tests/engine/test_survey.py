"""Surveys: a question after a completed service whose answers are events, never a trap."""

from __future__ import annotations

from pathlib import Path

from tests.engine.helpers import Phone, engine_for, write_flow

POLL = """\
flow: poll
title: poll
version: 1
entry: ask
triggers: {sms: [{keywords: [VOTE]}], ussd: [{code: "*2#"}], ivr: [{code: "2"}]}
messages: {survey_thanks: {zh: 已记录。, en: Noted.}}
states:
  ask:
    type: survey
    survey: fav_pack
    text: {zh: 您最想要哪种套餐？A流量 B通话, en: "Which pack? A data, B voice"}
    answers: {A: data, B: voice}
    goto: done
  done: {type: end, text: {zh: 再见, en: Bye}}
"""


async def test_answer_is_an_event_thanked_with_the_flows_wording(tmp_path: Path) -> None:
    engine, _, events = engine_for(str(write_flow(tmp_path, POLL)))
    phone = Phone(engine, "sms", to="VOTE")
    assert (await phone.send("VOTE")).text == "您最想要哪种套餐？A流量 B通话"
    assert (await phone.send("b")).text == "已记录。\n再见"
    data = [(e.kind, e.data) for e in events if e.kind.startswith("survey")]
    assert data == [("survey_asked", {"survey": "fav_pack"}),
                    ("survey_answer", {"survey": "fav_pack", "answer": "B", "value": "voice"})]


async def test_an_answer_outside_the_list_goes_on_without_thanks(tmp_path: Path) -> None:
    engine, _, events = engine_for(str(write_flow(tmp_path, POLL)))
    phone = Phone(engine, "ussd", to="*2#")
    await phone.dial()
    assert (await phone.send("7")).text == "再见"
    assert [e.kind for e in events if e.kind.startswith("survey")] == ["survey_asked", "survey_skipped"]


async def test_ivr_silence_goes_on_instead_of_to_an_agent() -> None:
    engine, _, events = engine_for("flows")
    phone = Phone(engine, "ivr")
    await phone.dial()
    for key in ("5", "1", "30", "123456", "1"):  # more services, top-up, 30 yuan, password, confirm
        await phone.send(key)
    for _ in range(3):
        reply = await phone.send("", event="noinput")
    assert "返回主菜单请按1" in reply.text and reply.transfer is None
    assert not [e for e in events if e.kind in ("survey_answer", "survey_skipped")]


async def test_demo_satisfaction_after_top_up_on_sms() -> None:
    engine, _, events = engine_for("flows")
    phone = Phone(engine, "sms")
    for text in ("CZ", "20", "123456", "是"):
        reply = await phone.send(text)
    assert reply.text.endswith("对本次服务满意请回复1，一般请回复2，不满意请回复3。")
    assert (await phone.send("YE")).text.startswith("尊敬的客户")  # a keyword still starts its business
    assert [e.kind for e in events if e.kind.startswith("survey")] == ["survey_asked"]
