"""Pieces of the SMS gateway on their own: PDU codec (checked against smpplib),
options, token bucket, msisdn normalisation, receipts, MT tracking."""

from __future__ import annotations

import argparse
from typing import Any

import pytest
import smpplib.smpp

from engine.clock import ManualClock
from gateways.sms.mo import MoIntake, parse_receipt
from gateways.sms.options import SmppOptions, add_smpp_arguments, smpp_options_from_args
from gateways.sms.outbox import TokenBucket
from gateways.sms.pdu import ESME_RINVCMDID, Pdu, PduError, decode, encode
from gateways.sms.tracking import MtTracker

SUBMIT: dict[str, Any] = {
    "service_type": "", "source_addr_ton": 0, "source_addr_npi": 0, "source_addr": "10086",
    "dest_addr_ton": 1, "dest_addr_npi": 1, "destination_addr": "8613800138000", "esm_class": 0x40,
    "registered_delivery": 1, "data_coding": 8,
    "short_message": b"\x05\x00\x03\x07\x02\x01" + "余额".encode("utf-16-be"),
}


def smpplib_bytes(command: str, seq: int, **fields: Any) -> bytes:
    """What smpplib itself generates for the same PDU (str for its C-strings)."""
    pdu = smpplib.smpp.make_pdu(command, sequence=seq, allow_unknown_opt_params=True, **fields)
    pdu.sequence = seq
    data: bytes = pdu.generate()
    return data


@pytest.mark.parametrize(("command", "fields"), [
    ("submit_sm", SUBMIT),
    ("submit_sm", {**SUBMIT, "ussd_service_op": 2, "its_session_info": 0x0102, "sar_msg_ref_num": 9}),
    ("bind_transceiver", {"system_id": "menuflow", "password": "secret", "system_type": "", "interface_version": 0x34,
                          "addr_ton": 0, "addr_npi": 0, "address_range": ""}),
    ("submit_sm_resp", {"message_id": "0000abcd"}),
    ("deliver_sm_resp", {}),
])
def test_our_bytes_are_smpplibs_bytes(command: str, fields: dict[str, Any]) -> None:
    assert encode(Pdu(command, 42, 0, dict(fields))) == smpplib_bytes(command, 42, **fields)


def test_smpplib_parses_what_we_send_and_we_parse_what_it_sends() -> None:
    ours = encode(Pdu("submit_sm", 5, 0, dict(SUBMIT)))
    theirs = smpplib.smpp.parse_pdu(ours, sequence=0, allow_unknown_opt_params=True)
    assert (theirs.short_message, theirs.destination_addr) == (SUBMIT["short_message"], b"8613800138000")
    back = decode(smpplib_bytes("deliver_sm", 6, source_addr="8613800138000", destination_addr="10086",
                                short_message=b"YE", receipted_message_id="abc", message_state=2))
    assert back.fields["short_message"] == b"YE" and back.fields["receipted_message_id"] == "abc"
    assert back.fields["message_state"] == 2 and back.fields["sm_length"] == 2


def test_deliver_sm_with_ussd_service_op_decodes() -> None:
    """smpplib raises KeyError here (python-smpplib#104); we must not."""
    frame = encode(Pdu("deliver_sm", 7, 0, {"source_addr": "8613800138000", "destination_addr": "*100#",
                                             "short_message": b"*100#", "ussd_service_op": 1,
                                             "its_session_info": 0x0101}))
    with pytest.raises(KeyError):
        smpplib.smpp.parse_pdu(frame, sequence=0, allow_unknown_opt_params=True)
    pdu = decode(frame)
    assert (pdu.fields["ussd_service_op"], pdu.fields["its_session_info"]) == (1, 0x0101)


@pytest.mark.parametrize(("hexframe", "status"), [
    ("00000010000000ff0000000000000001", ESME_RINVCMDID),   # unknown command_id
    ("00000015000000050000000000000002" "0101ffffff", 0x02),  # deliver_sm cut short
    ("00000021000000050000000000000003" + "00" * 16 + "05", 0x02),  # sm_length past the end
])
def test_malformed_frames_raise_pdu_error_with_the_status_to_answer(hexframe: str, status: int) -> None:
    with pytest.raises(PduError) as err:
        decode(bytes.fromhex(hexframe))
    assert err.value.status == status and err.value.seq in (1, 2, 3)


def test_unknown_field_and_over_long_address_are_refused() -> None:
    with pytest.raises(ValueError):
        encode(Pdu("submit_sm", 1, 0, {"no_such_field": 1}))
    with pytest.raises(ValueError):
        encode(Pdu("submit_sm", 1, 0, {"destination_addr": "1" * 21}))


def test_options_from_the_command_line() -> None:
    parser = argparse.ArgumentParser()
    add_smpp_arguments(parser)
    assert smpp_options_from_args(parser.parse_args([])) is None
    args = parser.parse_args(["--smpp", "smsc.example:2776", "--smpp-system-id", "menuflow", "--smpp-password",
                              "pw", "--sms-shortcode", "10086", "--smpp-bind-mode", "pair", "--smpp-tps", "20",
                              "--smpp-concat", "sar"])
    opts = smpp_options_from_args(args)
    assert opts is not None
    assert (opts.host, opts.port, opts.system_id, opts.password, opts.bind_mode, opts.tps, opts.concat) == (
        "smsc.example", 2776, "menuflow", "pw", "pair", 20.0, "sar")


def test_bad_options_name_the_option_and_hide_the_password() -> None:
    with pytest.raises(ValueError, match="bind_mode"):
        SmppOptions(bind_mode="both")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"password: invalid value \*\*\*"):
        SmppOptions(password="much-too-long")


def test_token_bucket_paces_to_the_rate() -> None:
    now = [0.0]
    bucket = TokenBucket(10.0, burst=2, now=lambda: now[0])
    assert bucket.take() == 0 and bucket.take() == 0
    assert bucket.take() == pytest.approx(0.1)
    now[0] += 0.1
    assert bucket.take() == 0
    assert TokenBucket(0).take() == 0


@pytest.mark.parametrize(("addr", "ton", "want"), [
    ("+8613800138000", 0, "8613800138000"), ("8613800138000", 1, "8613800138000"),
    ("008613800138000", 0, "8613800138000"), ("13800138000", 2, "8613800138000"),
    ("13800138000", 0, "8613800138000"), ("8613800138000", 0, "8613800138000"),
    ("CMCC-10", 5, "10"), ("Bank", 5, "Bank"),
])
def test_mo_sender_is_read_with_its_type_of_number(addr: str, ton: int, want: str) -> None:
    mo = Pdu("deliver_sm", 1, 0, {"source_addr": addr, "source_addr_ton": ton, "destination_addr": "10086",
                                   "short_message": b"1", "data_coding": 0})
    accepted = MoIntake(SmppOptions(), ManualClock()).accept(mo)
    assert accepted.inbound is not None and accepted.inbound.msisdn == want


def test_receipt_from_text_or_tlvs() -> None:
    text = "id:0000002a sub:001 dlvrd:001 submit date:2601011200 done date:2601011201 stat:UNDELIV err:001 text:"
    assert parse_receipt({}, text) == parse_receipt({"receipted_message_id": "0000002a"}, text)
    assert parse_receipt({}, text).state == "UNDELIV"
    assert parse_receipt({"receipted_message_id": "x", "message_state": 2}, "").state == "DELIVRD"


def test_tracker_states() -> None:
    t = MtTracker(max_records=2)
    t.new("mt1", "8613800138000", 2)
    assert not t.accepted("mt1", 1, "a") and t.accepted("mt1", 2, "b")
    t.receipt("a", "DELIVRD")
    rec = t.receipt("b", "DELIVRD")
    assert rec is not None and rec.state == "delivered"
    t.new("mt2", "x", 1)
    t.new("mt3", "x", 1)
    assert t.get("mt1") is None and t.receipt("a", "DELIVRD") is None


def test_same_text_twice_is_two_requests_but_a_redelivery_after_link_loss_is_one() -> None:
    clock = ManualClock()
    intake = MoIntake(SmppOptions(), clock)
    mo = Pdu("deliver_sm", 1, 0, {"source_addr": "8613800138000", "destination_addr": "10086",
                                   "short_message": b"1", "data_coding": 0})
    assert intake.accept(mo).inbound is not None
    clock.advance(1)
    assert intake.accept(mo).inbound is not None  # a deliberate repeat
    intake.link_lost()
    assert intake.accept(mo).duplicate  # the SMSC re-delivers what it thinks we never acked
    assert intake.accept(mo).duplicate
    assert intake.accept(mo).inbound is not None  # ...but only as often as we had acked it
