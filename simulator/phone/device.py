"""A subscriber's handset talking to the in-process engine.

The phone UI, ``--record`` and the transcript runner all act through a Device,
so what QA clicks and what CI replays are the same conversation. Each action
returns an ``Exchange``: the replies plus every engine event of that turn
(states entered, backend calls, pushes), which the side panel shows and the
transcript runner checks.
"""

from __future__ import annotations

import hashlib
import itertools
from dataclasses import dataclass, field
from typing import Literal, Protocol

from engine.ports.events import MASK, EngineEvent
from engine.run.engine import Engine
from engine.session import Session
from engine.types import Channel, Event, Inbound, Reply, Wait

Action = Literal["dial", "send", "noinput", "hangup", "agent"]
DEFAULT_TO: dict[str, str] = {"sms": "10086", "ussd": "*100#", "ivr": "10086"}
_CALL_IDS = itertools.count(1)


@dataclass(slots=True)
class Exchange:
    """One subscriber action and everything it caused."""

    action: Action
    #: What the subscriber sent, masked when the state asked for a secret.
    shown: str = ""
    replies: list[Reply] = field(default_factory=list)
    events: list[EngineEvent] = field(default_factory=list)
    #: ``flow:state`` the session stood in before the action ("" when none).
    before: str = ""
    #: Name of the variable a secret input filled (for ``--record``), else None.
    secret: str | None = None

    @property
    def reply(self) -> Reply | None:
        return self.replies[0] if self.replies else None

    @property
    def pushes(self) -> list[Reply]:
        return [r for r in self.replies[1:] if r.push]

    @property
    def after(self) -> str:
        reply = self.reply
        if reply is None or "state" not in reply.meta:
            return ""
        return f"{reply.meta['flow']}:{reply.meta['state']}"


class Device(Protocol):
    """What the phone UI needs from a handset, local or remote."""

    channel: Channel
    msisdn: str
    to: str
    locale: str | None
    open: bool
    wait: Wait | None

    async def dial(self, code: str | None = None) -> Exchange: ...
    async def send(self, text: str) -> Exchange: ...
    async def noinput(self) -> Exchange: ...
    async def hangup(self) -> Exchange: ...
    async def agent(self, outcome: str) -> Exchange:
        """IVR: the platform reports how the last agent transfer ended (``engine.types.AGENT_OUTCOMES``)."""
        ...
    async def snapshot(self) -> Session | None: ...
    async def close(self) -> None: ...


class LocalDevice:
    """A handset wired straight into an Engine (the default, and what transcripts use)."""

    def __init__(self, engine: Engine, channel: Channel, msisdn: str, to: str | None = None,
                 locale: str | None = None) -> None:
        self.engine = engine
        self.channel: Channel = channel
        self.msisdn = msisdn
        self.to = to or DEFAULT_TO[channel]
        self.locale = locale
        self.open = channel == "sms"
        self.wait: Wait | None = None
        self.call_id = ""
        self.state = ""
        self._events: list[EngineEvent] = []
        #: Secret variable → digest of each distinct value typed → the name the recorder writes.
        self._secret_names: dict[str, dict[bytes, str]] = {}
        engine.observers.append(self._observe)

    @property
    def key(self) -> str:
        return f"{self.channel}:{self.msisdn if self.channel == 'sms' else self.call_id}"

    def _observe(self, event: EngineEvent) -> None:
        if event.session_key == self.key:
            self._events.append(event)

    async def snapshot(self) -> Session | None:
        """The live session record (for the side panel), if any."""
        return await self.engine.store.get(self.key)

    async def dial(self, code: str | None = None) -> Exchange:
        """Open a USSD dialog / place a call (SMS has no dial: it is always open)."""
        if code:
            self.to = code
        if self.channel != "sms":
            self.call_id = f"{self.msisdn}-{next(_CALL_IDS)}"
        return await self._act("dial", "", "begin")

    async def send(self, text: str) -> Exchange:
        return await self._act("send", text, "input")

    async def noinput(self) -> Exchange:
        return await self._act("noinput", "", "noinput")

    async def hangup(self) -> Exchange:
        exchange = await self._act("hangup", "", "end")
        self.open = self.channel == "sms"
        self.wait = None
        return exchange

    async def agent(self, outcome: str) -> Exchange:
        """What the IVR platform tells the engine when Queue/Dial returns after a transfer."""
        return await self._act("agent", outcome, "transfer_result")

    async def _act(self, action: Action, text: str, event: Event) -> Exchange:
        secret = self._secret_name(self._secret_var(), text) if action == "send" else None
        exchange = Exchange(action, MASK if secret and text else text, before=self.state, secret=secret)
        inbound = Inbound(self.channel, self.msisdn, text, event,
                          session_key=self.msisdn if self.channel == "sms" else self.call_id,
                          service_code=self.to, received_at=self.engine.clock.now(), locale=self.locale)
        self._events = []
        exchange.replies = await self.engine.handle(inbound)
        exchange.events = self._events
        self._events = []
        reply = exchange.reply
        self.wait = reply.wait if reply is not None else None
        self.state = exchange.after if self.wait is not None else ""
        if self.channel != "sms":
            self.open = self.wait is not None
        return exchange

    def _secret_name(self, var: str | None, text: str) -> str | None:
        """One name per distinct value typed into ``var``: a wrong password recorded as the right
        one's name would replay as the right password (``password``, then ``password_2``…)."""
        if var is None:
            return None
        digest = hashlib.sha256(f"{var}\0{text}".encode()).digest()  # in memory only, never written
        names = self._secret_names.setdefault(var, {})
        if digest not in names:
            names[digest] = var if not names else f"{var}_{len(names) + 1}"
        return names[digest]

    def _secret_var(self) -> str | None:
        """The variable the waiting state fills, when that state asks for a secret."""
        if self.wait is None or not self.wait.secret or not self.state:
            return None
        flow_id, _, state = self.state.partition(":")
        flow = self.engine.registry.current.get(flow_id)
        node = flow.nodes.get(state) if flow else None
        var = getattr(node.spec, "var", None) if node else None
        return str(var) if var else "secret"

    async def close(self) -> None:
        if self._observe in self.engine.observers:
            self.engine.observers.remove(self._observe)
