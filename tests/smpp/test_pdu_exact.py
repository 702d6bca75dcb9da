"""SMPP PDU framing and field layouts to the octet, with the exact error texts (issue #17).

``test_smpp_units`` checks our bytes against smpplib's for the PDUs we send; these
pin what smpplib cannot: the SMPP 3.4 field table we compile from its classes,
every way a frame can be cut short or run long (at the limit and one past it),
TLVs that no class lists, and how a TCP stream is cut into frames.
"""

from __future__ import annotations

import asyncio
import struct

import pytest
from smpplib import command as sc

from gateways.sms.layout import CSTR, FLAG, INT, LAYOUTS, OSTR, FieldSpec, Layout, _compile, decode_body, encode_body
from gateways.sms.pdu import (
    ESME_RINVCMDID,
    ESME_RINVCMDLEN,
    ESME_RTHROTTLED,
    FrameReader,
    FramingError,
    Pdu,
    PduError,
    decode,
    encode,
    response_name,
)


def header(length: int, command_id: int, status: int = 0, seq: int = 7) -> bytes:
    return struct.pack(">LLLL", length, command_id, status, seq)


def frame(command_id: int, body: bytes, status: int = 0, seq: int = 7) -> bytes:
    return header(16 + len(body), command_id, status, seq) + body


def tlv(tag: int, data: bytes) -> bytes:
    return struct.pack(">HH", tag, len(data)) + data


DELIVER_SM = 0x00000005
#: A deliver_sm's mandatory part with an empty short_message: 12 C-strings and integers, then sm_length 0.
DELIVER_HEAD = b"\x00" + b"\x01\x01" + b"8613800138000\x00" + b"\x00\x00" + b"10086\x00" + b"\x00" * 3 \
    + b"\x00\x00" + b"\x00" * 4 + b"\x00"


def malformed(data: bytes) -> PduError:
    with pytest.raises(PduError) as err:
        decode(data)
    return err.value


# --- the field table, compiled from smpplib's classes -----------------------------------

def test_submit_sm_compiles_to_the_smpp_3_4_table() -> None:
    """SMPP 3.4 §4.4.1: names, order, C-string maxima (NUL included) and integer widths."""
    layout = _compile(sc.SubmitSM)
    assert [(f.name, f.kind, f.size, f.len_field) for f in layout.mandatory] == [
        ("service_type", CSTR, 6, None), ("source_addr_ton", INT, 1, None), ("source_addr_npi", INT, 1, None),
        ("source_addr", CSTR, 21, None), ("dest_addr_ton", INT, 1, None), ("dest_addr_npi", INT, 1, None),
        ("destination_addr", CSTR, 21, None), ("esm_class", INT, 1, None), ("protocol_id", INT, 1, None),
        ("priority_flag", INT, 1, None), ("schedule_delivery_time", CSTR, 17, None),
        ("validity_period", CSTR, 17, None), ("registered_delivery", INT, 1, None),
        ("replace_if_present_flag", INT, 1, None), ("data_coding", INT, 1, None),
        ("sm_default_msg_id", INT, 1, None), ("sm_length", INT, 1, None), ("short_message", OSTR, 0, "sm_length"),
    ]
    assert layout.tlvs["ussd_service_op"] == FieldSpec("ussd_service_op", INT, 1)
    assert layout.tlvs["its_session_info"] == FieldSpec("its_session_info", INT, 2)
    assert layout.tlvs["message_payload"] == FieldSpec("message_payload", OSTR, 0)
    assert layout.tlvs["alert_on_message_delivery"] == FieldSpec("alert_on_message_delivery", FLAG)
    assert layout.tlvs["source_subaddress"] == FieldSpec("source_subaddress", CSTR, 23)
    assert _compile(sc.DeliverSM).tlvs["network_error_code"] == FieldSpec("network_error_code", OSTR, 3)
    assert _compile(sc.DataSM).tlvs["qos_time_to_live"] == FieldSpec("qos_time_to_live", INT, 4)


def test_a_field_the_class_forces_mandatory_stays_in_the_body_though_it_is_a_tlv_name() -> None:
    """query_sm_resp's message_state is a TLV name elsewhere; smpplib lists it as mandatory (one string)."""
    layout = _compile(sc.QuerySMResp)
    assert [f.name for f in layout.mandatory] == ["message_id", "final_date", "message_state", "error_code"]
    assert layout.tlvs == {}


# --- encoding ---------------------------------------------------------------------------

def test_integers_are_big_endian_in_their_width_and_absent_values_are_zero_or_empty() -> None:
    layout = Layout((FieldSpec("a", INT, 2), FieldSpec("b", INT, 1), FieldSpec("s", CSTR, 4),
                     FieldSpec("o", OSTR, 2)), {})
    fields = {"a": 0x0102, "b": None, "s": None, "o": b"\x09\x08"}
    assert encode_body("x", layout, fields) == b"\x01\x02\x00\x00\x09\x08"
    assert encode_body("x", layout, {}) == b"\x00\x00\x00\x00"
    assert encode_body("x", layout, {"s": b"ab"}) == b"\x00\x00\x00ab\x00"  # octets pass as they are


def test_a_c_string_one_octet_under_its_maximum_fits_and_at_the_maximum_is_refused() -> None:
    layout = Layout((FieldSpec("addr", CSTR, 4),), {})
    assert encode_body("x", layout, {"addr": "abc"}) == b"abc\x00"
    assert encode_body("x", layout, {"addr": "é"}) == b"\xe9\x00"  # latin-1, one octet
    with pytest.raises(ValueError) as err:
        encode_body("x", layout, {"addr": "abcd"})
    assert str(err.value) == "addr is 4 octets; at most 3 allowed"


def test_sm_length_is_counted_from_the_short_message() -> None:
    body = encode_body("submit_sm", LAYOUTS["submit_sm"], {"short_message": b"hello"})
    assert body[-6:] == b"\x05hello"
    assert encode_body("submit_sm", LAYOUTS["submit_sm"], {})[-1:] == b"\x00"


def test_tlvs_follow_in_layout_order_then_unlisted_ones_and_none_or_false_flags_are_left_out() -> None:
    fields = {"ussd_service_op": 2, "message_payload": None, "its_session_info": 0x0102,
              "alert_on_message_delivery": False}
    body = encode_body("submit_sm", LAYOUTS["submit_sm"], fields)
    bare = encode_body("submit_sm", LAYOUTS["submit_sm"], {})
    assert body == bare + tlv(0x1383, b"\x01\x02") + tlv(0x0501, b"\x02")
    flagged = encode_body("submit_sm", LAYOUTS["submit_sm"], {"alert_on_message_delivery": True, "its_reply_type": 1})
    assert flagged == bare + tlv(0x130C, b"") + tlv(0x1380, b"\x01")
    # deliver_sm's class lacks ussd_service_op (python-smpplib#104): any class's TLV of that name is used
    deliver = encode_body("deliver_sm", LAYOUTS["deliver_sm"], {"ussd_service_op": 17, "sar_msg_ref_num": 9})
    assert deliver == encode_body("deliver_sm", LAYOUTS["deliver_sm"], {}) + tlv(0x020C, b"\x00\x09") \
        + tlv(0x0501, b"\x11")


def test_a_command_s_own_tlv_wins_over_another_class_s_of_that_name() -> None:
    """smpplib gives source_addr_subunit 2 octets in submit_sm, 1 in data_sm (SMPP 3.4 §5.3.2.1 says 1);
    network_error_code is a C-string in data_sm_resp only."""
    bare = encode_body("data_sm", LAYOUTS["data_sm"], {})
    assert encode_body("data_sm", LAYOUTS["data_sm"], {"source_addr_subunit": 1}) == bare + tlv(0x000D, b"\x01")
    resp = decode(frame(0x80000103, b"\x00" + tlv(0x0423, b"abc\x00"))).fields
    assert resp == {"message_id": "", "network_error_code": "abc"}


def test_a_field_no_class_knows_is_refused_by_name() -> None:
    with pytest.raises(ValueError) as err:
        encode_body("submit_sm", LAYOUTS["submit_sm"], {"short_message": b"", "colour": 1})
    assert str(err.value) == "submit_sm has no field 'colour'"
    with pytest.raises(ValueError) as err:
        encode(Pdu("deliver_sm", 1, 0, {"colour": 1}))
    assert str(err.value) == "deliver_sm has no field 'colour'"


def test_error_responses_and_bodiless_commands_are_a_bare_header() -> None:
    assert encode(Pdu("submit_sm_resp", 9, ESME_RTHROTTLED, {"message_id": "x"})) == header(16, 0x80000004, 0x58, 9)
    assert encode(Pdu("enquire_link", 3)) == header(16, 0x00000015, 0, 3)
    assert encode(Pdu("submit_sm_resp", 9, 0, {"message_id": "ab"})) == header(19, 0x80000004, 0, 9) + b"ab\x00"
    # a successful response has its body; so has a request, whatever its status field says
    assert encode(Pdu("deliver_sm_resp", 4, 0)) == header(17, 0x80000005, 0, 4) + b"\x00"
    assert encode(Pdu("submit_sm_resp", 4, 0)) == header(17, 0x80000004, 0, 4) + b"\x00"
    assert len(encode(Pdu("submit_sm", 4, 1))) == 16 + len(encode_body("submit_sm", LAYOUTS["submit_sm"], {}))


def test_response_names() -> None:
    assert response_name("submit_sm") == "submit_sm_resp"
    assert response_name("enquire_link") == "enquire_link_resp"
    assert response_name("outbind") == "generic_nack"  # no outbind_resp in SMPP 3.4
    assert Pdu("deliver_sm", 1, fields={"a": 1}).get("a") == 1 and Pdu("deliver_sm", 1).get("b", 2) == 2


# --- decoding ---------------------------------------------------------------------------

def test_a_frame_shorter_than_its_header() -> None:
    err = malformed(b"\x00" * 15)
    assert (str(err), err.status, err.seq, err.command) == ("PDU shorter than its header", ESME_RINVCMDLEN, 0, None)


def test_unknown_and_unsupported_command_ids_name_the_id_in_hex() -> None:
    err = malformed(header(16, 0x000000FF, seq=4))
    assert (str(err), err.status, err.seq) == ("unknown command_id 0x000000ff", ESME_RINVCMDID, 4)
    err = malformed(header(16, 0x00000008, seq=5))  # cancel_sm: SMPP has it, we do not speak it
    assert (str(err), err.status, err.seq) == ("unknown command_id 0x00000008", ESME_RINVCMDID, 5)


def test_header_values_and_a_bodiless_or_empty_frame() -> None:
    pdu = decode(header(16, 0x80000015, 0, 0x01020304))
    assert (pdu.command, pdu.seq, pdu.status, pdu.fields) == ("enquire_link_resp", 0x01020304, 0, {})
    assert decode(header(16, 0x80000004, 0x58, 2)) == Pdu("submit_sm_resp", 2, 0x58)
    # a bodiless command ignores trailing octets; a 17-octet submit_sm_resp is parsed
    assert decode(header(18, 0x00000015, 0, 1) + b"\x00\x00") == Pdu("enquire_link", 1)
    assert decode(frame(0x80000004, b"\x00", 0, 8)) == Pdu("submit_sm_resp", 8, 0, {"message_id": ""})


def test_a_malformed_body_names_the_command_and_the_field() -> None:
    err = malformed(frame(0x80000004, b"abc", 0, 6))
    assert (str(err), err.status, err.seq, err.command) == (
        "malformed submit_sm_resp: message_id is not NUL-terminated within 65 octets", ESME_RINVCMDLEN, 6,
        "submit_sm_resp")


def test_c_strings_end_at_their_maximum() -> None:
    layout = Layout((FieldSpec("t", CSTR, 3), FieldSpec("n", INT, 1)), {})
    assert decode_body(layout, header(0, 0) + b"ab\x00\x05") == {"t": "ab", "n": 5}
    with pytest.raises(ValueError) as err:
        decode_body(layout, header(0, 0) + b"abc\x00\x05")
    assert str(err.value) == "t is not NUL-terminated within 3 octets"
    unbounded = Layout((FieldSpec("t", CSTR, 0),), {})
    assert decode_body(unbounded, header(0, 0) + b"\xe9" * 300 + b"\x00") == {"t": "é" * 300}
    assert decode_body(unbounded, header(0, 0) + b"\x00") == {"t": ""}


def test_integers_at_the_end_and_one_past_it() -> None:
    layout = Layout((FieldSpec("a", INT, 2), FieldSpec("b", INT, 2)), {})
    assert decode_body(layout, header(0, 0) + b"\x01\x02\x03\x04") == {"a": 0x0102, "b": 0x0304}
    assert decode_body(layout, header(0, 0) + b"\x01\x02") == {"a": 0x0102}  # the rest absent
    with pytest.raises(ValueError) as err:
        decode_body(layout, header(0, 0) + b"\x01\x02\x03")
    assert str(err.value) == "b runs past the end"


def test_an_octet_string_is_as_long_as_its_length_field_says() -> None:
    layout = LAYOUTS["deliver_sm"]
    pdu = decode(frame(DELIVER_SM, DELIVER_HEAD[:-1] + b"\x02YE"))
    assert pdu.fields["short_message"] == b"YE" and pdu.fields["sm_length"] == 2
    assert pdu.fields["source_addr"] == "8613800138000" and pdu.fields["source_addr_ton"] == 1
    with pytest.raises(ValueError) as err:
        decode_body(layout, header(0, 0) + DELIVER_HEAD[:-1] + b"\x03YE")
    assert str(err.value) == "short_message of 3 octets runs past the end"
    with pytest.raises(ValueError) as err:
        decode_body(layout, header(0, 0) + DELIVER_HEAD[:-1] + b"\x02")
    assert str(err.value) == "short_message of 2 octets is missing"
    assert decode_body(layout, header(0, 0) + DELIVER_HEAD).get("short_message", b"") == b""  # sm_length 0 at the end
    fixed = Layout((FieldSpec("o", OSTR, 2), FieldSpec("n", INT, 1)), {})
    assert decode_body(fixed, header(0, 0) + b"\x01\x02\x03") == {"o": b"\x01\x02", "n": 3}


def test_tlvs_by_kind_and_unknown_ones_are_skipped() -> None:
    body = DELIVER_HEAD + tlv(0x1234, b"vendor") + tlv(0x0501, b"\x02") + tlv(0x001E, b"0000abcd\x00") \
        + tlv(0x130C, b"") + tlv(0x0424, b"long text") + tlv(0x1383, b"\x01\x02")
    fields = decode(frame(DELIVER_SM, body)).fields
    assert fields["ussd_service_op"] == 2  # not in deliver_sm's class: read as any class has it
    assert fields["receipted_message_id"] == "0000abcd"
    assert fields["alert_on_message_delivery"] is True
    assert fields["message_payload"] == b"long text"
    long = decode(frame(DELIVER_SM, DELIVER_HEAD + tlv(0x0424, b"x" * 300) + tlv(0x001E, b"ABCX\x00"))).fields
    assert long["message_payload"] == b"x" * 300 and long["receipted_message_id"] == "ABCX"
    assert fields["its_session_info"] == 0x0102
    assert 0x1234 not in fields and "vendor" not in fields.values()


def test_a_tlv_no_class_declares_is_kept_as_octets() -> None:
    from gateways.sms.layout import TLV_NAMES
    tag, name = next((t, n) for t, n in sorted(TLV_NAMES.items())
                     if all(n not in layout.tlvs for layout in LAYOUTS.values()))
    assert decode_body(LAYOUTS["submit_sm_resp"], header(0, 0) + b"\x00" + tlv(tag, b"\x00\x07")) == {
        "message_id": "", name: b"\x00\x07"}


def test_tlv_headers_and_values_cut_short() -> None:
    head = header(0, 0) + DELIVER_HEAD
    layout = LAYOUTS["deliver_sm"]
    for cut in (1, 2, 3):
        with pytest.raises(ValueError) as err:
            decode_body(layout, head + tlv(0x0501, b"\x02")[:cut])
        assert str(err.value) == "truncated TLV header"
    with pytest.raises(ValueError) as err:
        decode_body(layout, head + struct.pack(">HH", 0x0424, 3) + b"ab")
    assert str(err.value) == "TLV 0x0424 of 3 octets runs past the end"
    assert decode_body(layout, head + struct.pack(">HH", 0x0424, 0))["message_payload"] == b""


# --- framing a TCP stream -----------------------------------------------------------------

async def frames_of(*chunks: bytes, max_len: int = 64) -> list[bytes | None]:
    stream = asyncio.StreamReader()
    for chunk in chunks:
        stream.feed_data(chunk)
    stream.feed_eof()
    reader = FrameReader(stream, max_len)
    out: list[bytes | None] = []
    while True:
        got = await reader.read()
        out.append(got)
        if got is None:
            return out


async def test_frames_are_cut_at_their_length_across_and_within_chunks() -> None:
    a, b = header(16, 0x15, seq=1), header(20, 0x15, seq=2) + b"abcd"
    assert await frames_of(a + b[:3], b[3:]) == [a, b, None]
    assert await frames_of(a[:2], a[2:9], a[9:]) == [a, None]
    assert await frames_of(a + b[:-1]) == [a, None]  # a partial frame at the end is dropped


async def test_lengths_at_the_bounds_and_one_past_them() -> None:
    at_max = header(64, 0x15) + b"\x00" * 48
    assert await frames_of(at_max, max_len=64) == [at_max, None]
    with pytest.raises(FramingError) as err:
        await frames_of(header(65, 0x15), max_len=64)
    assert str(err.value) == "PDU length 65 outside 16..64"
    with pytest.raises(FramingError) as err:
        await frames_of(header(15, 0x15)[:4], max_len=64)  # the length alone is enough to refuse
    assert str(err.value) == "PDU length 15 outside 16..64"
    with pytest.raises(FramingError) as err:
        await frames_of(header(0x8000_0010, 0x15), max_len=64)  # unsigned: not a negative length
    assert str(err.value) == "PDU length 2147483664 outside 16..64"


async def test_a_big_frame_arrives_whole_from_many_reads() -> None:
    big = header(70_000, 0x15) + b"\x01" * (70_000 - 16)
    stream = asyncio.StreamReader()
    stream.feed_data(big)
    stream.feed_eof()
    assert await FrameReader(stream, 80_000).read() == big
