"""The phone against real servers on loopback: USSD JSON and TwiML webhooks, SMS over SMPP."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from engine.flow.registry import FlowRegistry
from engine.run.build import build_engine
from engine.run.engine import Engine
from engine.types import Reply, Transfer
from gateways.http_app import create_http_app
from gateways.ivr.twiml import add_twiml_routes
from gateways.sms.options import SmppOptions
from gateways.sms.service import SmsService
from gateways.ussd import UssdOptions, add_ussd_routes
from simulator.phone.app import PhoneApp
from simulator.phone.remote import RemoteUssdDevice, remote_model
from simulator.phone.remote_ivr import RemoteTwimlDevice
from simulator.phone.remote_sms import SmscSmsDevice, show_unsolicited
from simulator.phone.snapshot import snapshot
from simulator.smsc import SmscSimulator
from tests.sim.conftest import CTRL_Q, Driver, F, until


@pytest.fixture
async def engine(registry: FlowRegistry) -> AsyncIterator[Engine]:
    eng = build_engine(registry, "demo")
    yield eng
    await eng.backend.close()


@pytest.fixture
async def server(engine: Engine) -> AsyncIterator[str]:
    """USSD (JSON dialect) and TwiML webhooks on a free loopback port, as `serve` mounts them."""

    async def push(reply: Reply) -> None:
        return None

    app = create_http_app()
    add_ussd_routes(app, engine.handle, push, UssdOptions())
    add_twiml_routes(app, engine.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


async def test_remote_ussd_walks_the_menu_over_http(server: str) -> None:
    dev = RemoteUssdDevice(server, "8613800138000")
    try:
        first = await dev.dial()
        assert dev.open and first.reply is not None and "1. 话费余额" in first.reply.text
        balance = await dev.send("1")
        assert balance.reply is not None and "50.00" in balance.reply.text and dev.open
        await dev.send("2")  # no, thanks to the offer
        bye = await dev.send("2")
        assert bye.reply is not None and bye.reply.end and not dev.open
        await dev.dial("*100*1#")
        assert dev.open
        await dev.hangup()
        assert not dev.open and await dev.snapshot() is None
    finally:
        await dev.close()


async def test_remote_ivr_is_a_twiml_caller(server: str) -> None:
    dev = RemoteTwimlDevice(server, "8613900139000")
    try:
        hello = await dev.dial("10086")
        assert hello.reply is not None and "Welcome to China Mobile" in hello.reply.text
        assert dev.wait is not None and dev.wait.max_digits == 1
        silent = await dev.noinput()
        assert silent.reply is not None and "We did not receive your input" in silent.reply.text
        await dev.send("4")
        ask = await dev.send("1")
        assert ask.reply is not None and "hash key" in ask.reply.text
        assert dev.wait is not None and dev.wait.kind == "digits" and dev.wait.max_digits == 6
        confirm = await dev.send("654321")
        assert confirm.reply is not None and "To confirm press 1" in confirm.reply.text
        cancelled = await dev.send("2")
        assert cancelled.reply is not None and "Nothing was changed" in cancelled.reply.text and not dev.open
        await dev.dial()
        transfer = await dev.send("0")
        assert transfer.reply is not None and transfer.reply.transfer == Transfer("queue-10086", max_wait=120)
        assert not dev.open
        with pytest.raises(RuntimeError, match="TwiML has no DialCallStatus for 'full'"):
            await dev.agent("full")
        busy = await dev.agent("timeout")  # as Twilio requests the Dial's action: DialCallStatus=no-answer
        assert busy.reply is not None and busy.reply.text.startswith("All our agents are busy. We have sent you")
        assert busy.action == "agent" and busy.shown == "timeout" and busy.reply.end and not dev.open
        await dev.dial()
        await dev.hangup()
        assert not dev.open
    finally:
        await dev.close()


async def test_remote_sms_through_the_smsc_simulator(engine: Engine) -> None:
    async with SmscSimulator() as smsc:
        opts = SmppOptions(port=smsc.port, tps=0, reconnect_min=0.02, reconnect_max=0.2)
        service = SmsService(engine.handle, opts)
        await service.start()
        try:
            await service.wait_bound()
            dev = SmscSmsDevice(smsc, "8613800138000", quiet=0.05)
            answer = await dev.send("YE")
            assert [r.text for r in answer.replies] == [
                    "尊敬的客户，您的账户余额为50.00元。\n回复KT开通10元300MB流量包（10.00元/月）。"]
            # The service answers replies[0]; pushes (the code SMS) are routed by `serve`, not by it.
            reset = await dev.send("CZMM")
            assert reset.reply is not None and "验证码已短信发送" in reset.reply.text and not reset.reply.push
            model = remote_model("sms", "8613900139000", None, smsc=smsc)
            assert model.channels == ("sms",)
            with create_pipe_input() as pipe:
                app = PhoneApp(model, None, input=pipe, output=DummyOutput())
                task = asyncio.create_task(app.run())
                d = Driver(app, pipe)
                await d.line("YE")
                assert "Your balance is 120.50 yuan." in d.last
                assert "SMS with 10086 · 8613900139000" in snapshot(app.app)
                show_unsolicited(smsc, model, app.app.invalidate)
                await smsc.deliver("8613900139000", "10086", "JF")  # typed elsewhere: its MT arrives unasked
                await until(lambda: "You have 300 points." in model.history[-1].text)
                assert model.history[-1].who == "sms" and len(model.history) == 3
                pipe.send_text(CTRL_Q)
                await asyncio.wait_for(task, 5)
        finally:
            await service.close()


async def test_full_screen_phone_in_remote_mode(server: str) -> None:
    model = remote_model("ussd", "8613900139000", None, url=server)
    with create_pipe_input() as pipe:
        app = PhoneApp(model, None, input=pipe, output=DummyOutput())
        task = asyncio.create_task(app.run())
        d = Driver(app, pipe)
        await d.keys("\r", answers=2)
        assert "Welcome to 10086" in model.screen
        await d.line("3")
        assert "MB used" in model.screen
        await d.keys(F["f8"])
        assert "cannot move the server's clock" in d.last
        await d.command("/fail balance timeout")
        assert "not available against a remote server" in d.last
        await d.keys(F["f6"])
        assert "reload is not available" in d.last
        assert "Channel  USSD to *100#" in snapshot(app.app)
        await d.keys(F["f2"])  # IVR over TwiML is next; SMS needs --smsc
        assert str(model.channel) == "ivr"
        await d.keys("\r", answers=2)
        assert "Welcome to China Mobile" in model.screen
        await d.keys(F["f2"])
        assert str(model.channel) == "ussd"
        pipe.send_text(CTRL_Q)
        await asyncio.wait_for(task, 5)
        await until(lambda: not app.app.is_running)
    await model.device.close()
