"""Pure rules: caller ids, languages, flags, AGI reply parsing and quoting, figure speech."""

from __future__ import annotations

import argparse

import pytest

from engine.types import Reply
from gateways.ivr.agi_protocol import parse_reply, quote
from gateways.ivr.options import (
    IvrOptions,
    add_ivr_arguments,
    ivr_options_from_args,
    map_locale,
    parse_agi_address,
    service_from_number,
)
from gateways.ivr.speech import Segment, figure_segments, plan_speech, tts_argument


def test_service_and_locale_mapping() -> None:
    assert service_from_number("+8610086") == "10086"
    assert service_from_number("tel:10086") == "10086"
    assert [map_locale(x) for x in ("zh", "cmn", "zh_CN", "zh-TW", "en", "en_GB", "fr", None)] == [
        "zh", "zh", "zh", "zh", "en", "en", None, None]


def test_flags_round_trip_and_errors() -> None:
    p = argparse.ArgumentParser()
    add_ivr_arguments(p)
    opts = ivr_options_from_args(p.parse_args(
        ["--agi", "0.0.0.0:4573", "--ivr-tts-app", "MRCPSynth", "--ivr-transfer", "dial:PJSIP/{target}@pbx",
         "--ivr-prefer-audio"]))
    assert (opts.tts_app, opts.transfer_mode, opts.transfer_arg, opts.prefer_audio) == (
        "MRCPSynth", "dial", "PJSIP/{target}@pbx", True)
    assert parse_agi_address("0.0.0.0:4573") == ("0.0.0.0", 4573)
    assert parse_agi_address(":5000") == ("127.0.0.1", 5000)
    assert parse_agi_address("[::1]:4573") == ("::1", 4573)
    with pytest.raises(ValueError, match="--ivr-transfer: unknown mode 'fax'"):
        ivr_options_from_args(p.parse_args(["--ivr-transfer", "fax"]))
    with pytest.raises(ValueError, match="--ivr-transfer: goto needs an argument"):
        ivr_options_from_args(p.parse_args(["--ivr-transfer", "goto"]))
    with pytest.raises(ValueError, match="--agi: expected HOST:PORT"):
        ivr_options_from_args(p.parse_args(["--agi", "host:http"]))


@pytest.mark.parametrize(
    ("line", "code", "result", "note", "endpos"),
    [("200 result=0", 200, "0", "", None), ("200 result=49 endpos=1234", 200, "49", "", 1234),
     ("200 result= (timeout)", 200, "", "timeout", None), ("200 result=12 (timeout)", 200, "12", "timeout", None),
     ("200 result=-1 endpos=0", 200, "-1", "", 0), ("200 result=1 (dtmf) endpos=7", 200, "1", "dtmf", 7),
     ("510 Invalid or unknown command", 510, "", "", None)],
)
def test_parse_reply(line: str, code: int, result: str, note: str, endpos: int | None) -> None:
    parsed = parse_reply(line)
    assert parsed is not None
    r, more = parsed
    assert (r.code, r.result, r.note, r.endpos, more) == (code, result, note, endpos, False)


def test_parse_reply_multiline_and_garbage() -> None:
    first = parse_reply("520-Invalid command syntax.  Proper usage follows:")
    assert first is not None and first[1] is True and first[0].code == 520
    assert parse_reply("hello") is None and parse_reply("200 nothing") is None


def test_quote_escapes_and_flattens() -> None:
    assert quote('a "b" \\c\nd') == '"a \\"b\\" \\\\c d"'


def test_figures_and_speech_plan() -> None:
    assert figure_segments("50.00", "dot") == [Segment("number", "50"), Segment("file", "dot"),
                                               Segment("digits", "00")]
    assert figure_segments("10086", "dot") == [Segment("digits", "10086")]
    assert figure_segments("05", "dot") == [Segment("digits", "05")]
    reply = Reply(channel="ivr", msisdn="", text="余额12.5元，按1", audio=("intro",))
    assert plan_speech(reply, IvrOptions()) == [
        Segment("file", "intro"), Segment("number", "12"), Segment("file", "letters/dot"),
        Segment("digits", "5"), Segment("number", "1")]
    assert plan_speech(reply, IvrOptions(prefer_audio=True)) == [Segment("file", "intro")]
    assert plan_speech(reply, IvrOptions(tts_app="Festival")) == [Segment("tts", "余额12.5元，按1")]
    assert tts_argument("a, b", "en", "{text}|{lang}") == "a， b|en"
