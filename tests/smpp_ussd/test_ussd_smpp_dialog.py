"""USSD dialogs over a real SMPP bind on loopback (gateways/ussd/smpp.py)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest
from ussd_peer import FakeUssdc, MenuHandler

from engine.clock import ManualClock
from engine.types import Reply
from gateways.sms.pdu import Pdu
from gateways.ussd.smpp import UssdSmppGateway
from gateways.ussd.smpp_options import UssdSmppOptions

MSISDN = "8613800138000"


class Pushes(list[Reply]):
    async def __call__(self, reply: Reply) -> None:
        self.append(reply)


@pytest.fixture
async def ussdc() -> AsyncIterator[FakeUssdc]:
    peer = FakeUssdc()
    await peer.start()
    yield peer
    await peer.close()


@pytest.fixture
def handler() -> MenuHandler:
    return MenuHandler()


@pytest.fixture
def pushes() -> Pushes:
    return Pushes()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


async def start(ussdc: FakeUssdc, handler: MenuHandler, pushes: Pushes, clock: ManualClock,
                **opts: object) -> UssdSmppGateway:
    options = UssdSmppOptions(host="127.0.0.1", port=ussdc.port, system_id="menuflow", **opts)  # type: ignore[arg-type]
    gw = UssdSmppGateway(handler, pushes, options, clock=clock, locale="en")
    await gw.start()
    assert gw.esme is not None
    await gw.esme.wait_bound(5)
    await asyncio.wait_for(ussdc.bound.wait(), 5)
    return gw


@pytest.fixture
async def gw(ussdc: FakeUssdc, handler: MenuHandler, pushes: Pushes,
             clock: ManualClock) -> AsyncIterator[UssdSmppGateway]:
    gateway = await start(ussdc, handler, pushes, clock)
    yield gateway
    await gateway.close()


def text_of(pdu: Pdu) -> str:
    data: bytes = pdu.get("short_message")
    return data.decode("utf-16-be") if pdu.get("data_coding") == 8 else data.decode("ascii")


async def test_dialog_menu_then_final_screen(gw: UssdSmppGateway, ussdc: FakeUssdc,
                                             handler: MenuHandler) -> None:
    resp = await ussdc.deliver(ussd_service_op=1, short_message=b"*100#", its_session_info=0x0502)
    assert resp.command == "deliver_sm_resp" and resp.status == 0
    menu = await ussdc.next_submit()
    assert text_of(menu) == "1 Balance\n2 Data\n3 Slow"
    assert menu.get("ussd_service_op") == 2
    assert menu.get("its_session_info") == 0x0502
    assert (menu.get("destination_addr"), menu.get("dest_addr_ton"), menu.get("source_addr")) == (
        MSISDN, 1, "100",
    )
    assert gw.dialogs == 1

    await ussdc.deliver(ussd_service_op=18, short_message=b"2", its_session_info=0x0504)
    data = await ussdc.next_submit()
    assert text_of(data) == "Data left: 1.2 GB. 0 Back"
    assert data.get("ussd_service_op") == 2 and data.get("its_session_info") == 0x0504

    await ussdc.deliver(ussd_service_op=18, short_message=b"1", its_session_info=0x0506)
    final = await ussdc.next_submit()
    assert (text_of(final), final.get("data_coding")) == ("余额 50.00 元", 8)
    assert final.get("ussd_service_op") == 17
    assert final.get("its_session_info") == 0x0507  # end-of-session bit
    assert gw.dialogs == 0

    begin, first, second = handler.seen
    assert (begin.event, begin.service_code, begin.msisdn) == ("begin", "*100#", MSISDN)
    assert begin.session_key == first.session_key == second.session_key == f"smpp:{MSISDN}/5"
    assert [(i.event, i.text) for i in (first, second)] == [("input", "2"), ("input", "1")]
    assert dict(gw.stats) == {"begin": 1, "input": 2}


async def test_release_by_subscriber_tells_the_engine(gw: UssdSmppGateway, ussdc: FakeUssdc,
                                                      handler: MenuHandler) -> None:
    await ussdc.deliver(ussd_service_op=1, short_message=b"*100#", its_session_info=0x0700)
    await ussdc.next_submit()
    await ussdc.deliver(ussd_service_op=0x81, its_session_info=0x0702)
    await asyncio.wait_for(_until(lambda: len(handler.seen) == 2), 5)
    assert handler.seen[-1].event == "end" and handler.seen[-1].session_key == f"smpp:{MSISDN}/7"
    assert gw.dialogs == 0 and ussdc.submits.empty()


async def test_end_bit_from_network_closes_the_dialog(gw: UssdSmppGateway, ussdc: FakeUssdc,
                                                      handler: MenuHandler) -> None:
    await ussdc.deliver(ussd_service_op=1, short_message=b"*100#", its_session_info=0x0900)
    await ussdc.next_submit()
    await ussdc.deliver(ussd_service_op=18, short_message=b"", its_session_info=0x0903)
    await asyncio.wait_for(_until(lambda: len(handler.seen) == 2), 5)
    assert handler.seen[-1].event == "end" and ussdc.submits.empty()


async def test_input_for_unknown_dialog_gets_expired_screen(gw: UssdSmppGateway, ussdc: FakeUssdc,
                                                            handler: MenuHandler, clock: ManualClock) -> None:
    await ussdc.deliver(ussd_service_op=18, short_message=b"1", its_session_info=0x0100)
    screen = await ussdc.next_submit()
    assert text_of(screen).startswith("This session has ended") and screen.get("ussd_service_op") == 17
    # A dialog idle past session_timeout is forgotten the same way.
    await ussdc.deliver(ussd_service_op=1, short_message=b"*100#", its_session_info=0x0200)
    await ussdc.next_submit()
    clock.advance(181)
    await ussdc.deliver(ussd_service_op=18, short_message=b"1", its_session_info=0x0202)
    assert text_of(await ussdc.next_submit()).startswith("This session has ended")
    assert [i.event for i in handler.seen] == ["begin"]
    assert gw.stats["expired"] == 2


async def test_slow_engine_answers_processing_then_sms(ussdc: FakeUssdc, handler: MenuHandler,
                                                       pushes: Pushes, clock: ManualClock) -> None:
    gw = await start(ussdc, handler, pushes, clock, budget=0.05)
    await ussdc.deliver(ussd_service_op=1, short_message=b"*100#", its_session_info=0x0300)
    await ussdc.next_submit()
    await ussdc.deliver(ussd_service_op=18, short_message=b"3", its_session_info=0x0302)
    screen = await ussdc.next_submit()
    assert text_of(screen).startswith("Your request is being processed")
    assert screen.get("ussd_service_op") == 17 and screen.get("its_session_info") == 0x0303
    handler.release.set()
    await gw.close()
    assert [(p.channel, p.msisdn, p.text) for p in pushes] == [("sms", MSISDN, "Slow answer")]


async def test_engine_failure_ends_politely(gw: UssdSmppGateway, ussdc: FakeUssdc) -> None:
    await ussdc.deliver(ussd_service_op=1, short_message=b"*100#", its_session_info=0x0400)
    await ussdc.next_submit()
    await ussdc.deliver(ussd_service_op=18, short_message=b"9", its_session_info=0x0402)
    screen = await ussdc.next_submit()
    assert text_of(screen) == "The service is temporarily unavailable; please try again later."
    assert "boom" not in text_of(screen) and gw.dialogs == 0


async def test_mica_style_user_message_reference_and_hex_op(ussdc: FakeUssdc, handler: MenuHandler,
                                                            pushes: Pushes, clock: ManualClock) -> None:
    gw = await start(ussdc, handler, pushes, clock, session_id="user_message_reference", op_end=0x17)
    await ussdc.deliver(ussd_service_op=1, short_message=b"*100#", user_message_reference=4242)
    menu = await ussdc.next_submit()
    assert menu.get("user_message_reference") == 4242 and menu.get("its_session_info") is None
    await ussdc.deliver(ussd_service_op=18, short_message=b"1", user_message_reference=4242)
    final = await ussdc.next_submit()
    assert final.get("ussd_service_op") == 0x17 and final.get("user_message_reference") == 4242
    assert handler.seen[0].session_key == f"smpp:{MSISDN}/4242"
    await gw.close()


async def test_code_from_destination_and_ussd_dcs_input(ussdc: FakeUssdc, handler: MenuHandler,
                                                        pushes: Pushes, clock: ManualClock) -> None:
    gw = await start(ussdc, handler, pushes, clock,
                     session_id="its_session_info_15bit", gsm7_data_coding=0x0F)
    await ussdc.deliver(ussd_service_op=1, destination_addr="*100*2#", its_session_info=0x1234)
    menu = await ussdc.next_submit()
    assert menu.get("data_coding") == 0x0F
    await ussdc.deliver(ussd_service_op=18, short_message=b"2", data_coding=0x0F, its_session_info=0x1234)
    await ussdc.next_submit()
    begin, answer = handler.seen
    assert begin.service_code == "*100*2#" and begin.session_key == f"smpp:{MSISDN}/{0x1234 >> 1}"
    assert answer.text == "2"
    await gw.close()


async def test_non_ussd_message_is_acknowledged_and_ignored(gw: UssdSmppGateway, ussdc: FakeUssdc,
                                                            handler: MenuHandler) -> None:
    resp = await ussdc.deliver(short_message=b"id:1 stat:DELIVRD", esm_class=0x04)
    assert resp.status == 0 and gw.stats["not_ussd"] == 1 and handler.seen == []


async def _until(cond: Callable[[], bool]) -> None:
    while not cond():
        await asyncio.sleep(0.01)
