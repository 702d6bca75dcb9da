"""The per-subscriber record: small, slotted, serialisable.

A session is fired through the flow's shared ``transitions`` machine; it is
never added to that machine as a model (``add_model`` costs ~18 KB and binds
methods per session). Everything here must round-trip through ``to_dict`` so
the Redis store can hold it in well under 1 KB.
"""

from __future__ import annotations

from typing import Any, cast

import msgpack

from engine.types import Channel

#: Fields of a packed session before ``pages``/``pages_end`` had slots (rolling upgrades read them).
_BEFORE_PAGE_SLOTS = 15
#: Fields before ``auth_level``/``auth_at`` had slots: such a session has proved nothing yet.
_BEFORE_AUTH_SLOTS = 17
#: Fields before ``queued`` had a slot: such a session waits for no agent.
_BEFORE_QUEUE_SLOTS = 19

Frame = tuple[str, int, str]  # (flow id, version, state to resume in the caller)


class Session:
    __slots__ = (
        "auth_at",
        "auth_level",
        "channel",
        "counters",
        "created",
        "flow",
        "key",
        "locale",
        "msisdn",
        "page",
        "pages",
        "pages_end",
        "pending",
        "queued",
        "rev",
        "stack",
        "state",
        "updated",
        "vars",
        "version",
    )

    def __init__(
        self,
        key: str,
        msisdn: str,
        channel: Channel,
        flow: str,
        version: int,
        state: str,
        locale: str,
        now: float,
    ) -> None:
        self.key = key
        self.msisdn = msisdn
        self.channel = channel
        self.flow = flow
        self.version = version
        self.state = state
        self.locale = locale
        self.vars: dict[str, Any] = {}
        #: Subflow return frames, innermost last.
        self.stack: list[Frame] = []
        #: Invalid-choice / no-input counters of the state we wait in.
        self.counters: dict[str, int] = {}
        #: USSD pages of the last reply when it needed more than one, and the one shown.
        #: Engine bookkeeping lives in these slots, never in ``vars``, where a flow could clobber it.
        self.pages: list[str] = []
        self.page = 0
        #: The paged reply ended the dialog: the last page ends it again.
        self.pages_end = False
        #: Deadline of a pending confirmation (0 when none).
        self.pending = 0.0
        self.created = now
        self.updated = now
        #: Revision the store last saw: a put is accepted only if the stored
        #: revision still equals it, so a late writer cannot overwrite newer state.
        self.rev = 0
        #: The authentication level reached (``engine.ports.backend.AUTH_LEVELS``) and when. Only the
        #: level is kept: the password or code that proved it lives for the turn it was typed in.
        self.auth_level = "none"
        self.auth_at = 0.0
        #: When an IVR caller was handed to agents with a wait threshold (0: not queued). Such a
        #: session is only a ticket: its dialog ended with the transfer, and it waits for the
        #: platform's report of how the transfer went (``transfer_result``) to send the busy SMS.
        self.queued = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "k": self.key,
            "m": self.msisdn,
            "c": self.channel,
            "f": self.flow,
            "v": self.version,
            "s": self.state,
            "l": self.locale,
            "x": self.vars,
            "st": [list(f) for f in self.stack],
            "n": self.counters,
            "p": self.page,
            "pg": self.pages,
            "pe": self.pages_end,
            "pd": self.pending,
            "t0": self.created,
            "t1": self.updated,
            "r": self.rev,
            "al": self.auth_level,
            "at": self.auth_at,
            "q": self.queued,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Session:
        s = cls(d["k"], d["m"], cast(Channel, d["c"]),  # pragma: no mutate (equivalent: cast is a no-op)
                d["f"], int(d["v"]), d["s"], d["l"], float(d["t0"]))
        s.vars = dict(d.get("x") or {})
        s.stack = [(str(a), int(b), str(c)) for a, b, c in d.get("st") or []]
        s.counters = dict(d.get("n") or {})
        s.page = int(d.get("p", 0))
        s.pages = list(d.get("pg") or [])
        s.pages_end = bool(d.get("pe", False))  # pragma: no mutate (equivalent: bool(None) is False)
        s.pending = float(d.get("pd", 0.0))
        s.updated = float(d.get("t1", s.created))
        s.rev = int(d.get("r", 0))
        s.auth_level = str(d.get("al", "none"))
        s.auth_at = float(d.get("at", 0.0))
        s.queued = float(d.get("q", 0.0))
        return s

    def pack(self) -> bytes:
        """Compact positional msgpack: the hot path of the stores (about 130 bytes)."""
        blob: bytes = msgpack.packb([
            self.key, self.msisdn, self.channel, self.flow, self.version, self.state, self.locale, self.vars,
            self.stack, self.counters, self.page, self.pages, self.pages_end, self.pending, self.created,
            self.updated, self.rev, self.auth_level, self.auth_at, self.queued,
        ])
        return blob

    @classmethod
    def unpack(cls, blob: bytes) -> Session:
        s = cls.__new__(cls)
        fields = msgpack.unpackb(blob)
        if len(fields) == _BEFORE_PAGE_SLOTS:  # written by a release that kept pages in vars: keep them
            fields[11:11] = [fields[7].pop("_pg", None) or [], bool(fields[7].pop("_pe", False))]
        if len(fields) == _BEFORE_AUTH_SLOTS:
            # Written before the auth slots: an ``authenticated`` flag a flow set in vars is not
            # trusted (the flow could set it without a check): the session starts unproven.
            fields[7].pop("authenticated", None)
            fields += ["none", 0.0]
        if len(fields) == _BEFORE_QUEUE_SLOTS:
            fields.append(0.0)
        (s.key, s.msisdn, s.channel, s.flow, s.version, s.state, s.locale, s.vars, stack, s.counters, s.page,
         s.pages, s.pages_end, s.pending, s.created, s.updated, s.rev, s.auth_level, s.auth_at, s.queued) = fields
        s.stack = [(a, b, c) for a, b, c in stack]
        return s

    def __repr__(self) -> str:
        return f"Session({self.key!r}, {self.flow}@{self.version}:{self.state})"
