"""Sessions rebuilt from the event log, with how each one ended.

The engine logs ``end`` when a flow finishes, hands over to an agent, or the
subscriber hangs up (``abort``) or dials again (``replaced``). A session that
simply stops being answered expires in the session store, which tells no
one: here a session with no ``end`` whose last event is older than its
channel's session timeout (at the end of the period) *timed out*; a younger
one is still *open* and left out of the rates.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from engine.flow.channels import PROFILES
from engine.ports.events import EventRecord

#: Engine end reasons → the outcome the operator reports.
OUTCOMES = {"done": "completed", "transfer": "transferred", "abort": "abandoned", "replaced": "abandoned"}
#: Channel session timeouts the report assumes: the engine's defaults (``--ttl`` in the report overrides).
DEFAULT_TTL = {ch: p.session_ttl for ch, p in PROFILES.items()}


@dataclass
class SessionView:
    id: str
    channel: str
    subscriber: str
    flow: str
    started: float
    last: float
    #: (flow, state) in the order entered.
    states: list[tuple[str, str]] = field(default_factory=list)
    outcome: str = "open"

    @property
    def seconds(self) -> float:
        return self.last - self.started


def rebuild(records: Iterable[EventRecord], until: float,
            ttl: Mapping[str, float] = DEFAULT_TTL) -> list[SessionView]:
    """Sessions that began in the records (those begun earlier are not judged), with outcomes."""
    sessions: dict[str, SessionView] = {}
    for r in records:
        if r.kind == "session":
            sessions[r.session] = SessionView(r.session, r.channel, r.subscriber, r.flow, r.at, r.at)
            continue
        s = sessions.get(r.session)
        if s is None or s.outcome != "open":
            continue
        s.last = r.at
        if r.kind == "state":
            s.states.append((r.flow, r.state))
        elif r.kind == "end":
            s.outcome = OUTCOMES.get(str(r.data.get("reason", "done")), "completed")
    for s in sessions.values():
        if s.outcome == "open" and s.last + ttl.get(s.channel, 600.0) <= until:
            s.outcome = "timed_out"
    return sorted(sessions.values(), key=lambda s: s.started)
