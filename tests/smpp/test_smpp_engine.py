"""End to end: SMSC -> SMPP -> the real 10086 engine (demo backend) -> SMPP -> SMSC."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from smpp_helpers import fast_options

from engine.run.build import build_engine
from gateways.sms.service import SmsService
from simulator.smsc import SmscSimulator
from simulator.smsc_npm import NpmSmsc

SUBSCRIBER = "8613800138000"


@pytest.fixture
async def engine_service(smsc: SmscSimulator) -> AsyncIterator[SmsService]:
    engine = build_engine("flows", backend="demo")
    svc = SmsService(engine.handle, fast_options(smsc.port))
    await svc.start()
    await svc.wait_bound()
    yield svc
    await svc.close()


@pytest.mark.parametrize("text", ["YE", "余额"])
async def test_balance_keyword_is_answered_by_the_engine(
    smsc: SmscSimulator, engine_service: SmsService, text: str
) -> None:
    await smsc.deliver(SUBSCRIBER, "10086", text)
    [msg] = await smsc.wait_messages(1)
    assert (msg.source, msg.destination) == ("10086", SUBSCRIBER)
    assert "50.00元" in msg.text


async def test_a_two_turn_sms_dialog_keeps_its_session(smsc: SmscSimulator, engine_service: SmsService) -> None:
    await smsc.deliver(SUBSCRIBER, "10086", "0000")
    await smsc.wait_messages(1)
    await smsc.deliver(SUBSCRIBER, "10086", "1")
    first, second = await smsc.wait_messages(2)
    assert "退订" in first.text and "服务密码" in second.text


@pytest.mark.node
async def test_balance_through_the_npm_smsc(npm_smsc: NpmSmsc) -> None:
    svc = SmsService(build_engine("flows", backend="demo").handle, fast_options(npm_smsc.port))
    await svc.start()
    try:
        await svc.wait_bound()
        npm_smsc.deliver_fields({"source_addr_ton": 1, "source_addr": SUBSCRIBER, "destination_addr": "10086",
                                 "data_coding": 8, "short_message": "余额".encode("utf-16-be")})
        await npm_smsc.wait_for(lambda: len(npm_smsc.messages) == 1)
        assert "50.00元" in npm_smsc.messages[0].text
    finally:
        await svc.close()
