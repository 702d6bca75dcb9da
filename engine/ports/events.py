"""What the engine tells observers: metrics, the simulator's side panel, transcripts.

The engine itself does no I/O; observers decide what to do with these. Secret
values are masked before an event is built, so no observer can leak them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

MASK = "******"


@dataclass(frozen=True, slots=True)
class EngineEvent:
    #: ``session`` (begin), ``state``, ``input``, ``call``, ``push``, ``end``, and ``failed``
    #: (an input answered "busy": ``data["reason"]`` is ``busy``, ``stale``, ``store`` or ``error``).
    #: Marketing and service: ``offer_shown``/``offer_accepted``/``offer_declined`` (``offer``, ``package``,
    #: ``touchpoint``), ``survey_asked``/``survey_answer``/``survey_skipped`` (``survey``; ``answer``, ``value``),
    #: ``receipt`` (``op``, ``order``, ``ok``) and ``epoints`` (``op``, ``points``).
    kind: str
    session_key: str
    channel: str
    flow: str = ""
    version: int = 0
    state: str = ""
    data: dict[str, Any] = field(default_factory=dict)


Observer = Callable[[EngineEvent], None]
