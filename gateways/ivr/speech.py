"""Turn a Reply into what an IVR can actually play: files, figures, synthesised text.

The engine's text is always complete; its audio ids may cover only part of it
(a recorded welcome before a rendered menu) and can never hold a live
balance. So a reply becomes a list of segments, chosen by two settings:

* a TTS application is configured → speak the text with it; with
  ``prefer_audio`` the recorded ids play instead when the reply has any;
* no TTS → play the recorded ids, then the figures found in the text with
  the platform's number sayer (``50.00`` → SAY NUMBER 50, the point sound,
  SAY DIGITS 00); with ``prefer_audio`` the figures are only spoken when the
  reply has no recording.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from engine.types import Reply
from gateways.ivr.options import IvrOptions

SegmentKind = Literal["file", "number", "digits", "tts"]
_FIGURE_RE = re.compile(r"\d+(?:\.\d+)?")


@dataclass(frozen=True, slots=True)
class Segment:
    kind: SegmentKind
    value: str


def figure_segments(figure: str, point_sound: str) -> list[Segment]:
    """One figure → segments: amounts split at the point, long ids read digit by digit.

    An integer with a leading zero or of five digits or more (10086, a phone
    number) is read digit by digit; shorter ones as a number.
    """
    whole, _, fraction = figure.partition(".")
    if not whole.isdigit() or (fraction and not fraction.isdigit()):
        return []
    if fraction:
        return [Segment("number", str(int(whole))), Segment("file", point_sound),
                Segment("digits", fraction)]
    if len(whole) >= 5 or (len(whole) > 1 and whole.startswith("0")):
        return [Segment("digits", whole)]
    return [Segment("number", whole)]


def plan_speech(reply: Reply, opts: IvrOptions) -> list[Segment]:
    """The segments that speak ``reply`` on Asterisk (see the module rules)."""
    audio = [Segment("file", a) for a in reply.audio]
    if audio and opts.prefer_audio:
        return audio
    if opts.tts_app:
        return [Segment("tts", reply.text)] if reply.text.strip() else []
    figures = _FIGURE_RE.findall(reply.text)
    return audio + [s for f in figures for s in figure_segments(f, opts.point_sound)]


def tts_argument(text: str, lang: str, template: str) -> str:
    """Text for an Asterisk application argument.

    Asterisk splits application arguments at commas and treats quotes
    specially, so ASCII commas become full-width ones and quotes are dropped.
    """
    clean = re.sub(r"\s+", " ", text).replace(",", "，").replace('"', "").replace("\\", "")
    return template.replace("{lang}", lang).replace("{text}", clean.strip())
