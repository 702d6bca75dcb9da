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
- ``agent_unavailable``: the IVR reported that a caller handed to agents with a wait threshold reached
  none (``reason``: ``timeout``, ``full``, ``no_agents``, ``busy`` or ``failed``; ``waited``: whole
  seconds since the transfer; ``target``). It follows the session's ``end`` (reason ``transfer``).
- ``offer_shown`` / ``offer_accepted`` (``offer``: its code): a marketing offer at a touchpoint.
- ``rating`` (``survey``, ``score``): a satisfaction answer.
- ``end`` (``reason``): ``done``, ``transfer``, ``abort`` (the subscriber hung up or the gateway
  released the dialog) or ``replaced`` (a new dial or an SMS keyword superseded it). A session that
  expires in the store ends without an event: readers derive "timed out" from its silence.
- ``failed``: an input answered "busy" (``reason``: ``busy``, ``stale``, ``store`` or ``error``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, NamedTuple, Protocol, runtime_checkable

MASK = "******"


@dataclass(frozen=True, slots=True)
class EngineEvent:
    #: ``session`` (begin), ``state``, ``input``, ``call``, ``push``, ``end``, and ``failed``
    #: (an input answered "busy": ``data["reason"]`` is ``busy``, ``stale``, ``store`` or ``error``).
    #: Marketing and service: ``offer_shown``/``offer_accepted``/``offer_declined`` (``offer``, ``package``,
    #: ``touchpoint``), ``survey_asked``/``survey_answer``/``survey_skipped`` (``survey``; ``answer``, ``value``),
    #: ``receipt`` (``op``, ``order``, ``ok``), ``epoints`` (``op``, ``points``) and ``agent_unavailable``
    #: (``reason``, ``waited``, ``target``).
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


class EventRecord(NamedTuple):
    """One line of the durable event log: what the analytics need, nothing that identifies by itself.

    ``subscriber`` is a keyed hash of the MSISDN unless the operator asked for raw
    numbers; ``session`` is a keyed hash of the session key and its start. ``data``
    holds only the fields the log keeps for ``kind`` (JSON values). A named tuple,
    not a dataclass: one is built per logged event and this is the cheapest
    immutable record CPython has (a frozen dataclass costs several times more).
    """

    at: float
    kind: str
    channel: str
    subscriber: str
    session: str
    flow: str = ""
    state: str = ""
    data: Mapping[str, Any] = MappingProxyType({})


@runtime_checkable
class EventStore(Protocol):
    """Where the event log lands: an embedded SQLite file or PostgreSQL."""

    async def write(self, records: Sequence[EventRecord]) -> None:
        """Append records in one transaction; raise on failure (the log keeps and retries them)."""
        ...

    async def read(self, since: float, until: float) -> list[EventRecord]:
        """Records with ``since <= at < until``, in time order (ties in written order)."""
        ...

    async def journey(self, subscriber: str, since: float, until: float) -> list[EventRecord]:
        """One subscriber's records with ``since <= at < until``, in time order."""
        ...

    async def stored_key(self) -> bytes:
        """The hashing key kept with the store, made on first use (when none is configured)."""
        ...

    async def close(self) -> None: ...
