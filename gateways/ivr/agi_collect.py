"""Speak a reply over AGI and collect DTMF: barge-in, max digits, finish key, timeouts.

Two AGI ways to collect keys, each where it fits:

* ``GET DATA file timeout max`` plays a file and reads keys in one command —
  used for single-key menus whose last segment is a recorded file (one round
  trip per menu, the common case).
* ``STREAM FILE`` / ``SAY …`` with escape digits, then ``WAIT FOR DIGIT`` per
  key — used for everything else, because GET DATA's finish key is always
  ``#`` and it has no separate inter-digit timeout.

Without barge-in every segment plays with no escape digits, then collection
starts. A TTS ``EXEC`` cannot be interrupted, so it always plays fully.
"""

from __future__ import annotations

import logging

from engine.types import Reply, Wait
from gateways.ivr.agi_protocol import AgiConnection, AgiHangup, quote
from gateways.ivr.options import IvrOptions
from gateways.ivr.speech import Segment, plan_speech, tts_argument

log = logging.getLogger("menuflow.ivr.agi")
DTMF_KEYS = "0123456789*#"


def _ms(seconds: float) -> int:
    return max(1, int(seconds * 1000))


class Collector:
    """Speaks replies and gathers keys on one AGI connection."""

    def __init__(self, conn: AgiConnection, opts: IvrOptions) -> None:
        self._conn = conn
        self._opts = opts
        self._lang = "zh"

    def set_language(self, lang: str) -> None:
        self._lang = lang

    async def speak_and_collect(self, reply: Reply) -> str | None:
        """Play ``reply``; with a wait, return the keys pressed (None = no input)."""
        wait = reply.wait
        segments = plan_speech(reply, self._opts)
        escape = DTMF_KEYS if wait is not None and wait.barge_in else ""
        if wait is not None and self._use_get_data(wait, segments):
            first = await self._play_all(segments[:-1], escape)
            if first is None:
                return await self._get_data(segments[-1].value, wait)
            return await self._collect(wait, first)
        first = await self._play_all(segments, escape)
        if wait is None:
            return None
        return await self._collect(wait, first)

    def _use_get_data(self, wait: Wait, segments: list[Segment]) -> bool:
        return (
            wait.barge_in
            and wait.max_digits == 1
            and bool(segments)
            and segments[-1].kind == "file"
        )

    async def _play_all(self, segments: list[Segment], escape: str) -> str | None:
        """Play in order; return the first key if the caller barged in."""
        for seg in segments:
            key = await self._play(seg, escape)
            if key is not None:
                return key
        return None

    async def _play(self, seg: Segment, escape: str) -> str | None:
        esc = quote(escape)
        if seg.kind == "tts":
            arg = tts_argument(seg.value, self._lang, self._opts.tts_args)
            res = await self._conn.command(f"EXEC {self._opts.tts_app} {quote(arg)}")
            if res.number == -2:
                log.warning("TTS application %s not found in Asterisk", self._opts.tts_app)
            return None
        if seg.kind == "file":
            res = await self._conn.command(f"STREAM FILE {quote(seg.value)} {esc}")
            if res.number == -1:
                log.warning("sound file %r could not be played", seg.value)
                return None
        elif seg.kind == "number":
            res = await self._conn.command(f"SAY NUMBER {seg.value} {esc}")
        else:
            res = await self._conn.command(f"SAY DIGITS {seg.value} {esc}")
        return self._key(res.number)

    @staticmethod
    def _key(code: int) -> str | None:
        """An ASCII code from STREAM FILE / SAY / WAIT FOR DIGIT → the key, if any."""
        if code <= 0:
            return None
        char = chr(code) if code < 128 else ""
        return char if char and char in DTMF_KEYS else None

    async def _get_data(self, sound: str, wait: Wait) -> str | None:
        res = await self._conn.command(
            f"GET DATA {quote(sound)} {_ms(wait.timeout)} {wait.max_digits}"
        )
        if res.result == "-1":
            raise AgiHangup("GET DATA failed")
        if not res.ok:
            log.warning("GET DATA refused by Asterisk (%d)", res.code)
            return None
        digits = "".join(c for c in res.result if c in DTMF_KEYS)
        if digits:
            return digits
        if not res.timeout and wait.max_digits == 1:
            return "#"  # GET DATA ended by its built-in terminator with no digits
        return None

    async def _collect(self, wait: Wait, first: str | None) -> str | None:
        """WAIT FOR DIGIT until max digits, the finish key, or a timeout."""
        digits = ""
        key = first
        while True:
            if key is None:
                timeout = wait.timeout if not digits else self._opts.inter_digit_timeout
                res = await self._conn.command(f"WAIT FOR DIGIT {_ms(timeout)}")
                if res.number < 0:
                    raise AgiHangup("WAIT FOR DIGIT failed")
                key = self._key(res.number)
                if key is None:
                    break
            if wait.max_digits > 1 and wait.finish_key and key == wait.finish_key:
                break
            digits += key
            key = None
            if len(digits) >= wait.max_digits:
                break
        return digits or None
