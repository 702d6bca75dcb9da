"""Interoperability: our USSD-over-SMPP gateway against a USSDC built on the npm ``smpp`` package.

A second SMPP implementation checks the TLV octets our own peer would happily
agree with: ``ussd_service_op`` (1 octet), ``its_session_info`` (2 octets) and
``user_message_reference`` both ways, and the screen's coding.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from ussd_peer import MenuHandler

from engine.clock import ManualClock
from engine.types import Reply
from gateways.ussd.smpp import UssdSmppGateway
from gateways.ussd.smpp_options import UssdSmppOptions
from simulator.smsc_npm import npm_smsc_available

pytestmark = pytest.mark.node
SCRIPT = Path(__file__).with_name("ussdc.js")


class NodeUssdc:
    def __init__(self, proc: asyncio.subprocess.Process, port: int) -> None:
        self.proc, self.port = proc, port

    @classmethod
    async def start(cls) -> NodeUssdc:
        proc = await asyncio.create_subprocess_exec(
            "node", str(SCRIPT), stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
        assert proc.stdout is not None
        first = json.loads(await asyncio.wait_for(proc.stdout.readline(), 10))
        return cls(proc, int(first["port"]))

    def deliver(self, **fields: Any) -> None:
        assert self.proc.stdin is not None
        base = {"source_addr_ton": 1, "source_addr_npi": 1, "source_addr": "8613800138000",
                "destination_addr": "100", "data_coding": 0, **fields}
        self.proc.stdin.write((json.dumps({"cmd": "deliver", "fields": base}) + "\n").encode())

    async def event(self, kind: str) -> dict[str, Any]:
        assert self.proc.stdout is not None
        while True:
            line = await asyncio.wait_for(self.proc.stdout.readline(), 10)
            assert line, "node USSDC exited"
            event: dict[str, Any] = json.loads(line)
            assert event["event"] != "session_error", event
            if event["event"] == kind:
                return event

    async def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        try:
            await asyncio.wait_for(self.proc.wait(), 5)
        except TimeoutError:
            self.proc.kill()
            await self.proc.wait()


@pytest.fixture
async def node() -> AsyncIterator[NodeUssdc]:
    why = npm_smsc_available()
    if why:
        pytest.skip(why)
    peer = await NodeUssdc.start()
    yield peer
    await peer.close()


async def no_push(reply: Reply) -> None:
    raise AssertionError(f"unexpected push {reply}")


async def run(node: NodeUssdc, **opts: Any) -> tuple[UssdSmppGateway, MenuHandler]:
    handler = MenuHandler()
    options = UssdSmppOptions(host="127.0.0.1", port=node.port, system_id="menuflow", **opts)
    gw = UssdSmppGateway(handler, no_push, options, clock=ManualClock(), locale="en")
    await gw.start()
    await node.event("bind")
    return gw, handler


async def test_its_session_info_dialog_with_npm_ussdc(node: NodeUssdc) -> None:
    gw, handler = await run(node)
    node.deliver(ussd_service_op=1, short_message_hex=b"*100#".hex(), its_session_info_hex="0c00")
    assert (await node.event("deliver_resp"))["status"] == 0
    menu = await node.event("submit")
    assert bytes.fromhex(menu["short_message_hex"]).decode("ascii") == "1 Balance\n2 Data\n3 Slow"
    assert (menu["ussd_service_op"], menu["its_session_info_hex"]) == (2, "0c00")
    assert (menu["destination_addr"], menu["source_addr"], menu["data_coding"]) == ("8613800138000", "100", 0)

    node.deliver(ussd_service_op=18, short_message_hex=b"1".hex(), its_session_info_hex="0c02")
    final = await node.event("submit")
    assert bytes.fromhex(final["short_message_hex"]).decode("utf-16-be") == "余额 50.00 元"
    assert (final["ussd_service_op"], final["its_session_info_hex"], final["data_coding"]) == (17, "0c03", 8)
    assert [i.event for i in handler.seen] == ["begin", "input"]
    assert handler.seen[0].session_key == "smpp:8613800138000/12"
    await gw.close()


async def test_user_message_reference_dialog_with_npm_ussdc(node: NodeUssdc) -> None:
    gw, handler = await run(node, session_id="user_message_reference", op_end=0x17)
    node.deliver(ussd_service_op=1, short_message_hex=b"*100#".hex(), user_message_reference=513)
    menu = await node.event("submit")
    assert (menu["user_message_reference"], menu["its_session_info_hex"]) == (513, None)
    node.deliver(ussd_service_op=18, short_message_hex=b"1".hex(), user_message_reference=513)
    final = await node.event("submit")
    assert (final["ussd_service_op"], final["user_message_reference"]) == (0x17, 513)
    assert handler.seen[1].text == "1"
    await gw.close()
