"""MO in, MT out, against our SMSC simulator over real sockets on 127.0.0.1."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from smpp_helpers import BALANCE, LONG_REPLY, balance_handler, eventually, fast_options

from engine.clock import ManualClock
from gateways.sms.codec import encode_text
from gateways.sms.options import ConcatMode
from gateways.sms.pdu import ESME_RX_R_APPN
from gateways.sms.service import SmsService
from simulator.smsc import SmscSimulator

SUBSCRIBER = "8613800138000"


async def test_gsm7_ye_is_answered_from_10086(smsc: SmscSimulator, service: SmsService) -> None:
    await smsc.deliver(SUBSCRIBER, "10086", "YE")
    [msg] = await smsc.wait_messages(1)
    assert (msg.source, msg.destination, msg.text) == ("10086", SUBSCRIBER, BALANCE)
    [sub] = smsc.submits
    assert (sub.data_coding, sub.esm_class) == (8, 0)
    assert service.stats.mo_received == 1 and smsc.records.mo_acked == 1


async def test_ucs2_yu_e_is_answered(smsc: SmscSimulator, service: SmsService) -> None:
    seen: list[str] = []

    async def handler(inbound: Any) -> Any:
        seen.append(inbound.text)
        return await balance_handler(inbound)

    service.handler = handler
    await smsc.deliver(SUBSCRIBER, "10086", "余额")
    [msg] = await smsc.wait_messages(1)
    assert seen == ["余额"] and msg.text == BALANCE and msg.destination == SUBSCRIBER


async def test_inbound_carries_normalised_msisdn_and_service_code(smsc: SmscSimulator, service: SmsService) -> None:
    got: list[Any] = []

    async def handler(inbound: Any) -> Any:
        got.append(inbound)
        return []

    service.handler = handler
    smsc.deliver_nowait("13800138000", "10086", "YE", ton=2)
    await eventually(lambda: len(got) == 1)
    [inbound] = got
    assert (inbound.channel, inbound.msisdn, inbound.session_key, inbound.service_code) == (
        "sms", SUBSCRIBER, SUBSCRIBER, "10086")
    assert inbound.received_at > 0


async def test_long_reply_arrives_as_numbered_parts(smsc: SmscSimulator, service: SmsService) -> None:
    await smsc.deliver(SUBSCRIBER, "10086", "LONG")
    [msg] = await smsc.wait_messages(1)
    assert msg.text == LONG_REPLY and msg.parts == len(smsc.submits) > 1
    assert [s.part for s in smsc.submits] == list(range(1, msg.parts + 1))
    assert {(s.total, s.ref, s.esm_class) for s in smsc.submits} == {(msg.parts, smsc.submits[0].ref, 0x40)}
    assert all(len(s.short_message) <= 140 for s in smsc.submits)
    await eventually(lambda: service.stats.mt_sent == 1)
    assert service.stats.mt_parts_sent == msg.parts


@pytest.mark.parametrize("concat", ["udh16", "sar", "payload"])
async def test_other_concatenation_modes(smsc: SmscSimulator, concat: ConcatMode) -> None:
    svc = SmsService(balance_handler, fast_options(smsc.port, concat=concat))
    await svc.start()
    try:
        await svc.wait_bound()
        await smsc.deliver(SUBSCRIBER, "10086", "LONG")
        [msg] = await smsc.wait_messages(1)
        assert msg.text == LONG_REPLY
        if concat == "payload":
            assert len(smsc.submits) == 1 and "message_payload" in smsc.submits[0].tlvs
        elif concat == "sar":
            assert {s.tlvs["sar_total_segments"] for s in smsc.submits} == {len(smsc.submits)}
    finally:
        await svc.close()


async def test_long_mo_in_udh_parts_is_reassembled(smsc: SmscSimulator, service: SmsService) -> None:
    text = "查询" * 50  # 100 UCS2 characters: two parts
    await smsc.deliver(SUBSCRIBER, "10086", text)
    [msg] = await smsc.wait_messages(1)
    assert msg.text == f"收到：{text}" and service.stats.mo_received == 1


async def test_long_mo_in_sar_parts_out_of_order_is_reassembled(smsc: SmscSimulator, service: SmsService) -> None:
    text = "abc " * 60
    parts = encode_text(text, ref=7, concat="sar")
    for p in reversed(parts):
        smsc.deliver_fields({"source_addr": SUBSCRIBER, "destination_addr": "10086", "source_addr_ton": 1,
                             "data_coding": p.data_coding, "short_message": p.short_message, **p.tlvs})
    [msg] = await smsc.wait_messages(1)
    assert msg.text == f"收到：{text}"


async def test_undecodable_mo_gets_an_error_resp_and_no_answer(smsc: SmscSimulator, service: SmsService) -> None:
    smsc.deliver_fields({"source_addr": SUBSCRIBER, "destination_addr": "10086", "data_coding": 8,
                         "short_message": b"\xd8\x00\x00"})  # odd length, lone surrogate
    await smsc.wait_for(lambda: bool(smsc.records.mo_rejected))
    assert smsc.records.mo_rejected == [ESME_RX_R_APPN]
    assert service.stats.mo_rejected == 1 and smsc.submits == []


async def test_delivery_receipt_marks_the_mt_delivered(smsc: SmscSimulator, service: SmsService) -> None:
    smsc.receipts = True
    message_id = await service.send_text(SUBSCRIBER, "hello")
    await eventually(lambda: service.stats.receipts == 1)
    record = service.status(message_id)
    assert record is not None and record.state == "delivered"
    assert record.smsc_ids == {1: smsc.submits[0].message_id}


async def test_push_sink_sends_from_the_short_code(smsc: SmscSimulator, service: SmsService) -> None:
    from engine.types import Reply

    await service.send(Reply("sms", SUBSCRIBER, "您的验证码已发送", push=True))
    [msg] = await smsc.wait_messages(1)
    assert (msg.source, msg.destination) == ("10086", SUBSCRIBER)


async def test_pair_mode_binds_transmitter_and_receiver(smsc: SmscSimulator) -> None:
    svc = SmsService(balance_handler, fast_options(smsc.port, bind_mode="pair"))
    await svc.start()
    try:
        await svc.wait_bound()
        assert smsc.bound_sessions == 2
        await smsc.deliver(SUBSCRIBER, "10086", "YE")
        [msg] = await smsc.wait_messages(1)
        assert msg.text == BALANCE
    finally:
        await svc.close()


async def test_wrong_password_is_refused_and_retried(smsc: SmscSimulator) -> None:
    svc = SmsService(balance_handler, fast_options(smsc.port, password="wrong"))
    await svc.start()
    try:
        await eventually(lambda: svc.esme.bind_failures >= 2)
        assert not svc.esme.bound.is_set() and smsc.records.bind_refusals >= 2
    finally:
        await svc.close()


async def test_close_unbinds_cleanly(smsc: SmscSimulator) -> None:
    svc = SmsService(balance_handler, fast_options(smsc.port))
    await svc.start()
    await svc.wait_bound()
    await svc.close()
    assert smsc.records.unbinds_received == 1


async def test_ussd_deliver_goes_to_the_ussd_hook_not_the_engine(smsc: SmscSimulator, service: SmsService) -> None:
    got: list[dict[str, Any]] = []

    async def ussd(fields: dict[str, Any]) -> None:
        got.append(fields)

    service.ussd_handler = ussd
    smsc.deliver_fields({"source_addr": SUBSCRIBER, "destination_addr": "*100#", "short_message": b"*100#",
                         "ussd_service_op": 1, "its_session_info": 0x0100})
    await eventually(lambda: len(got) == 1)
    assert [(f["ussd_service_op"], f["short_message"]) for f in got] == [(1, b"*100#")]
    assert service.stats.mo_received == 0
    # the answer goes back on the same bind, as the USSD gateway sends it (serve lends it submit_fields)
    resp = await service.submit_fields({"source_addr": "*100#", "destination_addr": SUBSCRIBER,
                                        "short_message": b"1. Balance", "ussd_service_op": 2,
                                        "its_session_info": 0x0102})
    assert resp.status == 0
    await smsc.wait_for(lambda: len(smsc.submits) == 1)
    assert smsc.submits[0].tlvs == {"ussd_service_op": 2, "its_session_info": 0x0102}


async def test_ussd_deliver_without_a_hook_is_refused(smsc: SmscSimulator, service: SmsService) -> None:
    smsc.deliver_fields({"source_addr": SUBSCRIBER, "destination_addr": "*100#", "short_message": b"*100#",
                         "ussd_service_op": 1})
    await smsc.wait_for(lambda: bool(smsc.records.mo_rejected))
    assert smsc.records.mo_rejected == [ESME_RX_R_APPN]


async def test_data_sm_mo_is_answered_with_data_sm_resp(smsc: SmscSimulator, service: SmsService) -> None:
    smsc.deliver_fields({"source_addr": SUBSCRIBER, "destination_addr": "10086", "data_coding": 0,
                         "message_payload": b"YE"}, command="data_sm")
    [msg] = await smsc.wait_messages(1)
    assert msg.text == BALANCE and smsc.records.mo_acked == 1


async def test_close_waits_for_answers_in_progress(smsc: SmscSimulator) -> None:
    async def slow(inbound: Any) -> Any:
        await asyncio.sleep(0.05)
        return await balance_handler(inbound)

    svc = SmsService(slow, fast_options(smsc.port))
    await svc.start()
    await svc.wait_bound()
    await smsc.deliver(SUBSCRIBER, "10086", "YE")
    await eventually(lambda: svc.stats.mo_received == 1)
    await svc.close()
    assert [m.text for m in smsc.messages] == [BALANCE] and smsc.records.unbinds_received == 1


async def test_deliver_sm_resp_does_not_wait_for_a_slow_engine(smsc: SmscSimulator, service: SmsService) -> None:
    release = asyncio.Event()

    async def stuck(inbound: Any) -> Any:
        await release.wait()
        return await balance_handler(inbound)

    service.handler = stuck
    for i in range(3):
        await smsc.deliver(f"8613800138{i:03d}", "10086", "YE")
    await smsc.wait_for(lambda: smsc.records.mo_acked == 3)
    assert smsc.submits == []
    release.set()
    assert len(await smsc.wait_messages(3)) == 3


async def test_long_mo_missing_a_part_is_dropped_and_counted(smsc: SmscSimulator) -> None:
    clock = ManualClock()
    svc = SmsService(balance_handler, fast_options(smsc.port), clock=clock)
    await svc.start()
    try:
        await svc.wait_bound()
        first, _second = encode_text("查询" * 50, ref=3)
        smsc.deliver_fields({"source_addr": SUBSCRIBER, "destination_addr": "10086", "esm_class": first.esm_class,
                             "data_coding": first.data_coding, "short_message": first.short_message})
        await smsc.wait_for(lambda: smsc.records.mo_acked == 1)
        clock.advance(svc.opts.reassembly_timeout + 1)
        await smsc.deliver(SUBSCRIBER, "10086", "YE")
        await smsc.wait_messages(1)
        assert svc.stats.mo_incomplete == 1 and [m.text for m in smsc.messages] == [BALANCE]
    finally:
        await svc.close()


async def test_submit_fields_sends_exactly_the_given_pdu(smsc: SmscSimulator, service: SmsService) -> None:
    resp = await service.submit_fields({"source_addr": "*100#", "destination_addr": SUBSCRIBER,
                                        "short_message": b"bye", "ussd_service_op": 17})
    assert resp.status == 0 and resp.get("message_id") == smsc.submits[0].message_id
    assert (smsc.submits[0].source, smsc.submits[0].tlvs) == ("*100#", {"ussd_service_op": 17})
