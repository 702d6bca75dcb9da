"""Line mode of ``menuflow sim``: one input line in, the replies out.

Used when stdin is not a terminal, so a walk-through can be piped or scripted:
``printf 'YE\\n' | menuflow sim --channel sms --from 8613800138000``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TextIO

from engine.ports.events import MASK
from engine.run.engine import Engine
from engine.types import Channel, Inbound, Reply


def describe(reply: Reply) -> str:
    """How a reply reads in a terminal transcript."""
    if reply.push:
        return f"[SMS to {reply.msisdn}] {reply.text}"
    text = reply.text
    if reply.transfer is not None:
        text += f"\n[transfer to {reply.transfer.target}]"
    if reply.wait is None:
        text += "\n[end]" if reply.channel != "sms" else ""
    return text


class LineSession:
    """Keeps the dialog going across lines; redials USSD/IVR after the dialog ends."""

    def __init__(self, engine: Engine, channel: Channel, msisdn: str, to: str) -> None:
        self.engine = engine
        self.channel = channel
        self.msisdn = msisdn
        self.to = to
        self.calls = 0
        self.open = False
        #: The last reply asked for a secret (password, code): its line is not echoed.
        self.secret = False

    def _inbound(self, text: str, event: str) -> Inbound:
        key = self.msisdn if self.channel == "sms" else f"{self.msisdn}-{self.calls}"
        return Inbound(self.channel, self.msisdn, text, event,  # type: ignore[arg-type]
                       session_key=key, service_code=self.to, received_at=self.engine.clock.now())

    async def dial(self) -> list[Reply]:
        self.calls += 1
        replies = await self.engine.handle(self._inbound("", "begin"))
        self._note(replies)
        return replies

    def _note(self, replies: list[Reply]) -> None:
        wait = replies[0].wait if replies else None
        self.open = wait is not None
        self.secret = wait is not None and wait.secret

    async def send(self, text: str) -> list[Reply]:
        replies = await self.engine.handle(self._inbound(text, "input"))
        open_before = self.open
        self._note(replies)
        if self.channel == "sms":  # an SMS thread never closes
            self.open = open_before
        return replies


async def run_lines(engine: Engine, channel: Channel, msisdn: str, to: str, lines: Iterable[str],
                    out: TextIO) -> int:
    sim = LineSession(engine, channel, msisdn, to)
    if channel != "sms":
        _print(await sim.dial(), out)
    for raw in lines:
        line = raw.rstrip("\r\n")
        if channel != "sms" and not sim.open:
            _print(await sim.dial(), out)
        print(f"> {MASK if sim.secret and line else line}", file=out)  # a password is never echoed
        _print(await sim.send(line), out)
    return 0


def _print(replies: list[Reply], out: TextIO) -> None:
    for reply in replies:
        print(describe(reply), file=out)
    out.flush()
