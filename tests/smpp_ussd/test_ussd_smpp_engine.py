"""*100# over SMPP end to end: the SMSC simulator, our bind, the real engine and the 10086 flows."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from engine.clock import ManualClock
from engine.run.build import build_engine
from engine.types import Reply
from gateways.sms.options import SmppOptions
from gateways.sms.service import SmsService
from gateways.ussd.smpp import UssdSmppGateway
from gateways.ussd.smpp_options import UssdSmppOptions
from simulator.smsc import SmscSimulator
from simulator.smsc_state import Submitted

MSISDN = "8613800138000"


@pytest.fixture
async def smsc() -> AsyncIterator[SmscSimulator]:
    async with SmscSimulator(credentials={"ussd": "secret"}) as sim:
        yield sim


@pytest.fixture
async def gateway(smsc: SmscSimulator) -> AsyncIterator[UssdSmppGateway]:
    clock = ManualClock()
    engine = build_engine("flows", "demo", clock=clock)
    pushes: list[Reply] = []

    async def push(reply: Reply) -> None:
        pushes.append(reply)

    options = UssdSmppOptions(host="127.0.0.1", port=smsc.port, system_id="ussd", password="secret")
    gw = UssdSmppGateway(engine.handle, push, options, clock=clock)
    await gw.start()
    assert gw.esme is not None
    await gw.esme.wait_bound(5)
    yield gw
    await gw.close()


def dial(smsc: SmscSimulator, op: int, text: str, its: int) -> None:
    fields: dict[str, Any] = {
        "source_addr_ton": 1, "source_addr_npi": 1, "source_addr": MSISDN,
        "destination_addr": "100", "data_coding": 0, "short_message": text.encode("ascii"),
        "ussd_service_op": op, "its_session_info": its,
    }
    smsc.deliver_fields(fields)


async def screen(smsc: SmscSimulator, n: int) -> Submitted:
    await smsc.wait_for(lambda: len(smsc.submits) >= n, 5)
    return smsc.submits[n - 1]


async def test_balance_over_ussd_smpp(smsc: SmscSimulator, gateway: UssdSmppGateway) -> None:
    dial(smsc, 1, "*100#", 0x2A00)
    menu = await screen(smsc, 1)
    assert menu.text is not None and menu.text.startswith("欢迎使用10086自助服务")
    assert menu.data_coding == 8 and menu.destination == MSISDN and menu.source == "100"
    assert menu.tlvs == {"ussd_service_op": 2, "its_session_info": 0x2A00}

    dial(smsc, 18, "1", 0x2A02)
    balance = await screen(smsc, 2)
    assert balance.text is not None and "50.00" in balance.text
    assert balance.tlvs["ussd_service_op"] == 2

    dial(smsc, 18, "2", 0x2A04)  # "2. 不需要": no, thanks to the offer after the balance
    await screen(smsc, 3)
    dial(smsc, 18, "2", 0x2A06)  # "2. 结束" ends the dialog
    bye = await screen(smsc, 4)
    assert bye.tlvs == {"ussd_service_op": 17, "its_session_info": 0x2A07}
    assert gateway.dialogs == 0
    assert smsc.records.mo_acked == 4


async def test_user_abort_mid_menu(smsc: SmscSimulator, gateway: UssdSmppGateway) -> None:
    dial(smsc, 1, "*100#", 0x3000)
    await screen(smsc, 1)
    dial(smsc, 0x81, "", 0x3002)
    await smsc.wait_for(lambda: smsc.records.mo_acked == 2, 5)
    await asyncio.wait_for(_until(lambda: gateway.stats["end"] == 1), 5)
    assert gateway.dialogs == 0 and len(smsc.submits) == 1


async def test_same_bind_through_the_sms_service(smsc: SmscSimulator) -> None:
    """--ussd-smpp-same-bind: the SMS bind hands USSD deliver_sm over and lends its submit."""
    clock = ManualClock()
    engine = build_engine("flows", "demo", clock=clock)
    ussd = UssdSmppGateway(engine.handle, _no_push, UssdSmppOptions(same_bind=True), clock=clock)
    sms_opts = SmppOptions(host="127.0.0.1", port=smsc.port, system_id="ussd", password="secret")
    sms = SmsService(engine.handle, sms_opts, clock, ussd_handler=ussd.handle)
    ussd.attach(sms.esme.submit)
    await ussd.start()
    await sms.start()
    try:
        await sms.wait_bound(5)
        dial(smsc, 1, "*100#", 0x4400)
        menu = await screen(smsc, 1)
        assert menu.tlvs == {"ussd_service_op": 2, "its_session_info": 0x4400}
        assert menu.text is not None and menu.text.startswith("欢迎使用10086自助服务")
        smsc.deliver_nowait(MSISDN, "10086", "余额")  # an SMS on the same bind still goes the SMS way
        sms_reply = await screen(smsc, 2)
        assert "ussd_service_op" not in sms_reply.tlvs and sms_reply.source == "10086"
    finally:
        await ussd.close()
        await sms.close()


async def _no_push(reply: Reply) -> None:
    raise AssertionError(f"unexpected push {reply}")


async def _until(cond: Callable[[], bool]) -> None:
    while not cond():
        await asyncio.sleep(0.01)
