"""SMS codec limits at their value and one past it, with the exact error texts.

Written from mutmut's survivors (issue #17): each test pins a boundary or a
message that a mutant could change without any older test noticing.
"""

from __future__ import annotations

import pytest

from gateways.sms.codec import (
    MAX_PARTS,
    CodecError,
    ConcatInfo,
    concat_from_sar,
    decode_text,
    encode_text,
    split_udh,
)

UDHI = 0x40


def refused(data: bytes, dc: int) -> str:
    with pytest.raises(CodecError) as err:
        decode_text(data, dc)
    return str(err.value)


# --- GSM-7 decoding -------------------------------------------------------

def test_0x7f_is_a_septet_and_0x80_is_the_first_octet_refused() -> None:
    assert decode_text(b"\x7f", 0) == "à"
    assert refused(b"\x7f\x80", 0) == "octet 0x80 at 1 is not a GSM-7 septet"
    # 0x80 alone: the search for the bad octet must find it, not run dry.
    assert refused(b"\x80", 0) == "octet 0x80 at 0 is not a GSM-7 septet"
    assert refused(b"ab\xff", 0) == "octet 0xff at 2 is not a GSM-7 septet"


def test_escape_rules() -> None:
    assert decode_text(b"\x1b\x65", 0) == "€"
    # 23.038: ESC ESC shows as a space, an unknown extension as the base character.
    assert decode_text(b"\x1b\x1b", 0) == " "
    assert decode_text(b"A\x1b\x41", 0) == "AA"
    assert refused(b"A\x1b", 0) == "GSM-7 escape at the end of the message"


# --- data_coding -----------------------------------------------------------

@pytest.mark.parametrize(("dc", "alphabet"), [
    (0x00, "gsm7"), (0x01, "ascii"), (0x03, "latin-1"), (0x08, "ucs2"),
    (0x10, "gsm7"), (0x11, "gsm7"), (0x18, "ucs2"),
    (0x40, "gsm7"), (0x48, "ucs2"), (0x4B, "ucs2"),
    (0xF0, "gsm7"), (0xF1, "gsm7"), (0xF3, "gsm7"),
])
def test_data_codings_read_as_text(dc: int, alphabet: str) -> None:
    samples = {"gsm7": (b"\x00A", "@A"), "ascii": (b"~A", "~A"), "latin-1": (b"\xe9", "é"),
               "ucs2": (b"\x4f\x60", "你")}
    data, text = samples[alphabet]
    assert decode_text(data, dc) == text


@pytest.mark.parametrize("dc", [0x02, 0x04])
def test_binary_data_codings_are_refused_by_name(dc: int) -> None:
    assert refused(b"A", dc) == f"data_coding {dc} is 8-bit binary data, not text"


@pytest.mark.parametrize("dc", [
    0x05, 0x0F,        # reserved
    0x14, 0x1C, 0x1F,  # group 1: 8-bit data, reserved alphabet
    0x20, 0x3F,        # compressed groups
    0x4C, 0x4F, 0x50,  # group 4 reserved alphabet; group 5
    0xE0, 0xF4, 0xFF,  # group E; group F with 8-bit data
    0x100,             # not an octet at all
])
def test_other_data_codings_are_refused(dc: int) -> None:
    assert refused(b"A", dc) == f"data_coding 0x{dc:02x} is not a supported text coding"


def test_ucs2_errors() -> None:
    assert refused(b"\x00A\x00", 8) == "UCS2 text of odd length 3"
    assert refused(b"\xd8\x3d", 8) == "not valid utf-16-be: unexpected end of data at octet 0"
    assert refused(b"\xe9\xff", 1) == "not valid ascii: ordinal not in range(128) at octet 0"


# --- cutting into parts -------------------------------------------------------

def test_two_full_parts_make_exactly_two_parts() -> None:
    parts = encode_text("a" * 306, ref=1)  # 2 x 153: no empty third part
    assert [len(p.short_message) for p in parts] == [159, 159]
    assert parts[-1].short_message[:6] == bytes((5, 0, 3, 1, 2, 2))


def test_high_surrogate_at_dbxx_is_not_split() -> None:
    # U+10FFFD is D BFF DFFD in UTF-16: the top of the high-surrogate range.
    text = "a" * 66 + "\U0010fffd" + "b" * 10
    parts = encode_text(text, ref=1)
    assert [len(p.short_message) - 6 for p in parts] == [132, 24]
    assert parts[1].short_message[6:8] == b"\xdb\xff"


def test_payload_part_has_no_udhi() -> None:
    (part,) = encode_text("a" * 161, ref=1, concat="payload")
    assert (part.short_message, part.esm_class, part.tlvs) == (b"", 0, {"message_payload": b"a" * 161})


def test_255_parts_allowed_256_refused() -> None:
    assert len(encode_text("a" * (153 * MAX_PARTS), ref=1)) == 255
    with pytest.raises(CodecError) as err:
        encode_text("a" * (153 * MAX_PARTS + 1), ref=1)
    assert str(err.value) == "text needs 256 parts; concatenation allows 255"


# --- user data headers -------------------------------------------------------

def udh_refused(sm: bytes) -> str:
    with pytest.raises(CodecError) as err:
        split_udh(sm, UDHI)
    return str(err.value)


def test_header_filling_the_whole_message_is_fine() -> None:
    assert split_udh(bytes((5, 0, 3, 7, 2, 1)), UDHI) == (ConcatInfo(7, 2, 1), b"")
    assert udh_refused(bytes((5, 0, 3, 7, 2))) == "UDH length 5 runs past the 5-octet message"
    assert udh_refused(b"") == "UDH indicator set but the message is empty"


def test_zero_length_element_and_truncated_elements() -> None:
    # An unknown element with no data is skipped; the last two octets are the text.
    assert split_udh(bytes((2, 0x70, 0)) + b"hi", UDHI) == (None, b"hi")
    assert udh_refused(bytes((1, 0x70)) + b"hi") == "truncated information element in UDH"
    assert udh_refused(bytes((3, 0x70, 2, 1)) + b"hi") == "UDH element 0x70 is truncated"


@pytest.mark.parametrize(("sm", "message"), [
    (bytes((4, 0x00, 2, 7, 2)), "concatenation element 0x00 has length 2, not 3"),
    (bytes((6, 0x00, 4, 7, 2, 1, 0)), "concatenation element 0x00 has length 4, not 3"),
    (bytes((5, 0x08, 3, 0, 7, 2)), "concatenation element 0x08 has length 3, not 4"),
    (bytes((7, 0x08, 5, 0, 7, 2, 1, 0)), "concatenation element 0x08 has length 5, not 4"),
])
def test_concatenation_element_of_the_wrong_length_is_refused(sm: bytes, message: str) -> None:
    assert udh_refused(sm + b"text") == message


def test_sixteen_bit_reference_is_big_endian() -> None:
    assert split_udh(bytes((6, 0x08, 4, 0x12, 0x34, 3, 2)), UDHI)[0] == ConcatInfo(0x1234, 3, 2)


@pytest.mark.parametrize(("total", "seq", "ok"), [
    (1, 1, True), (2, 2, True), (0, 0, False), (0, 1, False), (2, 0, False), (2, 3, False),
])
def test_part_numbers(total: int, seq: int, ok: bool) -> None:
    sm = bytes((5, 0, 3, 9, total, seq))
    if ok:
        assert split_udh(sm, UDHI)[0] == ConcatInfo(9, total, seq)
    else:
        assert udh_refused(sm) == f"concatenation part {seq} of {total} is impossible"


def test_sar_values_as_big_endian_bytes_and_errors() -> None:
    tlvs = {"sar_msg_ref_num": b"\x01\x02", "sar_total_segments": b"\x03", "sar_segment_seqnum": 2}
    assert concat_from_sar(tlvs) == ConcatInfo(0x0102, 3, 2)
    with pytest.raises(CodecError) as err:
        concat_from_sar({"sar_msg_ref_num": 1, "sar_segment_seqnum": 1})
    assert str(err.value) == "SAR TLV sar_total_segments is missing or not a number"
    with pytest.raises(CodecError) as err:
        concat_from_sar({**tlvs, "sar_segment_seqnum": "2"})
    assert str(err.value) == "SAR TLV sar_segment_seqnum is missing or not a number"
