"""What the phone shows and does, without any prompt_toolkit: the testable core.

The full-screen app (``simulator.phone.app``) only draws this model and turns
keys into its methods. Actions run one at a time (an asyncio lock keeps DTMF
keys in order) and every exchange is kept for the QA panel and ``--record``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from engine.session import Session
from engine.types import CHANNELS, Channel, Reply
from simulator.fixtures import Fixture
from simulator.phone.device import Device, Exchange
from simulator.transcripts.recorder import Recorder

#: Demo subscribers F3 cycles through: 张伟 (zh), Alice (en), 李娜 (0.80 yuan).
SUBSCRIBERS = ("8613800138000", "8613900139000", "8613700137000")
LANGS: tuple[str | None, ...] = (None, "zh", "en")


class OffsetClock:
    """Wall-clock time plus whatever QA advanced, so expiry can be tried without waiting."""

    def __init__(self) -> None:
        self.offset = 0.0

    def now(self) -> float:
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds


@dataclass(slots=True)
class Line:
    """One entry in the phone's history: who said it and what."""

    who: str  # "me", "net" (the service), "sms" (a pushed SMS), "info" (simulator notes)
    text: str
    #: The channel it was said on (the thread keeps history across channel switches).
    channel: str = "sms"


@dataclass
class PhoneModel:
    """Channel, subscriber, language, the conversation so far, and the last exchange."""

    connect: Callable[[Channel, str, str | None], Device]
    channel: Channel = "sms"
    msisdn: str = SUBSCRIBERS[0]
    lang: str | None = None
    advance_clock: Callable[[float], None] | None = None
    reload_flows: Callable[[], str] | None = None
    set_fixture: Callable[[str, Fixture | None], str] | None = None
    recorder: Recorder | None = None
    #: Channels this phone can use (a remote server may offer fewer).
    channels: tuple[Channel, ...] = CHANNELS
    #: What the clock was advanced by, for the panel.
    advanced: float = 0.0
    #: The session record after the last exchange (in-process only).
    session: Session | None = None
    history: list[Line] = field(default_factory=list)
    last: Exchange | None = None
    #: DTMF digits pressed but not sent yet (IVR input that waits for more digits or '#').
    digits: str = ""
    device: Device = field(init=False)
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def __post_init__(self) -> None:
        self.device = self.connect(self.channel, self.msisdn, self.lang)

    # -- what the screen shows ----------------------------------------------------
    @property
    def open(self) -> bool:
        return self.device.open

    @property
    def screen(self) -> str:
        """The text a USSD dialog or an IVR caller has in front of them right now."""
        reply = self.last.reply if self.last else None
        return reply.text if reply is not None else ""

    def note(self, text: str) -> None:
        self.history.append(Line("info", text, self.channel))

    # -- subscriber actions -----------------------------------------------------------
    async def submit(self, text: str) -> None:
        """What Enter does: SMS sends; USSD answers or dials a code; IVR dials or presses keys."""
        text = text.strip()
        if self.channel == "sms":
            if text:
                await self._run(lambda: self.device.send(text), text)
        elif self.channel == "ussd":
            if self.open:
                await self._run(lambda: self.device.send(text), text)
            else:
                await self.dial(text if text.startswith("*") and text.endswith("#") else None)
        elif not self.open:
            await self.dial(text or None)
        else:
            for key in text:
                await self.press(key)

    async def dial(self, code: str | None = None) -> None:
        await self._run(lambda: self.device.dial(code), f"dial {code or self.device.to}")

    async def press(self, key: str) -> None:
        """One IVR keypad key: sent when the state's digits are complete or '#' ends them."""
        wait = self.device.wait
        if not self.open or wait is None:
            return
        if key == wait.finish_key and wait.kind == "digits":
            digits, self.digits = self.digits, ""
            await self._run(lambda: self.device.send(digits), digits)
            return
        self.digits += key
        # A menu key ("*" repeat too) goes at once; typed digits wait for all of them or '#'.
        complete = len(self.digits) >= wait.max_digits or (wait.kind != "digits" and key in "*#")
        if complete:
            digits, self.digits = self.digits, ""
            await self._run(lambda: self.device.send(digits), digits)

    async def noinput(self) -> None:
        if self.channel == "ivr" and self.open:
            await self._run(self.device.noinput, "(silence)")

    async def agent(self, outcome: str) -> None:
        """IVR: play the telephony's part after a transfer (the queue timed out, an agent answered...)."""
        if self.channel != "ivr":
            self.note("only IVR calls are transferred to agents")
            return
        await self._run(lambda: self.device.agent(outcome), f"[agents: {outcome}]")

    async def hangup(self) -> None:
        """USSD Cancel / IVR hang-up; SMS has nothing to hang up."""
        if self.channel != "sms" and self.open:
            await self._run(self.device.hangup, "cancel" if self.channel == "ussd" else "hang up")

    async def _run(self, act: Callable[[], Awaitable[Exchange]], shown: str) -> None:
        async with self._lock:
            secret = self.device.wait is not None and self.device.wait.secret
            self.history.append(Line("me", "******" if secret and shown else shown, self.channel))
            try:
                exchange = await act()
            except Exception as exc:  # a broken remote must not kill the phone
                self.note(f"failed: {type(exc).__name__}: {exc}")
                return
            self.last = exchange
            self.session = await self.device.snapshot()
            self._show(exchange.replies)
            if self.recorder is not None:
                self.recorder.exchange(self.channel, self.msisdn, self.lang, self.device.to, exchange)

    def _show(self, replies: list[Reply]) -> None:
        for reply in replies:
            if reply.push:
                self.history.append(Line("sms", reply.text, "sms"))
                continue
            text = reply.text
            transfer = reply.transfer
            if transfer is not None and transfer.max_wait is not None:  # the queue's outcome is QA's to play
                text += f"\n[transfer to {transfer.target}, at most {transfer.max_wait} s: /agent OUTCOME]"
            elif transfer is not None:
                text += f"\n[transfer to {transfer.target}]"
            if text:
                self.history.append(Line("net", text, self.channel))
            if reply.end and self.channel != "sms":
                self.note("dialog ended" if self.channel == "ussd" else "call ended")

    # -- QA controls --------------------------------------------------------------------
    async def restart(self) -> None:
        """Drop the session (hang up if needed) and start over on the same channel."""
        await self.hangup()
        await self._reconnect()
        self.note(f"restarted {self.channel} for {self.msisdn}")

    async def switch(self, channel: Channel | None = None, msisdn: str | None = None,
                     lang: str | bool | None = False) -> None:
        """Change channel, subscriber or language (``lang=False`` keeps it); starts a new session."""
        await self.hangup()
        if channel is not None and channel not in self.channels:
            self.note(f"{channel} is not available here (only {', '.join(self.channels)})")
            return
        if channel is not None:
            self.channel = channel
        if msisdn is not None:
            self.msisdn = msisdn
        if lang is not False:
            self.lang = lang if isinstance(lang, str) else None
        await self._reconnect()
        self.note(f"{self.channel.upper()} as {self.msisdn}, language {self.lang or 'from profile'}")

    def next_channel(self) -> Channel:
        chans = self.channels
        return chans[(chans.index(self.channel) + 1) % len(chans)] if self.channel in chans else chans[0]

    def next_subscriber(self) -> str:
        i = SUBSCRIBERS.index(self.msisdn) if self.msisdn in SUBSCRIBERS else -1
        return SUBSCRIBERS[(i + 1) % len(SUBSCRIBERS)]

    def next_lang(self) -> str | None:
        return LANGS[(LANGS.index(self.lang) + 1) % len(LANGS)]

    async def _reconnect(self) -> None:
        await self.device.close()
        self.device = self.connect(self.channel, self.msisdn, self.lang)
        self.last = None
        self.session = None
        self.digits = ""

    def advance(self, seconds: float) -> None:
        if self.advance_clock is None:
            self.note("this phone cannot move the server's clock")
            return
        self.advance_clock(seconds)
        self.advanced += seconds
        if self.recorder is not None:
            self.recorder.advance(seconds)
        self.note(f"clock advanced {seconds:g} s")

    def fixture(self, op: str, fixture: Fixture | None) -> None:
        """Make a backend operation fail or answer a canned result (None: real answers again)."""
        if self.set_fixture is None:
            self.note("fixtures are not available against a remote server")
            return
        problem = self.set_fixture(op, fixture)
        if problem:
            self.note(problem)
            return
        if self.recorder is not None:
            self.recorder.fixture(op, fixture)
        self.note(f"{op}: {'real answers' if fixture is None else (fixture.fail or 'canned result')}")

    def reload(self) -> None:
        """Reload flows: the live session keeps its version; the next one gets the new one."""
        if self.reload_flows is None:
            self.note("reload is not available against a remote server")
            return
        self.note(self.reload_flows())
