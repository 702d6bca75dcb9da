"""A scripted Asterisk for one FastAGI call, over a real TCP socket.

Tests and ``bench/ivr.py`` need the Asterisk side of the dialogue without an
Asterisk: this peer connects to our server, sends an ``agi_*`` environment
and answers each command like res_agi would, pressing the keys of a script.

Script: ``inputs`` is one entry per collection: keys typed (``"1"``,
``"1234#"``), ``""`` for silence (a no-input timeout). Keys barge into a prompt
when the caller ``barges``. ``rules`` replace the reply to the first command
starting with a prefix: a list of raw lines (``["HANGUP", "200 result=-1"]``,
garbage, ``520-`` usage) or ``None`` to drop the connection there. ``variables``
are the channel variables ``GET VARIABLE`` finds (``{"QUEUESTATUS": "TIMEOUT"}``
once the scripted queue has timed out), answered as res_agi does: ``200 result=1
(VALUE)``, or ``200 result=0`` for a variable that is not set. ``pauses`` hold the
reply to the first command starting with a prefix for some seconds (a caller
kept waiting in ``Queue``).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from dataclasses import dataclass, field

_KEY_VERBS = ("STREAM FILE", "SAY NUMBER", "SAY DIGITS", "GET DATA", "WAIT FOR DIGIT")


def agi_environment(
    uniqueid: str = "1700000000.1",
    callerid: str = "13800138000",
    script: str = "10086",
    language: str = "zh",
    dnid: str = "10086",
) -> dict[str, str]:
    """A realistic FastAGI environment for one call."""
    return {
        "agi_network": "yes",
        "agi_network_script": script,
        "agi_request": f"agi://127.0.0.1/{script}",
        "agi_channel": f"PJSIP/trunk-{uniqueid}",
        "agi_language": language,
        "agi_type": "PJSIP",
        "agi_uniqueid": uniqueid,
        "agi_version": "20.5.0",
        "agi_callerid": callerid,
        "agi_calleridname": "unknown",
        "agi_dnid": dnid,
        "agi_context": "menuflow",
        "agi_extension": dnid,
        "agi_priority": "1",
        "agi_enhanced": "0.0",
        "agi_accountcode": "",
        "agi_threadid": "140000000000",
    }


@dataclass
class FakeAsterisk:
    """Drive one call; ``commands`` records what our server sent, in order."""

    host: str
    port: int
    env: dict[str, str] = field(default_factory=agi_environment)
    inputs: list[str] = field(default_factory=list)
    barges: bool = True
    rules: list[tuple[str, list[str] | None]] = field(default_factory=list)
    variables: dict[str, str] = field(default_factory=dict)
    pauses: dict[str, float] = field(default_factory=dict)
    #: Lines written before the environment (a broken peer, a delayed header).
    preamble: list[str] = field(default_factory=list)
    commands: list[str] = field(default_factory=list)
    #: Seconds between the first HANGUP line we sent and the server closing.
    close_delay: float | None = None
    #: Seconds from the reply that completed an input (last key, or silence)
    #: to the server's next command: one engine step as the caller feels it.
    step_latencies: list[float] = field(default_factory=list)
    _step_done: bool = False
    _pending: deque[str] = field(default_factory=deque)
    _buf: str | None = None
    _soft_silence: bool = False
    _dead: bool = False

    async def run(self, timeout: float = 10.0) -> list[str]:
        self._pending = deque(self.inputs)
        reader, writer = await asyncio.open_connection(self.host, self.port)
        try:
            head = [*self.preamble, *(f"{k}: {v}" for k, v in self.env.items()), ""]
            writer.write(("\n".join(head) + "\n").encode())
            await writer.drain()
            await asyncio.wait_for(self._serve(reader, writer), timeout)
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError, OSError):
                await writer.wait_closed()
        return self.commands

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        hung_at: float | None = None
        replied_at: float | None = None
        while True:
            try:
                raw = await reader.readline()
            except ConnectionError:
                raw = b""
            if not raw:
                if hung_at is not None:
                    self.close_delay = time.perf_counter() - hung_at
                return
            command = raw.decode().strip()
            self.commands.append(command)
            if replied_at is not None and not command.startswith("WAIT FOR DIGIT"):
                self.step_latencies.append(time.perf_counter() - replied_at)
            replied_at = None
            self._step_done = False
            lines = self._reply(command)
            if lines is None:
                return
            pause = next((p for p in self.pauses if command.startswith(p)), None)
            if pause is not None:
                await asyncio.sleep(self.pauses.pop(pause))
            if "HANGUP" in lines and hung_at is None:
                hung_at = time.perf_counter()
            try:
                writer.write(("".join(line + "\n" for line in lines)).encode())
                await writer.drain()
            except ConnectionError:
                return
            if self._step_done:
                replied_at = time.perf_counter()

    def _reply(self, command: str) -> list[str] | None:
        for i, (prefix, lines) in enumerate(self.rules):
            if command.startswith(prefix):
                del self.rules[i]
                if lines is not None and "HANGUP" in lines:
                    self._dead = True
                return lines
        if self._dead:
            return ["511 Command Not Permitted on a dead channel or intercepted channel"]
        if command.startswith(_KEY_VERBS):
            return [self._keys(command)]
        if command == "HANGUP":
            self._dead = True
            return ["200 result=1", "HANGUP"]
        if command.startswith("GET VARIABLE "):
            value = self.variables.get(command.removeprefix("GET VARIABLE ").strip())
            return ["200 result=0"] if value is None else [f"200 result=1 ({value})"]
        return ["200 result=0"]

    def _load(self, prompt: bool) -> None:
        if prompt and self._soft_silence:
            self._soft_silence, self._buf = False, None
        if self._buf is None and self._pending:
            self._buf = self._pending.popleft()

    def _take_key(self) -> str | None:
        if not self._buf:
            return None
        key, self._buf = self._buf[0], self._buf[1:]
        if not self._buf:
            self._soft_silence = self._step_done = True
        return key

    def _keys(self, command: str) -> str:
        verb = next(v for v in _KEY_VERBS if command.startswith(v))
        if verb == "WAIT FOR DIGIT":
            self._load(prompt=False)
            key = self._take_key()
            if key is None:
                self._step_done = self._buf is not None or self._soft_silence
                self._buf, self._soft_silence = None, False
            return f"200 result={ord(key) if key else 0}"
        self._load(prompt=True)
        if verb == "GET DATA":
            return self._get_data(int(command.split()[-1]))
        barge = self.barges and not command.endswith('""')
        key = self._take_key() if barge else None
        code = ord(key) if key else 0
        return f"200 result={code} endpos=8000" if verb == "STREAM FILE" else f"200 result={code}"

    def _get_data(self, max_digits: int) -> str:
        typed, self._buf, self._soft_silence = self._buf or "", None, False
        self._step_done = True
        head, hash_, _ = typed.partition("#")
        digits = head[:max_digits]
        if hash_ or len(digits) >= max_digits:
            return f"200 result={digits}"
        return f"200 result={digits} (timeout)"
