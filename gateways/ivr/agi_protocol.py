"""The AGI wire dialogue: environment, one command at a time, tolerant reply parsing.

Asterisk's side of AGI is line-based but not tidy: a caller hang-up arrives as
an out-of-band ``HANGUP`` line, usually just before the reply to the command
in flight; usage errors span several ``520-`` lines; a dead channel answers
511; the socket may close at any point. This module hides all of that behind
``AgiConnection.command``, which returns one parsed ``AgiResult`` or raises
``AgiHangup`` once the channel is gone — so the dialog code has one path for
"caller left", wherever it happened.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass

_REPLY_RE = re.compile(r"^(\d{3})([ -])(.*)$")
_RESULT_RE = re.compile(r"result=(\S*)")
_PAREN_RE = re.compile(r"\(([^)]*)\)")
_ENDPOS_RE = re.compile(r"endpos=(-?\d+)")
#: Unparseable lines tolerated per command before the peer is declared broken.
MAX_GARBAGE = 20
MAX_ENV_LINES = 200


class AgiHangup(Exception):
    """The channel is gone: HANGUP line, 511, closed socket."""


class AgiProtocolError(Exception):
    """The peer does not speak AGI (too much garbage, no environment)."""


@dataclass(frozen=True, slots=True)
class AgiResult:
    """One reply: ``200 result=49 (timeout) endpos=1234``."""

    code: int
    #: The raw value after ``result=`` ("" for GET DATA with no digits).
    result: str = ""
    #: The parenthesised note: ``timeout``, ``dtmf``, ``hangup``…
    note: str = ""
    endpos: int | None = None
    #: Usage text of a 520 reply, or the text of other non-200 replies.
    text: str = ""

    @property
    def ok(self) -> bool:
        return self.code == 200

    @property
    def timeout(self) -> bool:
        return self.note == "timeout"

    @property
    def number(self) -> int:
        """``result`` as an integer; 0 when it is not one."""
        try:
            return int(self.result)
        except ValueError:
            return 0


def parse_reply(line: str) -> tuple[AgiResult, bool] | None:
    """Parse one reply line; (result, continues) or None for garbage.

    ``continues`` is true for the first line of a ``520-`` multi-line reply.
    """
    m = _REPLY_RE.match(line)
    if m is None:
        return None
    code, sep, rest = int(m.group(1)), m.group(2), m.group(3)
    if code != 200:
        return AgiResult(code=code, text=rest), sep == "-"
    rm = _RESULT_RE.search(rest)
    if rm is None:
        return None
    tail = rest[rm.end() :]
    note = _PAREN_RE.search(tail)
    endpos = _ENDPOS_RE.search(tail)
    return (
        AgiResult(
            code=200,
            result=rm.group(1),
            note=note.group(1).strip() if note else "",
            endpos=int(endpos.group(1)) if endpos else None,
        ),
        False,
    )


def quote(value: str) -> str:
    """One AGI argument: double-quoted, backslash-escaped, single line."""
    flat = re.sub(r"[\r\n\t]+", " ", value)
    return '"' + flat.replace("\\", "\\\\").replace('"', '\\"') + '"'


class AgiConnection:
    """One FastAGI socket: read the environment, then command → reply, in order."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        reply_timeout: float,
        hangup_grace: float = 1.0,
    ) -> None:
        self._reader = reader
        self._writer = writer
        self._reply_timeout = reply_timeout
        #: After a HANGUP line, how long the reply behind it may take to come.
        self._hangup_grace = hangup_grace
        #: Set when Asterisk announced the caller hung up.
        self.hangup_seen = False
        self.closed = False

    async def _readline(self, timeout: float) -> str:
        try:
            async with asyncio.timeout(timeout):
                raw = await self._reader.readline()
        except (ConnectionError, asyncio.IncompleteReadError) as exc:
            raise AgiHangup("connection lost") from exc
        except ValueError as exc:  # a line longer than the stream limit
            raise AgiProtocolError("line too long") from exc
        except TimeoutError as exc:
            raise AgiProtocolError(f"no reply within {timeout:g} s") from exc
        if not raw:
            raise AgiHangup("connection closed")
        # Trailing blanks go with the line ending: nothing in AGI makes them significant.
        return raw.decode(errors="replace").rstrip()

    async def read_environment(self, timeout: float = 10.0) -> dict[str, str]:
        """``agi_key: value`` lines up to the blank line, all within ``timeout`` seconds.

        The deadline is for the whole environment, not per line: a peer that
        trickles one line every few seconds would otherwise hold the
        connection for ``MAX_ENV_LINES`` times the per-line wait.
        """
        try:
            async with asyncio.timeout(timeout):
                return await self._environment(timeout)
        except TimeoutError:
            raise AgiProtocolError(f"environment not complete within {timeout:g} s") from None

    async def _environment(self, timeout: float) -> dict[str, str]:
        env: dict[str, str] = {}
        for _ in range(MAX_ENV_LINES):
            line = await self._readline(timeout)
            if not line.strip():
                if not env:
                    continue
                return env
            if line.strip() == "HANGUP":
                self.hangup_seen = True
                continue
            key, sep, value = line.partition(":")
            if sep and key.startswith("agi_"):
                env[key.strip()] = value.strip()
        raise AgiProtocolError("environment never ended")

    async def command(self, line: str, timeout: float | None = None) -> AgiResult:
        """Send one command and return its reply (within ``timeout`` seconds, default the reply timeout:
        an application such as ``Queue`` answers only when it returns).

        A ``HANGUP`` line before the reply is recorded and the reply behind it
        is still read (to keep the stream in step); then ``AgiHangup`` is raised.
        """
        if self.closed:
            raise AgiHangup("connection closed")
        try:
            self._writer.write(line.encode() + b"\n")
            await self._writer.drain()
        except (ConnectionError, RuntimeError) as exc:
            raise AgiHangup("connection lost") from exc
        result = await self._read_reply(self._reply_timeout if timeout is None else timeout)
        if result.code == 511 or self.hangup_seen:
            self.hangup_seen = True
            raise AgiHangup("dead channel" if result.code == 511 else "caller hung up")
        return result

    async def _next_line(self, timeout: float) -> str:
        """The next reply line; once HANGUP was seen, only a short grace for it."""
        if not self.hangup_seen:
            return await self._readline(timeout)
        try:
            return await self._readline(min(timeout, self._hangup_grace))
        except AgiProtocolError as exc:
            raise AgiHangup("caller hung up; no reply followed") from exc

    async def _read_reply(self, timeout: float) -> AgiResult:
        garbage = 0
        while True:
            line = await self._next_line(timeout)
            stripped = line.strip()
            if not stripped:
                continue
            if stripped == "HANGUP":
                self.hangup_seen = True
                continue
            parsed = parse_reply(stripped)
            if parsed is None:
                garbage += 1
                if garbage > MAX_GARBAGE:
                    raise AgiProtocolError("too many unparseable lines")
                continue
            result, continues = parsed
            if continues:
                return await self._read_usage(result, timeout)
            return result

    async def _read_usage(self, first: AgiResult, timeout: float) -> AgiResult:
        """Collect ``520-`` … ``520 End of proper usage.`` into one result."""
        lines = [first.text]
        for _ in range(MAX_ENV_LINES):
            line = await self._next_line(timeout)
            if line.strip() == "HANGUP":
                self.hangup_seen = True
                continue
            if line.startswith(f"{first.code} "):
                lines.append(line[4:])
                return AgiResult(code=first.code, text="\n".join(lines))
            lines.append(line)
        raise AgiProtocolError("usage text never ended")

    def abort(self) -> None:
        """Drop the socket at once (server shutdown): a pending read sees EOF."""
        self.closed = True
        self._writer.transport.abort()

    async def close(self) -> None:
        """Close the socket now; never raises."""
        if self.closed:
            return
        self.closed = True
        try:
            self._writer.close()
            await asyncio.wait_for(self._writer.wait_closed(), 1.0)
        except (ConnectionError, TimeoutError, RuntimeError, OSError):
            pass
