"""The two values that cross the seam between a gateway and the engine.

Gateways speak protocols; the engine speaks menus. Keeping the crossing to an
``Inbound`` in and a list of ``Reply`` out means a new channel never touches
menu logic, and the engine never learns what SMPP or TwiML look like.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal

Channel = Literal["sms", "ussd", "ivr"]
CHANNELS: tuple[Channel, ...] = ("sms", "ussd", "ivr")

#: What happened on the channel. ``begin`` opens a dialog (USSD dial, IVR call
#: answered); ``input`` carries text or DTMF digits; ``noinput`` is an IVR
#: timeout with no key pressed; ``end`` is a hangup / network abort;
#: ``transfer_result`` is the IVR platform's word on an agent transfer that asked
#: for one (``Transfer.max_wait``), with one of ``AGENT_OUTCOMES`` as its text.
Event = Literal["begin", "input", "noinput", "end", "transfer_result"]

#: How an agent transfer ended, in the engine's words (each IVR gateway maps its
#: platform's statuses onto these): an agent took the call, or why none did.
AgentOutcome = Literal["answered", "timeout", "full", "no_agents", "busy", "failed"]
AGENT_OUTCOMES: tuple[AgentOutcome, ...] = ("answered", "timeout", "full", "no_agents", "busy", "failed")


@dataclass(slots=True)
class Inbound:
    """One subscriber action, already decoded from its protocol.

    Not frozen, like ``Reply``: a frozen dataclass sets each field through
    ``object.__setattr__``, which made building these two a tenth of an engine
    step. Treat both as values all the same: nothing mutates one it received.
    """

    channel: Channel
    msisdn: str
    text: str = ""
    event: Event = "input"
    #: Identifies the conversation: the USSD session id, the IVR call id; for
    #: SMS the msisdn (one thread per subscriber and short code).
    session_key: str = ""
    #: USSD service code ("*100#", "*100*1#") or IVR called number / AGI script.
    service_code: str = ""
    #: Seconds since the epoch as seen by the gateway's clock.
    received_at: float = 0.0
    #: Subscriber language hint from the channel (IVR agi_language, handset).
    locale: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"{self.channel}:{self.session_key or self.msisdn}"

    @property
    def source(self) -> str:
        """Where the input came from beyond the number (``meta["source"]``, e.g. an AGI peer), or ""."""
        return str(self.meta.get("source", ""))


@dataclass(frozen=True, slots=True)
class Wait:
    """How the channel should collect the next input."""

    #: ``choice`` for a menu, ``text`` for free text, ``digits`` for numbers.
    kind: Literal["choice", "text", "digits"] = "choice"
    max_digits: int = 1
    finish_key: str = "#"
    #: Seconds the IVR waits for the first key before reporting ``noinput``.
    timeout: float = 5.0
    #: The input must not be echoed, logged or recorded (service password, OTP).
    secret: bool = False
    #: Whether a caller may interrupt the prompt by pressing a key.
    barge_in: bool = True


@dataclass(frozen=True, slots=True)
class Transfer:
    """Hand the caller to a human agent queue (IVR) or describe how (elsewhere)."""

    target: str
    reason: str = ""
    #: Seconds the caller may wait for an agent (the flow's ``agent.max_wait``): the IVR
    #: gateway bounds the queue or dial by it and reports a ``transfer_result``. None: the
    #: platform's own queue rules apply and nothing is reported.
    max_wait: int | None = None


@dataclass(slots=True)
class Reply:
    """What to say to one subscriber on one channel (a value; see ``Inbound`` for why not frozen).

    The first reply of ``Engine.handle`` answers the inbound on its own
    channel; any further replies are pushes (an SMS sent during an IVR call),
    addressed by ``channel`` and ``msisdn``.
    """

    channel: Channel
    msisdn: str
    text: str
    locale: str = "zh"
    #: ``None`` means the dialog ends after this reply.
    wait: Wait | None = None
    #: Recorded prompt ids that together say all of ``text`` (``menuflow prompts export``
    #: lists them); empty when any part varies, so the IVR must speak ``text``.
    audio: tuple[str, ...] = ()
    transfer: Transfer | None = None
    #: Set on pushes: the reason it was sent (``send`` state, deadline follow-up).
    push: bool = False
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def end(self) -> bool:
        return self.wait is None


#: What a gateway calls: ``await handler(inbound)``. The first reply answers the
#: inbound on its channel; the rest are pushes that ``serve`` already routed.
Handler = Callable[[Inbound], Awaitable[list[Reply]]]

#: Where pushes go (the SMS outbox when an SMSC is bound; a recorder otherwise).
PushSink = Callable[[Reply], Awaitable[None]]
