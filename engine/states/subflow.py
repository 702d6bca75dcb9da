"""``subflow`` / ``return``: run another flow (the service-password check...) and come back.

The caller's place is pushed on the session's stack; ``return`` pops it and
continues at the calling state's ``goto``. A subflow removed by a reload
while a subscriber is inside it ends the session with "busy", never a crash.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

from pydantic import Field

from engine.flow.diagnostics import Path
from engine.flow.model import JUMP, CompiledFlow, Node, StateKind, Turn
from engine.flow.spec import StateRef, StateSpec, Text


class SubflowState(StateSpec):
    """Run another flow (service-password check...) and come back to ``goto``.

    Example::

        need_auth:
          type: subflow
          flow: auth
          goto: packages
    """

    type: Literal["subflow"]
    flow: str = Field(description="Id of the flow to run")
    goto: StateRef = Field(description="Where to continue after its `return`")


class ReturnState(StateSpec):
    """Back to the state that called this subflow.

    Example::

        done:
          type: return
          text: {zh: 验证成功, en: Verified}
    """

    type: Literal["return"]
    text: Text | None = Field(None, description="Said before going back")


class Subflow(StateKind[SubflowState]):
    model = SubflowState
    leaves_flow = True
    shape = ("[[", "]]", "component")

    def flows_used(self, name: str, spec: SubflowState) -> Iterator[tuple[Path, str]]:
        yield ("states", name, "flow"), spec.flow

    def label(self, flow: CompiledFlow, node: Node[SubflowState]) -> str:
        return f"{node.name}: subflow → {node.spec.flow}"

    async def enter(self, turn: Turn, node: Node[SubflowState]) -> str | None:
        if turn.enter_subflow(node.spec.flow, node.name) is None:
            turn.say_msg("busy")
            turn.end()
            return None
        return JUMP


class Return(StateKind[ReturnState]):
    model = ReturnState
    returns = True

    def ends(self, spec: ReturnState) -> bool:
        return True

    async def enter(self, turn: Turn, node: Node[ReturnState]) -> str | None:
        if node.text is not None:
            turn.say_node(node)
        return turn.leave_subflow()


SUBFLOW = Subflow()
RETURN = Return()
