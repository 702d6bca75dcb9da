"""The FastAGI wire dialogue (gateways/ivr/agi_protocol.py) on an in-memory stream.

No sockets and no waiting: the reader is an ``asyncio.StreamReader`` fed by the
test, the writer a recorder, and the module's timeouts expire at once while the
delays it asked for are recorded, so each limit is checked at its exact value.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateways.ivr import agi_protocol
from gateways.ivr.agi_protocol import (
    MAX_ENV_LINES,
    MAX_GARBAGE,
    AgiConnection,
    AgiHangup,
    AgiProtocolError,
    AgiResult,
    parse_reply,
    quote,
)


class Writer:
    """What AgiConnection needs of a StreamWriter, recording what it was given."""

    def __init__(self, fail: Exception | None = None, close_fails: Exception | None = None) -> None:
        self.sent = bytearray()
        self.fail = fail
        self.close_fails = close_fails
        self.closed = False
        self.aborted = False
        self.transport = self

    def write(self, data: bytes) -> None:
        if self.fail is not None:
            raise self.fail
        self.sent += data

    async def drain(self) -> None:
        pass

    def close(self) -> None:
        self.closed = True

    async def wait_closed(self) -> None:
        if self.close_fails is not None:
            raise self.close_fails

    def abort(self) -> None:
        self.aborted = True


@pytest.fixture
def delays(monkeypatch: pytest.MonkeyPatch) -> list[float | None]:
    """Every timeout the module asks for, in order; each one expires at once."""
    asked: list[float | None] = []

    @asynccontextmanager
    async def timeout(delay: float | None) -> AsyncIterator[None]:
        asked.append(delay)
        async with asyncio.timeout(0):
            yield

    async def wait_for(aw: Any, delay: float | None) -> Any:
        asked.append(delay)
        return await asyncio.wait_for(aw, 0)

    fake = SimpleNamespace(timeout=timeout, wait_for=wait_for, StreamReader=asyncio.StreamReader,
                           StreamWriter=asyncio.StreamWriter, IncompleteReadError=asyncio.IncompleteReadError)
    monkeypatch.setattr(agi_protocol, "asyncio", fake)
    return asked


def connect(data: bytes = b"", *, eof: bool = True, reply_timeout: float = 5.0, limit: int = 1 << 16,
            **kw: Any) -> tuple[AgiConnection, Writer]:
    reader = asyncio.StreamReader(limit=limit)
    reader.feed_data(data)
    if eof:
        reader.feed_eof()
    writer = Writer(**{k: kw.pop(k) for k in ("fail", "close_fails") if k in kw})
    return AgiConnection(reader, writer, reply_timeout, **kw), writer  # type: ignore[arg-type]


async def failure(coro: Any, kind: type[Exception]) -> str:
    with pytest.raises(kind) as err:
        await coro
    return str(err.value)


# --- parsing one reply line ------------------------------------------------------

def test_non_200_replies_keep_their_text() -> None:
    assert parse_reply("510 Invalid or unknown command") == (AgiResult(510, text="Invalid or unknown command"), False)
    assert parse_reply("520-Invalid command syntax.") == (AgiResult(520, text="Invalid command syntax."), True)
    assert parse_reply("200 result=1 (dtmf) endpos=7") == (AgiResult(200, "1", "dtmf", 7), False)
    assert parse_reply("200 result=1 ( speech ) endpos=-3") == (AgiResult(200, "1", "speech", -3), False)


def test_result_properties() -> None:
    assert AgiResult(200).ok and not AgiResult(510).ok
    assert AgiResult(200, note="timeout").timeout and not AgiResult(200, note="dtmf").timeout
    assert (AgiResult(200, "49").number, AgiResult(200, "-1").number, AgiResult(200, "").number) == (49, -1, 0)


replies = st.builds(
    AgiResult,
    code=st.just(200),
    result=st.from_regex(r"-?[0-9*#]{0,6}", fullmatch=True),
    note=st.sampled_from(["", "timeout", "dtmf", "hangup"]),
    endpos=st.none() | st.integers(-1, 10**9),
)


def serialize(reply: AgiResult) -> str:
    """A reply line as Asterisk writes it."""
    line = f"{reply.code} result={reply.result}"
    if reply.note:
        line += f" ({reply.note})"
    if reply.endpos is not None:
        line += f" endpos={reply.endpos}"
    return line


@settings(max_examples=150, deadline=None)
@given(replies)
def test_reply_lines_round_trip(reply: AgiResult) -> None:
    assert parse_reply(serialize(reply)) == (reply, False)


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=60))
def test_any_line_parses_or_is_garbage(line: str) -> None:
    parsed = parse_reply(line)
    if parsed is not None:
        assert 100 <= parsed[0].code <= 999


def unquote(arg: str) -> str:
    assert arg[0] == arg[-1] == '"'
    return re.sub(r"\\(.)", r"\1", arg[1:-1])


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=60))
def test_quoted_arguments_are_one_line_and_read_back(value: str) -> None:
    arg = quote(value)
    assert "\n" not in arg and "\r" not in arg and "\t" not in arg
    # Unescaped, it is the value with each run of line breaks and tabs as one space.
    assert unquote(arg) == re.sub(r"[\r\n\t]+", " ", value)
    assert re.fullmatch(r'"(?:[^"\\]|\\["\\])*"', arg)


# --- the environment ----------------------------------------------------------------

async def test_environment(delays: list[float | None]) -> None:
    conn, _ = connect(b"\r\n\nagi_request: agi://pbx:4573/menu?x=1  \r\nHANGUP\nagi_callerid:  8613800138000\n"
                      b"agi_bare\nfoo: bar\n: agi_x\nagi_dnid:10086\n\nagi_late: 1\n")
    assert conn.hangup_seen is False and conn.closed is False
    env = await conn.read_environment()
    assert env == {"agi_request": "agi://pbx:4573/menu?x=1", "agi_callerid": "8613800138000", "agi_dnid": "10086"}
    assert conn.hangup_seen is True
    assert set(delays) == {10.0}


async def test_environment_limits(delays: list[float | None]) -> None:
    ok, _ = connect(b"agi_x: 1\n" * (MAX_ENV_LINES - 1) + b"\n")
    assert await ok.read_environment(timeout=3) == {"agi_x": "1"}
    assert delays == [3] * (MAX_ENV_LINES + 1)  # the whole environment's deadline, then each line's
    endless, _ = connect(b"agi_x: 1\n" * MAX_ENV_LINES + b"\n")
    assert await failure(endless.read_environment(), AgiProtocolError) == "environment never ended"
    closed, _ = connect(b"agi_x: 1\n")
    assert await failure(closed.read_environment(), AgiHangup) == "connection closed"


# --- commands and replies -------------------------------------------------------------

async def test_command_sends_one_line_and_returns_the_reply(delays: list[float | None]) -> None:
    conn, writer = connect(b"\n200 result=49 endpos=1234\r\n")
    assert await conn.command("STREAM FILE hello 0123") == AgiResult(200, "49", endpos=1234)
    assert bytes(writer.sent) == b"STREAM FILE hello 0123\n"
    assert delays == [5.0, 5.0]
    assert conn.hangup_seen is False


async def test_dead_channel() -> None:
    conn, _ = connect(b"511 Command Not Permitted on a dead channel\n")
    assert await failure(conn.command("ANSWER"), AgiHangup) == "dead channel"
    assert conn.hangup_seen is True


async def test_hangup_line_then_the_reply_behind_it(delays: list[float | None]) -> None:
    conn, _ = connect(b"HANGUP\n200 result=1\n200 result=2\n", reply_timeout=0.5)
    assert await failure(conn.command("WAIT FOR DIGIT 5000"), AgiHangup) == "caller hung up"
    assert conn.hangup_seen is True
    # The reply behind HANGUP was read (stream in step), with at most the grace to come.
    assert delays == [0.5, 0.5]


async def test_hangup_grace_is_one_second_at_most(delays: list[float | None]) -> None:
    conn, _ = connect(b"HANGUP\n", eof=False)
    assert await failure(conn.command("ANSWER"), AgiHangup) == "caller hung up; no reply followed"
    assert delays == [5.0, 1.0]
    custom, _ = connect(b"HANGUP\n", eof=False, hangup_grace=0.2)
    await failure(custom.command("ANSWER"), AgiHangup)
    assert delays[2:] == [5.0, 0.2]


async def test_no_reply_in_time(delays: list[float | None]) -> None:
    conn, _ = connect(eof=False, reply_timeout=2.5)
    assert await failure(conn.command("ANSWER"), AgiProtocolError) == "no reply within 2.5 s"


async def test_a_command_may_wait_longer_than_the_reply_timeout(delays: list[float | None]) -> None:
    """``Queue``/``Dial`` answer only when they return: their own deadline holds for every line of the reply."""
    conn, _ = connect(b"520-Invalid.\n  Usage: x\n520 End of proper usage.\n200 result=1 (TIMEOUT)\n")
    assert (await conn.command('EXEC Queue "q,,,,120"', timeout=180.0)).code == 520
    assert await conn.command("GET VARIABLE QUEUESTATUS") == AgiResult(200, "1", "TIMEOUT")
    assert delays == [180.0, 180.0, 180.0, 5.0]
    hung, _ = connect(b"HANGUP\n", eof=False)
    await failure(hung.command('EXEC Queue "q,,,,120"', timeout=180.0), AgiHangup)
    assert delays[4:] == [180.0, 1.0]


async def test_garbage_is_tolerated_up_to_the_limit() -> None:
    ok, _ = connect(b"noise\n\n" * MAX_GARBAGE + b"200 result=0\n")
    assert await ok.command("NOOP") == AgiResult(200, "0")
    too_much, _ = connect(b"noise\n" * (MAX_GARBAGE + 1) + b"200 result=0\n")
    assert await failure(too_much.command("NOOP"), AgiProtocolError) == "too many unparseable lines"


async def test_usage_error_is_collected_into_one_result() -> None:
    conn, _ = connect(b"520-Invalid command syntax.  Proper usage follows:\n"
                      b"  Usage: GET DATA <file>\t \n"
                      b"\n"
                      b"520 End of proper usage.\n")
    assert await conn.command("GET DATA") == AgiResult(
        520, text="Invalid command syntax.  Proper usage follows:\n  Usage: GET DATA <file>\n\nEnd of proper usage.")


async def test_hangup_inside_usage_text() -> None:
    conn, _ = connect(b"520-Invalid command syntax.\nHANGUP\n  Usage: x\n520 End of proper usage.\n")
    assert await failure(conn.command("GET DATA"), AgiHangup) == "caller hung up"


async def test_usage_text_that_never_ends() -> None:
    conn, _ = connect(b"520-Invalid command syntax.\n" + b"Usage\n" * MAX_ENV_LINES + b"520 End of proper usage.\n")
    assert await failure(conn.command("GET DATA"), AgiProtocolError) == "usage text never ended"


async def test_lines_are_decoded_leniently() -> None:
    conn, _ = connect(b"510 caf\xe9 \t\r\n")
    assert await conn.command("X") == AgiResult(510, text="caf\ufffd")


# --- the socket going away -----------------------------------------------------------

async def test_connection_failures() -> None:
    closed, _ = connect(b"")
    assert await failure(closed.command("ANSWER"), AgiHangup) == "connection closed"
    refused, _ = connect(b"", fail=ConnectionResetError())
    assert await failure(refused.command("ANSWER"), AgiHangup) == "connection lost"
    late, _ = connect(b"", fail=RuntimeError("closed transport"))
    assert await failure(late.command("ANSWER"), AgiHangup) == "connection lost"
    reset, _ = connect(b"", eof=False)
    reset._reader.set_exception(ConnectionResetError())
    assert await failure(reset.command("ANSWER"), AgiHangup) == "connection lost"
    long_line, _ = connect(b"200 result=" + b"1" * 100 + b"\n", limit=32)
    assert await failure(long_line.command("ANSWER"), AgiProtocolError) == "line too long"


async def test_close_and_abort(delays: list[float | None]) -> None:
    conn, writer = connect(b"200 result=0\n")
    await conn.close()
    assert conn.closed is True and writer.closed
    assert delays == [1.0]
    await conn.close()
    assert delays == [1.0]  # a second close does nothing
    assert await failure(conn.command("ANSWER"), AgiHangup) == "connection closed"
    assert writer.sent == b""
    quiet, _ = connect(close_fails=ConnectionResetError())
    await quiet.close()
    assert quiet.closed is True
    dropped, dropped_writer = connect(b"200 result=0\n")
    dropped.abort()
    assert dropped.closed is True and dropped_writer.aborted
    assert await failure(dropped.command("ANSWER"), AgiHangup) == "connection closed"
