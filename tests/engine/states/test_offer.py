"""``offer``: one recommendation in the channel's form, the answer routed and recorded, and never in the way.

The demo operator's rules are in ``tests/engine/test_offer.py``; here the backend's
answer is pinned by a fixture, so each test says exactly which offer is shown.
"""

from __future__ import annotations

from typing import Any

import pytest

from engine.flow.model import Edge
from engine.states import offer
from engine.types import Channel
from tests.engine.helpers import EN
from tests.engine.states.kit import Kit, compile_states

STATES = """
main:
  type: offer
  touchpoint: bill
  result: pick
  accept: took
  goto: after
took: {type: end, text: "开通{{ pick.id }}"}
after: {type: end, text: 好的}
"""

FULL = {"id": "DATA300", "package": "LL10", "reply": "KT", "name_zh": "流量包", "name_en": "Data pack",
        "price": "10.00"}


def kit(pick: dict[str, Any] | None = FULL, **fixture: Any) -> Kit:
    answer = fixture or {"result": {"offer": pick}}
    return Kit(compile_states(STATES), fixtures={"offers": answer})


@pytest.mark.parametrize(("channel", "msisdn", "shown"), [
    ("sms", "8613800138000", "回复KT开通流量包（10.00元/月）。"),
    ("ussd", EN, "For you: Data pack, 10.00 yuan/month\n1. Subscribe\n2. No, thanks"),
    ("ivr", "8613800138000", "为您推荐流量包，每月10.00元，办理请按1，不需要请按2。"),
])
async def test_shown_in_the_channel_s_form_and_recorded(channel: Channel, msisdn: str, shown: str) -> None:
    k = kit()
    phone = k.phone(channel, msisdn)
    reply = await (phone.send("GO") if channel == "sms" else phone.dial())
    assert reply.text == shown and not reply.end
    [event] = k.of("offer_shown")
    assert event.data == {"offer": "DATA300", "package": "LL10", "touchpoint": "bill"}


async def test_an_offer_named_in_chinese_only_keeps_that_name_in_english() -> None:
    k = kit({"id": "X", "name_zh": "视频包", "price": 20})
    assert (await k.phone("ussd", EN).dial()).text.startswith("For you: 视频包, 20 yuan/month")


async def test_missing_name_price_and_reply_code_leave_gaps_not_none() -> None:
    k = kit({"id": "X"})
    assert (await k.phone("sms").send("GO")).text == "回复开通（元/月）。"


@pytest.mark.parametrize(("answer", "accepted"), [("kt", True), ("是", True), ("Y", True), ("1", True), ("2", False),
                                                  ("不要", False)])
async def test_on_sms_the_reply_code_or_a_yes_accepts(answer: str, accepted: bool) -> None:
    k = kit()
    phone = k.phone("sms")
    await phone.send("GO")
    assert (await phone.send(answer)).text == ("开通DATA300" if accepted else "好的")
    outcome = "offer_accepted" if accepted else "offer_declined"
    assert [e.data for e in k.of(outcome)] == [{"offer": "DATA300", "package": "LL10", "touchpoint": "bill"}]


@pytest.mark.parametrize("answer", ["", "None", "KT"])
async def test_without_a_reply_code_only_a_yes_accepts(answer: str) -> None:
    k = kit({"id": "X", "name_zh": "包"})
    phone = k.phone("sms")
    await phone.send("GO")
    assert (await phone.send(answer)).text == "好的"
    assert (await phone.send("GO")).text.startswith("回复开通包") and (await phone.send("是")).text == "开通X"


@pytest.mark.parametrize("channel", ["ussd", "ivr"])
async def test_elsewhere_key_1_accepts_and_any_other_declines(channel: Channel) -> None:
    k = kit()
    await k.phone(channel).dial()
    assert (await k.phone(channel).send("1")).text == "开通DATA300"
    await k.phone(channel, call="c2").dial()
    assert (await k.phone(channel, call="c2").send("2")).text == "好的"


async def test_the_answer_stands_when_recording_it_fails() -> None:
    k = kit({"id": "NOT_IN_CATALOGUE", "name_zh": "包"})  # the demo's offer_reply refuses an unknown id
    await k.phone("ussd").dial()
    assert (await k.phone("ussd").send("1")).text == "开通NOT_IN_CATALOGUE"


@pytest.mark.parametrize("pick", [None, {"name_zh": "无编号"}, {"id": ""}, "DATA300"])
async def test_no_usable_offer_goes_straight_on(pick: Any) -> None:
    k = kit(pick)
    assert (await k.phone("sms").send("GO")).text == "好的" and not k.of("offer_shown")


async def test_a_failing_backend_is_a_failed_call_event_and_the_flow_goes_on() -> None:
    k = kit(fail="business", code="CAP")
    assert (await k.phone("sms").send("GO")).text == "好的"
    [call] = k.of("call")
    ms = call.data.pop("ms")
    assert call.data == {"op": "offers", "params": {"touchpoint": "bill"}, "ok": False, "failure": "business",
                         "code": "CAP"}
    assert isinstance(ms, float) and 0 <= ms < 1000


def test_declarations() -> None:
    f = compile_states(STATES)
    node, k = f.nodes["main"], offer.KIND
    assert list(k.edges("main", node.spec)) == [Edge(("states", "main", "accept"), "took", "accepted"),
                                                Edge(("states", "main", "goto"), "after", "no offer / declined")]
    assert list(k.defines("main", node.spec)) == [(("states", "main", "result"), "pick")]
    assert k.operation(node.spec) == "offers" and k.label(f, node) == "main: offer at bill"
