"""``survey``: one question with numbered answers after a completed service (满意请回复1…), a poll or a quiz.

The answer is an event (``survey_answer`` with the survey id, the answer key
and its label), so results land in the event log with everything else and no
flow needs a backend operation to count votes. A survey never holds the
subscriber: an answer outside the list, silence or an SMS keyword simply go on
(``survey_skipped`` when something was typed). After an answer the built-in
``survey_thanks`` is said.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

from pydantic import Field

from engine.flow.diagnostics import Diagnostic
from engine.flow.model import CompiledFlow, Edge, Node, StateKind, Turn
from engine.flow.spec import StateRef, StateSpec, Text
from engine.states.message import sms_fit
from engine.types import Wait


class SurveyState(StateSpec):
    """Ask one question; the answer becomes a ``survey_answer`` event; then go on.

    Example::

        satisfaction:
          type: survey
          survey: csat_topup
          text: {zh: "满意请回复1，一般请回复2，不满意请回复3。", en: "Happy? Reply 1 yes, 2 so-so, 3 no."}
          answers: {"1": satisfied, "2": neutral, "3": unsatisfied}
          goto: after_query
    """

    type: Literal["survey"]
    survey: str = Field(pattern=r"^[A-Za-z0-9_.-]+$", description="Survey id the results are reported under")
    text: Text = Field(description="The question, with the answer keys")
    answers: dict[str, str] = Field(min_length=1, description="Answer key (what the subscriber sends) → "
                                    "the value reported")
    goto: StateRef = Field(description="Where any answer, or none, leads")


class Survey(StateKind[SurveyState]):
    model = SurveyState
    waiting = True

    def edges(self, name: str, spec: SurveyState) -> Iterator[Edge]:
        yield Edge(("states", name, "goto"), spec.goto, "answered / skipped")

    def lint(self, flow: CompiledFlow, node: Node[SurveyState]) -> Iterator[Diagnostic]:
        return sms_fit(flow, node)

    async def enter(self, turn: Turn, node: Node[SurveyState]) -> str | None:
        turn.emit("survey_asked", survey=node.spec.survey)
        self.prompt(turn, node)
        return None

    def prompt(self, turn: Turn, node: Node[SurveyState]) -> None:
        turn.say_node(node)
        # pragma: no mutate start (equivalent: "choice" is the default kind of Wait)
        turn.wait = Wait("choice", max_digits=max(len(k) for k in node.spec.answers))
        # pragma: no mutate end

    async def feed(self, turn: Turn, node: Node[SurveyState], text: str) -> None:
        st = node.spec
        answers = {k.upper(): v for k, v in st.answers.items()}
        value = answers.get(text.upper())
        if value is None:
            turn.emit("survey_skipped", survey=st.survey)
        else:
            turn.emit("survey_answer", survey=st.survey, answer=text.upper(), value=value)
            turn.say_msg("survey_thanks")  # a flow words it under ``messages:``
        await turn.goto(st.goto)

    async def give_up(self, turn: Turn, node: Node[SurveyState]) -> None:
        """Silence is no answer, not a reason for an agent."""
        await turn.goto(node.spec.goto)


KIND = Survey()
