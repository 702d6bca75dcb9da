"""A form body that reaches the TwiML webhook in two TCP pieces still carries the key press.

Carriers and proxies do split small POSTs; reading only what the first
segment brought turned a caller's "1" into silence (a ``noinput``).
"""

from __future__ import annotations

import asyncio
import xml.etree.ElementTree as ET
from urllib.parse import urlencode

from aiohttp import web
from aiohttp.test_utils import TestServer
from aiohttp.typedefs import Handler as WebHandler

from engine.clock import ManualClock
from gateways.ivr.options import IvrOptions
from gateways.ivr.twiml import add_twiml_routes

from .conftest import MenuHandler

CALL = {"CallSid": "CA123", "From": "+8613800138000", "To": "+8610086", "CallStatus": "in-progress"}


async def test_digits_in_the_second_tcp_piece_reach_the_engine(menu: MenuHandler) -> None:
    handler_started = asyncio.Event()

    @web.middleware
    async def mark_started(request: web.Request, handler: WebHandler) -> web.StreamResponse:
        handler_started.set()  # headers parsed, the first piece buffered, the second not yet sent
        return await handler(request)

    app = web.Application(middlewares=[mark_started])
    add_twiml_routes(app, menu, IvrOptions(), ManualClock())
    async with TestServer(app, host="127.0.0.1") as server:
        first = urlencode(CALL) + "&"
        second = urlencode({"Digits": "1"})
        head = (f"POST /ivr/twiml?step=input HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                f"Content-Type: application/x-www-form-urlencoded\r\n"
                f"Content-Length: {len(first) + len(second)}\r\n\r\n")
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        try:
            writer.write(head.encode() + first.encode())
            await writer.drain()
            await asyncio.wait_for(handler_started.wait(), 5)
            writer.write(second.encode())
            await writer.drain()
            raw = await asyncio.wait_for(reader.read(), 5)
        finally:
            writer.close()
            await writer.wait_closed()
    status, _, body = raw.decode("utf-8").partition("\r\n\r\n")
    assert status.startswith("HTTP/1.1 200"), raw
    assert ET.fromstring(body).findtext("Say") == "您的余额为50.00元。"
    assert menu.events() == [("input", "1")]
