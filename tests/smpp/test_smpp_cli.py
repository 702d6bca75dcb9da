"""``menuflow smsc``: its options and the lines an operator types at it."""

from __future__ import annotations

import argparse

from smpp_helpers import BALANCE

from app.commands import smsc as cmd_smsc
from gateways.sms.service import SmsService
from simulator.smsc import SmscSimulator


def test_smsc_subcommand_options() -> None:
    parser = argparse.ArgumentParser()
    cmd_smsc.register(parser.add_subparsers())
    args = parser.parse_args(["smsc", "--listen", "127.0.0.1:2775", "--system-id", "X", "--password", "Y",
                              "--receipts", "--throttle-ratio", "0.1"])
    assert (args.listen, args.system_id, args.password, args.receipts, args.throttle_ratio) == (
        ("127.0.0.1", 2775), "X", "Y", True, 0.1)
    assert args.func is cmd_smsc.run


async def test_typed_lines_send_mos_and_inject_faults(smsc: SmscSimulator, service: SmsService) -> None:
    assert await cmd_smsc._command(smsc, "8613800138000 YE", "10086") == "MO 8613800138000 -> 10086: YE"
    assert (await smsc.wait_messages(1))[0].text == BALANCE
    assert await cmd_smsc._command(smsc, "!throttle 2", "10086") == "throttling the next 2 submit_sm"
    assert smsc.faults.throttle_next == 2
    assert "expected: MSISDN TEXT" in await cmd_smsc._command(smsc, "hello", "10086")
    assert "!drop" in await cmd_smsc._command(smsc, "!help", "10086")
    assert "binds 1" in await cmd_smsc._command(smsc, "!status", "10086")
