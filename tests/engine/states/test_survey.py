"""``survey``: one question, the answer as an event (or a skip), thanks, and on to ``goto``."""

from __future__ import annotations

from engine.flow.model import Edge
from engine.types import Wait
from tests.engine.states.kit import Kit, compile_states

STATES = """
main:
  type: survey
  survey: csat
  text: {zh: 满意吗？回复1或10, en: "Happy? 1 or 10"}
  answers: {"1": yes, "10": "no", "a": maybe}
  goto: after
after: {type: end, text: 好}
"""


async def test_the_question_waits_for_a_choice_as_long_as_the_longest_key() -> None:
    kit = Kit(compile_states(STATES))
    r = await kit.phone("ivr").dial()
    assert r.text == "满意吗？回复1或10" and r.wait == Wait("choice", max_digits=2)
    assert [e.data for e in kit.of("survey_asked")] == [{"survey": "csat"}]


async def test_an_answer_is_reported_with_its_value_and_thanked_for() -> None:
    kit = Kit(compile_states(STATES))
    phone = kit.phone("sms")
    await phone.send("GO")
    assert (await phone.send("A")).text == "感谢您的评价！\n好"  # keys match in any case
    assert [e.data for e in kit.of("survey_answer")] == [{"survey": "csat", "answer": "A", "value": "maybe"}]


async def test_anything_else_is_a_skip_and_goes_on_quietly() -> None:
    kit = Kit(compile_states(STATES))
    phone = kit.phone("ussd")
    await phone.dial()
    assert (await phone.send("5")).text == "好"
    assert [e.data for e in kit.of("survey_skipped")] == [{"survey": "csat"}] and not kit.of("survey_answer")


def test_declarations() -> None:
    f = compile_states(STATES)
    node = f.nodes["main"]
    assert list(node.kind.edges("main", node.spec)) == [Edge(("states", "main", "goto"), "after", "answered / skipped")]
