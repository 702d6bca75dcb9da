"""What the engine tells observers: metrics, the event log, the simulator's side panel, transcripts.

The engine itself does no I/O; observers decide what to do with these. Secret
values are masked before an event is built, so no observer can leak them.

Event kinds and their ``data``:

- ``session``: a session began (at ``state``, the flow's entry or a shortcut's target).
- ``state``: a state was entered.
- ``input``: the subscriber answered (``text``, masked for secret inputs; ``event``).
- ``invalid`` (``count``, ``text``: the input that did not match) and ``noinput`` (``count``).
- ``confirm_asked`` (a confirmation window opened) and ``confirm_answered`` (``answer``: ``yes``,
  ``no``, ``expired`` or ``gave_up``).
- ``call``: a backend operation (``op``, ``category``, ``business``, ``ok``, ``ms``; on failure
  ``failure`` = business / timeout / unavailable and ``code``; ``params``/``result`` masked).
- ``push``: an SMS sent to the subscriber (``text``, masked).
- ``transfer``: handed to an agent (``target``).
- ``offer_shown`` / ``offer_accepted`` (``offer``: its code): a marketing offer at a touchpoint.
- ``rating`` (``survey``, ``score``): a satisfaction answer.
- ``end`` (``reason``): ``done``, ``transfer``, ``abort`` (the subscriber hung up or the gateway
  released the dialog) or ``replaced`` (a new dial or an SMS keyword superseded it). A session that
  expires in the store ends without an event: readers derive "timed out" from its silence.
- ``failed``: an input answered "busy" (``reason``: ``busy``, ``stale``, ``store`` or ``error``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

MASK = "******"


@dataclass(frozen=True, slots=True)
class EngineEvent:
    kind: str
    session_key: str
    channel: str
    flow: str = ""
    version: int = 0
    state: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    #: The subscriber (E.164 digits); empty when no session was found.
    msisdn: str = ""
    #: When it happened, on the engine's clock (epoch seconds).
    at: float = 0.0
    #: When the session began: with ``session_key`` it names one session (keys are reused).
    started: float = 0.0


Observer = Callable[[EngineEvent], None]
