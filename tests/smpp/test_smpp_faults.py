"""The SMSC misbehaves; every MO is still answered once and every MT still leaves."""

from __future__ import annotations

from collections import Counter

from smpp_helpers import BALANCE, balance_handler, eventually, fast_options

from gateways.sms.service import SmsService
from simulator.smsc import SmscSimulator

SUBSCRIBER = "8613800138000"


async def test_bind_dropped_during_a_burst_of_500_mos_answers_each_exactly_once(smsc: SmscSimulator) -> None:
    svc = SmsService(balance_handler, fast_options(smsc.port, window=20))
    await svc.start()
    try:
        await svc.wait_bound()
        numbers = [f"86139{i:08d}" for i in range(500)]
        smsc.faults.drop_after = 350  # PDUs from us: deliver_sm_resps and submits, mid-burst
        for n in numbers:
            smsc.deliver_nowait(n, "10086", "YE")
        await smsc.wait_messages(500, timeout=15)
        await eventually(lambda: smsc.records.mo_acked == 500 and not smsc._mo)
        answers = Counter(m.destination for m in smsc.messages)
        assert set(answers) == set(numbers) and set(answers.values()) == {1}
        assert {m.text for m in smsc.messages} == {BALANCE}
        assert svc.stats.rebinds >= 1 and smsc.records.mo_redelivered > 0
        # Some MOs were acknowledged by us but the SMSC never read the ack: re-delivered, answered once.
        assert svc.stats.mo_received == 500 and svc.stats.mo_duplicates > 0
    finally:
        await svc.close()


async def test_mo_redelivered_after_a_lost_ack_is_answered_once(smsc: SmscSimulator, service: SmsService) -> None:
    await smsc.deliver(SUBSCRIBER, "10086", "YE")
    await eventually(lambda: service.stats.mt_sent == 1)
    # The SMSC never saw our deliver_sm_resp (link cut right after): it delivers again.
    smsc.drop_connections()
    await eventually(lambda: service.stats.rebinds == 1)
    await smsc.deliver(SUBSCRIBER, "10086", "YE")
    await eventually(lambda: service.stats.mo_duplicates == 1)
    # A later, deliberate repeat is a new request and is answered.
    await smsc.deliver(SUBSCRIBER, "10086", "YE")
    await smsc.wait_messages(2)
    assert service.stats.mo_received == 2


async def test_throttled_submits_are_retried(smsc: SmscSimulator, service: SmsService) -> None:
    smsc.faults.throttle_next = 3
    await smsc.deliver(SUBSCRIBER, "10086", "YE")
    [msg] = await smsc.wait_messages(1)
    assert msg.text == BALANCE and smsc.records.throttled == 3
    assert service.stats.retries == 3 and service.stats.mt_failed == 0


async def test_mt_fails_for_good_after_max_retries(smsc: SmscSimulator) -> None:
    svc = SmsService(balance_handler, fast_options(smsc.port, max_retries=3))
    await svc.start()
    try:
        await svc.wait_bound()
        smsc.faults.throttle_ratio = 1.0
        message_id = await svc.send_text(SUBSCRIBER, "hi")
        await eventually(lambda: svc.stats.mt_failed == 1)
        record = svc.status(message_id)
        assert record is not None and record.state == "failed" and record.error == 0x58
        assert smsc.records.throttled == 3
    finally:
        await svc.close()


async def test_slow_submit_resp_times_out_and_is_retried(smsc: SmscSimulator) -> None:
    svc = SmsService(balance_handler, fast_options(smsc.port, resp_timeout=0.1))
    await svc.start()
    try:
        await svc.wait_bound()
        smsc.faults.resp_delay = 0.3
        await svc.send_text(SUBSCRIBER, "hi")
        await smsc.wait_for(lambda: len(smsc.submits) == 1)
        smsc.faults.resp_delay = 0
        await eventually(lambda: svc.stats.mt_sent == 1)
        # At-least-once: the SMSC may hold a copy of the timed-out try too.
        assert len(smsc.submits) == 2 and svc.stats.retries >= 1
    finally:
        await svc.close()


async def test_malformed_pdu_gets_generic_nack_and_the_bind_survives(
    smsc: SmscSimulator, service: SmsService
) -> None:
    smsc.send_malformed()
    await smsc.wait_for(lambda: smsc.records.nacks_received == 2)
    await smsc.deliver(SUBSCRIBER, "10086", "YE")
    [msg] = await smsc.wait_messages(1)
    assert msg.text == BALANCE and service.esme.binds == 1


async def test_unbind_from_the_smsc_is_answered_and_we_rebind(smsc: SmscSimulator, service: SmsService) -> None:
    assert await smsc.unbind_all() == 1
    await eventually(lambda: service.stats.rebinds == 1 and service.esme.bound.is_set())
    await smsc.deliver(SUBSCRIBER, "10086", "YE")
    assert (await smsc.wait_messages(1))[0].text == BALANCE


async def test_enquire_link_from_the_smsc_is_answered(smsc: SmscSimulator, service: SmsService) -> None:
    assert await smsc.enquire_all() == 1


async def test_silent_smsc_is_detected_by_our_enquire_link(smsc: SmscSimulator) -> None:
    svc = SmsService(balance_handler, fast_options(smsc.port, enquire_link=0.05, resp_timeout=0.1))
    await svc.start()
    try:
        await svc.wait_bound()
        smsc.faults.ignore_enquire = 1
        await eventually(lambda: svc.stats.rebinds >= 1)
        assert smsc.records.enquire_links_received >= 1
    finally:
        await svc.close()


async def test_mts_queued_while_unbound_leave_after_rebind(smsc: SmscSimulator, service: SmsService) -> None:
    smsc.credentials = {}  # refuse binds for now
    smsc.drop_connections()
    await eventually(lambda: not service.esme.bound.is_set())
    for i in range(5):
        await service.send_text(SUBSCRIBER, f"queued {i}")
    await eventually(lambda: service.esme.bind_failures >= 1)
    assert smsc.submits == []
    smsc.credentials = {"menuflow": "secret"}
    msgs = await smsc.wait_messages(5)
    assert sorted(m.text for m in msgs) == [f"queued {i}" for i in range(5)]


async def test_mt_that_cannot_be_encoded_fails_at_once(smsc: SmscSimulator, service: SmsService) -> None:
    message_id = await service.send_text("8" * 30, "hi")  # longer than destination_addr allows
    await eventually(lambda: service.stats.mt_failed == 1)
    record = service.status(message_id)
    assert record is not None and record.state == "failed" and service.stats.retries == 0
    await service.send_text(SUBSCRIBER, "next")
    assert (await smsc.wait_messages(1))[0].text == "next"
