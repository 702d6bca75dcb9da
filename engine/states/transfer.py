"""``transfer``: to a human agent on the IVR; elsewhere the text says how to reach one.

On SMS and USSD there is no one to transfer to, so the state's own text for
that channel (or the built-in "call 10086") is said and the session ends.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from engine.flow.model import Node, StateKind, Turn
from engine.flow.spec import StateSpec, Text


class TransferState(StateSpec):
    """To a human agent on IVR; elsewhere the text says how to reach one.

    Example::

        agent:
          type: transfer
          target: queue-10086
          text: {zh: 正在为您转接人工服务, en: Connecting you to an agent}
    """

    type: Literal["transfer"]
    target: str = Field(description="Agent queue or number (IVR)")
    text: Text = Field(description="Said on IVR before the transfer; on SMS/USSD its own channel text, "
                                   "else the built-in \"call 10086\"")


class TransferKind(StateKind[TransferState]):
    model = TransferState
    shape = ("([", "])", "house")

    def ends(self, spec: TransferState) -> bool:
        return True

    async def enter(self, turn: Turn, node: Node[TransferState]) -> str | None:
        turn.transfer(node.spec.target, node)
        return None


KIND = TransferKind()
