"""GSM-7 / UCS2 encoding, concatenation headers and decoding (gateways/sms/codec.py)."""

from __future__ import annotations

import random

import pytest

from engine.clock import ManualClock
from engine.flow.channels import GSM7_BASIC, GSM7_EXT, sms_segments
from gateways.sms.codec import (
    GSM7_EXT_TABLE,
    GSM7_TABLE,
    CodecError,
    Concat,
    ConcatInfo,
    MtPart,
    concat_from_sar,
    decode_text,
    encode_single,
    encode_text,
    split_udh,
)
from gateways.sms.reassembly import Reassembler

GSM_CHARS = "".join(sorted(GSM7_BASIC | GSM7_EXT))
CJK_CHARS = "余额查询话费流量套餐办理退订积分兑换您好请按确认取消"
EMOJI = "😀🎉👍📱"
MODES: tuple[Concat, ...] = ("udh8", "udh16", "sar", "payload")


def receive(parts: list[MtPart], shuffle_seed: int | None = None) -> str:
    """What an SMSC's receiving side does: strip headers, decode, reassemble."""
    order = list(parts)
    if shuffle_seed is not None:
        random.Random(shuffle_seed).shuffle(order)
    reasm = Reassembler(ManualClock())
    result: list[str] = []
    for part in order:
        if part.esm_class & 0x40:
            info, body = split_udh(part.short_message, part.esm_class)
        else:
            info, body = concat_from_sar(part.tlvs), part.short_message
        payload = part.tlvs.get("message_payload")
        if isinstance(payload, bytes):
            body = payload
        text = reasm.add("447700900123>10086", info, decode_text(body, part.data_coding))
        if text is not None:
            result.append(text)
    assert len(result) == 1
    assert reasm.pending == 0
    return result[0]


def test_engine_sets_match_the_mapping_table() -> None:
    assert len(GSM7_TABLE) == 128 and GSM7_TABLE[0x1B] == "\x1b"
    assert set(GSM7_TABLE) - {"\x1b"} == GSM7_BASIC
    assert set(GSM7_EXT_TABLE) == GSM7_EXT


def test_known_bytes() -> None:
    assert encode_text("hello", ref=1) == [MtPart(b"hello", 0, 0, {})]
    assert encode_text("余额", ref=1) == [MtPart(b"\x4f\x59\x98\x9d", 8, 0, {})]
    assert encode_text("@£€", ref=1)[0].short_message == b"\x00\x01\x1b\x65"
    assert encode_text("😀", ref=1)[0].short_message == b"\xd8\x3d\xde\x00"
    # A lone surrogate is not a character: it goes as "?" rather than raising.
    assert encode_text("a\ud800", ref=1)[0].short_message == b"\x00a\x00?"


def test_161_gsm_chars_make_two_parts_with_udh() -> None:
    parts = encode_text("a" * 161, ref=0x2A)
    assert [p.short_message[:6] for p in parts] == [b"\x05\x00\x03\x2a\x02\x01", b"\x05\x00\x03\x2a\x02\x02"]
    assert [len(p.short_message) - 6 for p in parts] == [153, 8]
    assert all(p.esm_class == 0x40 and p.data_coding == 0 and p.tlvs == {} for p in parts)


def test_limits_single_and_per_part() -> None:
    assert len(encode_text("a" * 160, ref=1)) == 1
    assert len(encode_text("€" * 80, ref=1)) == 1
    assert len(encode_text("€" * 80 + "a", ref=1)) == 2
    assert len(encode_text("余" * 70, ref=1)) == 1
    assert [len(p.short_message) for p in encode_text("余" * 71, ref=1)] == [6 + 134, 6 + 8]
    assert [len(p.short_message) for p in encode_text("a" * 305, ref=1, concat="udh16")] == [
        7 + 152, 7 + 152, 7 + 1,
    ]


def test_sixteen_bit_reference() -> None:
    parts = encode_text("余" * 100, ref=0x1234, concat="udh16")
    assert parts[0].short_message[:7] == b"\x06\x08\x04\x12\x34\x02\x01"
    assert split_udh(parts[1].short_message, 0x40)[0] == ConcatInfo(0x1234, 2, 2)


def test_sar_parts_carry_tlvs_and_no_udh() -> None:
    parts = encode_text("x" * 200, ref=0xBEEF, concat="sar")
    assert [p.tlvs for p in parts] == [
        {"sar_msg_ref_num": 0xBEEF, "sar_total_segments": 2, "sar_segment_seqnum": 1},
        {"sar_msg_ref_num": 0xBEEF, "sar_total_segments": 2, "sar_segment_seqnum": 2},
    ]
    assert [len(p.short_message) for p in parts] == [153, 47]
    assert all(p.esm_class == 0 for p in parts)


def test_payload_is_one_part_and_short_text_stays_in_short_message() -> None:
    [part] = encode_text("y" * 400, ref=1, concat="payload")
    assert part.short_message == b"" and part.tlvs == {"message_payload": b"y" * 400}
    assert encode_text("short", ref=1, concat="payload") == [MtPart(b"short", 0, 0, {})]


def test_escape_pair_never_split() -> None:
    text = "a" * 152 + "€" + "b" * 10
    parts = encode_text(text, ref=7)
    first = parts[0].short_message[6:]
    assert first == b"a" * 152 and parts[1].short_message[6:8] == b"\x1b\x65"
    assert receive(parts) == text


def test_surrogate_pair_never_split() -> None:
    text = "余" * 66 + "😀" + "额" * 5
    parts = encode_text(text, ref=9)
    assert len(parts[0].short_message) == 6 + 132
    assert parts[1].short_message[6:10] == "😀".encode("utf-16-be")
    assert receive(parts) == text


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    "text",
    [
        "Your balance is 12.50 EUR. Reply 1 for {more} [details] ~ ^ | \\ €" * 4,
        "尊敬的客户，您本月话费余额为35.20元，流量剩余1.2GB。回复1查询详单，回复0000查询订购。" * 3,
        "Party time " + EMOJI * 40,
        "€" * 400,
    ],
)
def test_round_trip_shuffled(mode: Concat, text: str) -> None:
    for seed in range(3):
        assert receive(encode_text(text, ref=200 + seed, concat=mode), seed) == text


@pytest.mark.parametrize("mode", MODES)
def test_random_strings_round_trip(mode: Concat) -> None:
    rng = random.Random(1234)
    for _ in range(150):
        alphabet = rng.choice([GSM_CHARS, GSM_CHARS + CJK_CHARS, CJK_CHARS + EMOJI, "€[]a"])
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 700)))
        parts = encode_text(text, ref=rng.randint(0, 0xFFFF), concat=mode)
        for p in parts:
            assert len(p.short_message) <= (160 if p.data_coding == 0 else 140)
        assert receive(parts, rng.randint(0, 99)) == text


def test_the_engine_counts_sms_parts_as_the_encoder_splits() -> None:
    """engine.channels.sms_segments (flow lint, the phone's panel) agrees with what encode_text sends."""
    texts = ["hello", "€" * 80, "a" * 152 + "€" + "a" * 7, "余额" + EMOJI[0], "a" * 161, "余" * 135, "b" * 1000,
             # the escape pair moves whole to the next part: 3 parts where a plain septet count says 2
             "a" * 152 + "€" + "a" * 152]
    for text in texts:
        parts = encode_text(text, ref=1)
        enc = "gsm7" if parts[0].data_coding == 0 else "ucs2"
        assert sms_segments(text) == (enc, len(parts)), text
    assert len(encode_text("a" * 152 + "€" + "a" * 152, ref=1)) == 3


def test_too_long_for_255_parts() -> None:
    with pytest.raises(CodecError):
        encode_text("a" * 153 * 256, ref=1)


@pytest.mark.parametrize(
    ("data", "dc", "text"),
    [
        (b"hello", 0, "hello"),
        (b"\x00\x1b\x3c\x1b\x3e", 0, "@[]"),
        (b"\x1b\x41", 0, "A"),  # unknown extension shows the basic character
        (b"a@!", 1, "a@!"),
        (b"caf\xe9", 3, "café"),
        (b"\x4f\x59\x98\x9d", 8, "余额"),
        (b"hi", 0x10, "hi"),  # class 0 (flash), GSM-7
        (b"\x4f\x59", 0x18, "余"),  # class 0, UCS2
        (b"hi", 0xF1, "hi"),
    ],
)
def test_decode(data: bytes, dc: int, text: str) -> None:
    assert decode_text(data, dc) == text


@pytest.mark.parametrize(
    ("data", "dc"),
    [
        (b"\x4f\x59\x98", 8),  # odd UCS2
        (b"\xd8\x3d", 8),  # lone surrogate
        (b"caf\xe9", 0),  # octet above 0x7F in GSM-7
        (b"ok\x1b", 0),  # dangling escape
        (b"\xff", 1),
        (b"\x01\x02", 2),
        (b"\x01\x02", 4),
        (b"\x01\x02", 0xF4),
        (b"text", 0x0E),
    ],
)
def test_decode_errors(data: bytes, dc: int) -> None:
    with pytest.raises(CodecError):
        decode_text(data, dc)


def test_split_udh_skips_other_elements() -> None:
    # Port addressing (0x05, 4 octets) before an 8-bit concatenation element.
    sm = b"\x0b\x05\x04\x0b\x84\x23\xf0\x00\x03\x99\x03\x02body"
    assert split_udh(sm, 0x43) == (ConcatInfo(0x99, 3, 2), b"body")
    assert split_udh(b"\x03\x05\x01\x00rest", 0x40) == (None, b"rest")
    assert split_udh(b"\x05\x00\x03\x01\x02\x01x", 0x00) == (None, b"\x05\x00\x03\x01\x02\x01x")


@pytest.mark.parametrize(
    "sm",
    [
        b"",
        b"\x09\x00\x03\x01",  # header longer than the message
        b"\x05\x00\x04\x01\x02\x01",  # element runs past the header
        b"\x04\x00\x02\x01\x02x",  # wrong length for IE 0x00
        b"\x05\x00\x03\x01\x02\x03x",  # part 3 of 2
        b"\x05\x00\x03\x01\x00\x00x",  # total 0
        b"\x01\x00x",  # lone IEI without length
    ],
)
def test_split_udh_rejects_broken_headers(sm: bytes) -> None:
    with pytest.raises(CodecError):
        split_udh(sm, 0x40)


def test_concat_from_sar() -> None:
    assert concat_from_sar({}) is None
    assert concat_from_sar({"sar_msg_ref_num": b"\x01\x02", "sar_total_segments": 3,
                            "sar_segment_seqnum": b"\x02"}) == ConcatInfo(0x102, 3, 2)
    with pytest.raises(CodecError):
        concat_from_sar({"sar_msg_ref_num": 1, "sar_total_segments": 2})
    with pytest.raises(CodecError):
        concat_from_sar({"sar_msg_ref_num": 1, "sar_total_segments": 2, "sar_segment_seqnum": 5})


def test_encode_single_never_splits() -> None:
    assert encode_single("a" * 182) == (b"a" * 182, 0)
    assert encode_single("余额😀") == ("余额😀".encode("utf-16-be"), 8)
