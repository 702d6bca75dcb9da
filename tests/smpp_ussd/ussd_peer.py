"""A USSDC on loopback for the USSD-over-SMPP tests, and a small menu handler.

The USSDC is our SMPP ``Link`` playing the network side over a real socket:
it accepts the bind, answers every submit_sm and queues it for the test, and
sends deliver_sm PDUs the way a USSD gateway does.
"""

from __future__ import annotations

import asyncio
from typing import Any

from engine.types import Inbound, Reply, Wait
from gateways.sms.link import Link
from gateways.sms.pdu import Pdu


class FakeUssdc:
    def __init__(self) -> None:
        self.submits: asyncio.Queue[Pdu] = asyncio.Queue()
        self.bound = asyncio.Event()
        self.link: Link | None = None
        self.port = 0
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._ids = 0

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        link = Link(reader, writer, name="ussdc")
        self.link = link
        await link.run(self._on_request)

    def _on_request(self, link: Link, pdu: Pdu) -> None:
        if pdu.command == "bind_transceiver":
            link.respond(pdu, system_id="ussdc")
            self.bound.set()
        elif pdu.command == "submit_sm":
            self._ids += 1
            link.respond(pdu, message_id=f"u{self._ids}")
            self.submits.put_nowait(pdu)
        else:
            link.respond(pdu)

    async def deliver(self, **fields: Any) -> Pdu:
        """Send one deliver_sm as the USSDC and return the ESME's response."""
        assert self.link is not None
        base: dict[str, Any] = {
            "source_addr_ton": 1, "source_addr_npi": 1, "source_addr": "8613800138000",
            "dest_addr_ton": 0, "dest_addr_npi": 0, "destination_addr": "100",
            "data_coding": 0, "short_message": b"",
        }
        base.update(fields)
        return await self.link.request("deliver_sm", base, timeout=5)

    async def next_submit(self) -> Pdu:
        return await asyncio.wait_for(self.submits.get(), 5)

    async def close(self) -> None:
        if self.link is not None:
            self.link.close()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()


class MenuHandler:
    """A tiny real handler: a menu, a Chinese answer, a slow step, a crash."""

    def __init__(self) -> None:
        self.seen: list[Inbound] = []
        self.release = asyncio.Event()

    async def __call__(self, inbound: Inbound) -> list[Reply]:
        self.seen.append(inbound)
        def say(text: str, end: bool, locale: str = "en") -> list[Reply]:
            return [Reply("ussd", inbound.msisdn, text, locale=locale, wait=None if end else Wait())]
        if inbound.event == "begin":
            return say("1 Balance\n2 Data\n3 Slow", end=False)
        if inbound.event == "end":
            return []
        if inbound.text == "1":
            return say("余额 50.00 元", end=True, locale="zh")
        if inbound.text == "2":
            return say("Data left: 1.2 GB. 0 Back", end=False)
        if inbound.text == "3":
            await self.release.wait()
            return say("Slow answer", end=True)
        raise RuntimeError("boom")
