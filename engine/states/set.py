"""``set``: assign variables from templates; ``locale`` switches the session's language.

Rendered values ``true``/``false`` become booleans, so ``{% if ... %}`` and
``when:`` conditions read them as a flow author expects rather than as
non-empty (always true) strings.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Literal

from pydantic import Field

from engine.flow.building import Building
from engine.flow.diagnostics import Path
from engine.flow.model import Node, StateKind, Turn
from engine.flow.spec import StateRef, StateSpec

TRUE, FALSE = frozenset({"true", "True"}), frozenset({"false", "False"})


class SetState(StateSpec):
    """Assign variables from templates; ``locale`` switches the session language.

    Example::

        to_english:
          type: set
          vars: {locale: en}
          goto: main
    """

    type: Literal["set"]
    vars: dict[str, str | int | float | bool] = Field(description="Variable → template; `locale` switches the language")
    goto: StateRef


def typed(value: str) -> Any:
    """``true``/``false`` as booleans; anything else stays text."""
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    return value


class Set(StateKind[SetState]):
    model = SetState

    def templates(self, name: str, spec: SetState) -> Iterator[tuple[Path, str]]:
        for key, value in spec.vars.items():
            if isinstance(value, str):
                yield ("states", name, "vars", key), value

    def defines(self, name: str, spec: SetState) -> Iterator[tuple[Path, str]]:
        for key in spec.vars:
            yield ("states", name, "vars", key), key

    def compile(self, b: Building, name: str, spec: SetState) -> Node[SetState]:
        params = {k: b.template(("states", name, "vars", k), v) for k, v in spec.vars.items()}
        return Node(name, self, spec, params=params, edges=self.targets(name, spec), static=True)

    async def enter(self, turn: Turn, node: Node[SetState]) -> str | None:
        ctx = turn.ctx()
        for key, tpl in node.params.items():
            value = typed(tpl.render(ctx))
            if key == "locale":
                turn.set_locale(str(value))
                continue
            turn.session.vars[key] = value
        turn.changed()
        return node.spec.goto


KIND = Set()
