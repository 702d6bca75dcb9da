"""The phone's SMS through a real SMPP link: it hosts the SMSC simulator ``serve`` binds to.

``menuflow sim --smsc 127.0.0.1:2775`` listens there; ``menuflow serve --smpp
127.0.0.1:2775`` binds as the ESME. Each message the subscriber types goes out
as a deliver_sm (MO); the answer is whatever MT messages come back to that
number: the first that arrives, plus any that follow it within ``quiet``
seconds (a reply and a push often travel together).
"""

from __future__ import annotations

from collections.abc import Callable

from engine.session import Session
from engine.types import Channel, Reply, Wait
from simulator.phone.device import DEFAULT_TO, Exchange
from simulator.phone.model import Line, PhoneModel
from simulator.smsc import SmscSimulator
from simulator.smsc_state import Message


class SmscSmsDevice:
    def __init__(self, smsc: SmscSimulator, msisdn: str, to: str | None = None, locale: str | None = None,
                 *, timeout: float = 10.0, quiet: float = 0.3) -> None:
        self.channel: Channel = "sms"
        self.msisdn = msisdn
        self.to = to or DEFAULT_TO["sms"]
        self.locale = locale
        self.open = True
        self.wait: Wait | None = None
        self.smsc = smsc
        self.timeout = timeout
        self.quiet = quiet
        self._seen = len(smsc.messages)
        #: True while a send waits for its answer: MTs then belong to that exchange.
        self.collecting = False

    def _mine(self) -> list[Message]:
        return [m for m in self.smsc.messages[self._seen:] if m.destination == self.msisdn]

    async def send(self, text: str) -> Exchange:
        self.collecting = True
        try:
            return await self._send(text)
        finally:
            self.collecting = False

    async def _send(self, text: str) -> Exchange:
        self._seen = len(self.smsc.messages)
        await self.smsc.deliver(self.msisdn, self.to, text)
        await self.smsc.wait_for(lambda: bool(self._mine()), self.timeout)
        while await self._more_within_quiet():  # collect the messages that follow the first one closely
            pass
        mts = self._mine()
        self._seen = len(self.smsc.messages)
        replies = [Reply("sms", self.msisdn, m.text, self.locale or "zh", push=i > 0) for i, m in enumerate(mts)]
        return Exchange("send", text, replies)

    async def _more_within_quiet(self) -> bool:
        count = len(self._mine())
        try:
            await self.smsc.wait_for(lambda: len(self._mine()) > count, self.quiet)
        except TimeoutError:
            return False
        return True

    async def dial(self, code: str | None = None) -> Exchange:
        raise RuntimeError("SMS has no dial: type a message")

    async def noinput(self) -> Exchange:
        raise RuntimeError("SMS has no 'no input' event")

    async def agent(self, outcome: str) -> Exchange:
        raise RuntimeError("SMS has no agents: only IVR calls are transferred")

    async def hangup(self) -> Exchange:
        return Exchange("hangup")

    async def snapshot(self) -> Session | None:
        return None

    async def close(self) -> None:
        """The SMSC outlives a device: it belongs to the phone."""
        return None



def show_unsolicited(smsc: SmscSimulator, model: PhoneModel, redraw: Callable[[], None]) -> None:
    """MTs nobody is waiting for (an SMS pushed during a call, a late answer) go to the thread."""

    def on_message(message: Message) -> None:
        device = model.device
        if message.destination != model.msisdn or (isinstance(device, SmscSmsDevice) and device.collecting):
            return
        model.history.append(Line("sms", message.text, "sms"))
        redraw()

    smsc.on_message = on_message
