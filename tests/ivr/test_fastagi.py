"""FastAGI server against a scripted Asterisk over real TCP: paths, hangups, broken peers."""

from __future__ import annotations

import asyncio
import logging

import pytest

from engine.types import Handler, Inbound, Reply, Wait
from gateways.ivr.fastagi import AgiServer, start_agi
from gateways.ivr.options import IvrOptions
from simulator.fake_asterisk import FakeAsterisk, agi_environment

from .conftest import MenuHandler

ALL_KEYS = '"0123456789*#"'


class ScriptedCall:
    """One scripted call; ``run()`` returns once the server has finished it too."""

    def __init__(self, agi: AgiServer, inputs: list[str], **kw: object) -> None:
        self.agi = agi
        self.fake = FakeAsterisk("127.0.0.1", agi.port, inputs=inputs, **kw)  # type: ignore[arg-type]

    async def run(self) -> list[str]:
        commands = await self.fake.run()
        await self.agi.settle()
        return commands


async def one_call(handler: Handler, opts: IvrOptions, **kw: object) -> tuple[list[str], AgiServer]:
    """Run one scripted call against a fresh server with its own handler and options."""
    server = await start_agi(handler, "127.0.0.1", 0, opts)
    try:
        commands = await FakeAsterisk("127.0.0.1", server.port, **kw).run()  # type: ignore[arg-type]
        await server.settle()
    finally:
        await server.close()
    return commands, server


async def test_balance_speaks_amount_and_hangs_up(agi: AgiServer, menu: MenuHandler) -> None:
    commands = await ScriptedCall(agi, ["1"]).run()
    assert menu.events() == [("begin", ""), ("input", "1")]
    assert commands == [
        "ANSWER",
        'GET DATA "menu/main" 5000 1',
        'SAY NUMBER 50 ""',
        'STREAM FILE "letters/dot" ""',
        'SAY DIGITS 00 ""',
        'SET VARIABLE MENUFLOW_RESULT "completed"',
        "HANGUP",
    ]
    first = menu.seen[0]
    assert (first.channel, first.msisdn, first.session_key) == ("ivr", "8613800138000", "1700000000.1")
    assert (first.service_code, first.locale) == ("10086", "zh")
    assert agi.stats.completed == 1 and agi.stats.hangups == 0


async def test_submenu_pin_barges_in_and_collects_six_digits(agi: AgiServer, menu: MenuHandler) -> None:
    commands = await ScriptedCall(agi, ["2", "1", "123456"]).run()
    assert menu.events() == [("begin", ""), ("input", "2"), ("input", "1"), ("input", "123456")]
    pin = commands.index(f'STREAM FILE "menu/pin" {ALL_KEYS}')
    assert commands[pin + 1 : pin + 6] == ["WAIT FOR DIGIT 3000"] * 5


async def test_finish_key_ends_entry_and_silence_is_noinput(agi: AgiServer, menu: MenuHandler) -> None:
    await ScriptedCall(agi, ["", "2", "1", "12#"]).run()
    assert menu.events() == [("begin", ""), ("noinput", ""), ("input", "2"), ("input", "1"),
                             ("input", "12")]


async def test_no_barge_in_plays_fully_then_waits(menu: MenuHandler) -> None:
    async def handler(inbound: Inbound) -> list[Reply]:
        replies = await menu(inbound)
        r = replies[0] if replies else None
        if r is not None and r.wait is not None:
            from dataclasses import replace
            return [replace(r, wait=replace(r.wait, barge_in=False))]
        return replies

    commands, _ = await one_call(handler, IvrOptions(prefer_audio=True), inputs=["1"])
    assert commands[1:3] == ['STREAM FILE "menu/main" ""', "WAIT FOR DIGIT 5000"]
    assert menu.events() == [("begin", ""), ("input", "1")]


async def test_transfer_queue(agi: AgiServer, menu: MenuHandler) -> None:
    commands = await ScriptedCall(agi, ["0"]).run()
    assert commands[-4:] == ['SET VARIABLE MENUFLOW_TRANSFER "agents"',
                             'SET VARIABLE MENUFLOW_RESULT "transfer"', 'EXEC Queue "agents"', "HANGUP"]
    assert agi.stats.transfers == 1


async def test_transfer_goto_leaves_the_agi_without_hangup(menu: MenuHandler) -> None:
    opts = IvrOptions(transfer_mode="goto", transfer_arg="agents-in", prefer_audio=True)
    commands, _ = await one_call(menu, opts, inputs=["0"])
    assert commands[-3:] == ['SET CONTEXT "agents-in"', 'SET EXTENSION "agents"', "SET PRIORITY 1"]
    assert "HANGUP" not in commands


@pytest.mark.parametrize(
    ("rule", "inputs", "events"),
    [
        (("ANSWER", ["HANGUP", "200 result=-1"]), [], []),
        (("ANSWER", None), [], []),
        (("GET DATA", ["HANGUP", "200 result=-1"]), ["1"], [("begin", "")]),
        (("GET DATA", ["HANGUP", "200 result=1"]), ["1"], [("begin", "")]),
        (("GET DATA", None), ["1"], [("begin", "")]),
        (("GET DATA", ["511 Command Not Permitted on a dead channel or intercepted channel"]), ["1"],
         [("begin", "")]),
        (('STREAM FILE "menu/pin"', ["HANGUP", "200 result=-1 endpos=0"]), ["2", "1"],
         [("begin", ""), ("input", "2"), ("input", "1")]),
        (("WAIT FOR DIGIT", None), ["2", "1", "12"],
         [("begin", ""), ("input", "2"), ("input", "1")]),
    ],
)
async def test_hangup_at_every_stage_sends_end_once(
    agi: AgiServer, menu: MenuHandler, rule: tuple[str, list[str] | None], inputs: list[str],
    events: list[tuple[str, str]],
) -> None:
    await ScriptedCall(agi, inputs, rules=[rule]).run()
    expected = [*events, ("end", "")] if events else []
    assert menu.events() == expected
    assert agi.stats.hangups == 1 and agi.stats.errors == 0


async def test_hangup_during_final_prompt_sends_no_end(agi: AgiServer, menu: MenuHandler) -> None:
    await ScriptedCall(agi, ["1"], rules=[("SAY NUMBER", ["HANGUP", "200 result=-1"])]).run()
    assert menu.events() == [("begin", ""), ("input", "1")]
    assert agi.stats.hangups == 1


async def test_server_closes_promptly_after_hangup_line(agi: AgiServer) -> None:
    fake = ScriptedCall(agi, ["1"], rules=[("GET DATA", ["HANGUP", "200 result=-1"])]).fake
    await fake.run()
    assert fake.close_delay is not None and fake.close_delay < 0.5
    assert fake.commands[-1].startswith("GET DATA")


async def test_hangup_line_without_reply_behind_it_closes_after_grace(agi: AgiServer,
                                                                      menu: MenuHandler) -> None:
    fake = ScriptedCall(agi, ["1"], rules=[("GET DATA", ["HANGUP"])]).fake
    await fake.run()
    assert fake.close_delay is not None and 0.1 < fake.close_delay < 1.0
    await agi.settle()
    assert menu.events() == [("begin", ""), ("end", "")]
    assert agi.stats.hangups == 1 and agi.stats.protocol_errors == 0


async def test_garbage_and_usage_errors_are_survived(agi: AgiServer, menu: MenuHandler) -> None:
    usage = ["520-Invalid command syntax.  Proper usage follows:",
             "Usage: GET DATA <file to be streamed> [timeout] [maxdigits]",
             "520 End of proper usage."]
    rules = [("ANSWER", ["", "hello there", "200 garbage", "200 result=0"]), ("GET DATA", usage),
             ('SAY NUMBER', ["510 Invalid or unknown command"])]
    fake = ScriptedCall(agi, ["1"], rules=rules, preamble=["not an agi line"]).fake
    await fake.run()
    await agi.settle()
    assert menu.events() == [("begin", ""), ("noinput", ""), ("input", "1")]
    assert fake.commands[-1] == "HANGUP" and agi.stats.completed == 1


async def test_endless_garbage_is_a_protocol_error(agi: AgiServer, menu: MenuHandler) -> None:
    await ScriptedCall(agi, ["1"], rules=[("GET DATA", ["junk"] * 30)]).run()
    assert menu.events() == [("begin", ""), ("end", "")]
    assert agi.stats.protocol_errors == 1


async def test_handler_failure_ends_call_without_traceback(caplog: pytest.LogCaptureFixture) -> None:
    async def broken(inbound: Inbound) -> list[Reply]:
        if inbound.event == "input":
            raise RuntimeError("secret 123456 must not be logged")
        return [Reply(channel="ivr", msisdn="", text="", audio=("m",),
                      wait=Wait())]

    with caplog.at_level(logging.DEBUG):
        commands, server = await one_call(broken, IvrOptions(), inputs=["1"])
    assert commands[-2:] == ['SET VARIABLE MENUFLOW_RESULT "error"', "HANGUP"]
    assert server.stats.errors == 1
    assert "Traceback" not in caplog.text and "123456" not in caplog.text


async def test_routing_by_script_query_and_dnid(agi: AgiServer, menu: MenuHandler) -> None:
    env = agi_environment(uniqueid="a.1", callerid="+44 7700 900123", script="10086?lang=en")
    await ScriptedCall(agi, ["1"], env=env).run()
    env = agi_environment(uniqueid="a.2", callerid="013800138000", script="", dnid="1008611")
    await ScriptedCall(agi, ["1"], env=env).run()
    begins = [i for i in menu.seen if i.event == "begin"]
    assert [(i.msisdn, i.service_code, i.locale) for i in begins] == [
        ("447700900123", "10086", "en"), ("8613800138000", "1008611", "zh")]


async def test_tts_app_speaks_text_with_quoting(menu: MenuHandler) -> None:
    async def handler(inbound: Inbound) -> list[Reply]:
        return [Reply(channel="ivr", msisdn="", text='Say "hi", then\nbye\\', locale="en")]

    commands, _ = await one_call(handler, IvrOptions(tts_app="MRCPSynth"))
    assert commands[1:3] == ['SET VARIABLE CHANNEL(language) "en"', 'EXEC MRCPSynth "Say hi， then bye"']


async def test_500_concurrent_calls(agi: AgiServer, menu: MenuHandler) -> None:
    calls = [FakeAsterisk("127.0.0.1", agi.port, env=agi_environment(uniqueid=f"c.{n}"),
                          inputs=["2", "9", "1"]) for n in range(500)]
    await asyncio.gather(*(c.run(timeout=60) for c in calls))
    await agi.settle()
    assert agi.stats.completed == 500 and agi.stats.active == 0
    assert len(menu.seen) == 2000
    assert all(c.commands[-1] == "HANGUP" for c in calls)


async def test_connection_dropped_during_environment(agi: AgiServer, menu: MenuHandler) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", agi.port)
    writer.write(b"agi_network: yes\nagi_uniqueid: 1.2\n")
    await writer.drain()
    writer.close()
    await writer.wait_closed()
    assert await reader.read() == b""
    await agi.settle()
    assert menu.events() == [] and agi.stats.hangups == 1


async def test_server_close_cuts_calls_and_tells_the_engine(menu: MenuHandler) -> None:
    answered = asyncio.Event()

    async def handler(inbound: Inbound) -> list[Reply]:
        answered.set()
        return await menu(inbound)

    server = await start_agi(handler, "127.0.0.1", 0, IvrOptions(prefer_audio=True))
    fake = FakeAsterisk("127.0.0.1", server.port, inputs=["1"], rules=[("GET DATA", [])])
    call = asyncio.create_task(fake.run())
    await answered.wait()
    await server.close()
    await call
    assert menu.events() == [("begin", ""), ("end", "")]
