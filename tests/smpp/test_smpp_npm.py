"""Our ESME against a second SMSC written by other people: the npm ``smpp`` package."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from smpp_helpers import BALANCE, LONG_REPLY, balance_handler, eventually, fast_options

from gateways.sms.service import SmsService
from simulator.smsc_npm import NpmSmsc

SUBSCRIBER = "8613800138000"
pytestmark = pytest.mark.node


@pytest.fixture
async def npm_service(npm_smsc: NpmSmsc) -> AsyncIterator[SmsService]:
    svc = SmsService(balance_handler, fast_options(npm_smsc.port))
    await svc.start()
    await svc.wait_bound(5)
    yield svc
    await svc.close()


def mo(text_bytes: bytes, data_coding: int, **extra: object) -> dict[str, object]:
    return {"source_addr_ton": 1, "source_addr_npi": 1, "source_addr": SUBSCRIBER,
            "destination_addr": "10086", "data_coding": data_coding, "short_message": text_bytes, **extra}


async def test_gsm7_and_ucs2_balance_requests_are_answered(npm_smsc: NpmSmsc, npm_service: SmsService) -> None:
    npm_smsc.deliver_fields(mo(b"YE", 0))
    npm_smsc.deliver_fields(mo("余额".encode("utf-16-be"), 8))
    await npm_smsc.wait_for(lambda: len(npm_smsc.messages) == 2)
    assert [(m.source, m.destination, m.text) for m in npm_smsc.messages] == [("10086", SUBSCRIBER, BALANCE)] * 2
    assert [e["status"] for e in npm_smsc.events if e["event"] == "deliver_resp"] == [0, 0]


async def test_long_reply_arrives_as_numbered_parts(npm_smsc: NpmSmsc, npm_service: SmsService) -> None:
    npm_smsc.deliver_fields(mo(b"LONG", 0))
    await npm_smsc.wait_for(lambda: len(npm_smsc.messages) == 1)
    [msg] = npm_smsc.messages
    assert msg.text == LONG_REPLY and msg.parts > 1
    assert [s.part for s in npm_smsc.submits] == list(range(1, msg.parts + 1))


async def test_throttled_submits_are_retried(npm_smsc: NpmSmsc, npm_service: SmsService) -> None:
    npm_smsc.command("throttle", n=2)
    npm_smsc.deliver_fields(mo(b"YE", 0))
    await npm_smsc.wait_for(lambda: len(npm_smsc.messages) == 1)
    assert npm_smsc.count("throttled") == 2 and npm_service.stats.retries == 2


async def test_unbind_and_enquire_link_from_the_smsc_are_answered(
    npm_smsc: NpmSmsc, npm_service: SmsService
) -> None:
    npm_smsc.command("enquire")
    await npm_smsc.wait_for(lambda: npm_smsc.count("enquire_link_resp") == 1)
    npm_smsc.command("unbind")
    await npm_smsc.wait_for(lambda: npm_smsc.count("unbind_resp") == 1)
    assert [e["status"] for e in npm_smsc.events if e["event"] == "unbind_resp"] == [0]
    await eventually(lambda: npm_service.stats.rebinds == 1 and npm_service.esme.bound.is_set())
    npm_smsc.deliver_fields(mo(b"YE", 0))
    await npm_smsc.wait_for(lambda: len(npm_smsc.messages) == 1)


async def test_dropped_connection_is_rebound(npm_smsc: NpmSmsc, npm_service: SmsService) -> None:
    npm_smsc.command("drop")
    await eventually(lambda: npm_service.stats.rebinds == 1 and npm_service.esme.bound.is_set())
    await npm_service.send_text(SUBSCRIBER, "after the drop")
    await npm_smsc.wait_for(lambda: len(npm_smsc.messages) == 1)
    assert npm_smsc.messages[0].text == "after the drop"


async def test_wrong_password_is_refused(npm_smsc: NpmSmsc) -> None:
    svc = SmsService(balance_handler, fast_options(npm_smsc.port, password="nope"))
    await svc.start()
    try:
        await eventually(lambda: svc.esme.bind_failures >= 1)
        assert not svc.esme.bound.is_set()
    finally:
        await svc.close()
