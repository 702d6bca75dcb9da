"""The one module that uses ``transitions``: build a flow's machine, fire an edge, jump.

One machine per compiled flow version, never one per session: ``add_model``
binds methods per model and costs ~18 KB each. Sessions are fired through
``machine.events[...]`` with ``model=None``, and every state change a turn
makes goes through here, so the edge-name convention lives in one place.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from transitions import Machine

# transitions logs every state change at INFO: one line per input is noise in a server's log.
logging.getLogger("transitions").setLevel(logging.WARNING)


def edge_name(src: str, dst: str) -> str:
    return f"{src}>{dst}"


class FlowMachine:
    """The declared edges of one flow version, fired on session records."""

    __slots__ = ("machine",)

    def __init__(self, states: Iterable[str], initial: str, edges: Iterable[tuple[str, str]]) -> None:
        names = list(states)
        # pragma: no mutate start (equivalent: without a model nothing starts in "initial"; None is as false)
        self.machine = Machine(model=None, states=names, initial=initial, auto_transitions=False,
                               send_event=False, ignore_invalid_triggers=False)
        # pragma: no mutate end
        known = set(names)
        for src, dst in sorted(set(edges)):
            if dst in known:
                self.machine.add_transition(edge_name(src, dst), src, dst)

    def fire(self, session: Any, dest: str) -> None:
        """Move ``session`` along its declared edge to ``dest`` (a missing edge raises)."""
        self.machine.events[edge_name(session.state, dest)].trigger(session)

    def jump(self, session: Any, state: str) -> None:
        """Put ``session`` in ``state`` without an edge: entering or leaving a subflow, main menu."""
        self.machine.set_state(state, model=session)
