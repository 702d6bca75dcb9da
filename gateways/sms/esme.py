"""Our side of the SMPP bind: connect, bind, stay bound, rebind, unbind.

asyncio on smpplib's PDU classes rather than smpplib's client: the client is
blocking, not thread-safe, never notices a dead link, and does not answer
unbind or data_sm. Here one supervisor task keeps the bind alive (our own
enquire_link timer, exponential backoff with jitter between attempts), and
every deliver_sm / data_sm is handed to the owner, who must answer it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable, Coroutine
from typing import Any

from gateways.sms.link import Link, LinkClosed
from gateways.sms.options import SmppOptions
from gateways.sms.pdu import ESME_RINVBNDSTS, ESME_RINVCMDID, Pdu

log = logging.getLogger(__name__)

#: Receives each deliver_sm and data_sm; must answer it with ``link.respond``.
MessageHandler = Callable[[Link, Pdu], None]


class BindError(Exception):
    """The SMSC refused the bind (wrong credentials, already bound...)."""

    def __init__(self, command: str, status: int) -> None:
        super().__init__(f"{command} refused with status 0x{status:02x}")
        self.status = status


class Esme:
    """Keeps one bind (a transceiver, or a transmitter+receiver pair) alive."""

    def __init__(
        self, opts: SmppOptions, on_message: MessageHandler, on_lost: Callable[[], None] | None = None
    ) -> None:
        self.opts = opts
        self._on_message = on_message
        self._on_lost = on_lost
        self.bound = asyncio.Event()
        self.binds = 0
        self.bind_failures = 0
        self._links: list[Link] = []
        self._tx: Link | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._supervisor: asyncio.Task[None] | None = None
        self._closing = False

    @property
    def rebinds(self) -> int:
        return max(0, self.binds - 1)

    async def start(self) -> None:
        self._supervisor = asyncio.create_task(self._supervise(), name="smpp-supervisor")

    async def wait_bound(self, timeout: float) -> None:
        await asyncio.wait_for(self.bound.wait(), timeout)

    async def submit(self, fields: dict[str, object]) -> Pdu:
        """Send one submit_sm and return its response (any status).

        Raises ``LinkClosed`` when not bound and ``TimeoutError`` when the
        SMSC does not answer within ``resp_timeout``.
        """
        link = self._tx
        if link is None or not self.bound.is_set():
            raise LinkClosed("not bound")
        return await link.request("submit_sm", fields, timeout=self.opts.resp_timeout)

    async def close(self) -> None:
        """Unbind politely (waiting briefly for unbind_resp), then disconnect."""
        self._closing = True
        self.bound.clear()
        for link in list(self._links):
            with contextlib.suppress(TimeoutError, LinkClosed):
                await link.request("unbind", timeout=min(2.0, self.opts.resp_timeout))
            link.close()
        if self._supervisor is not None:
            self._supervisor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._supervisor
        for task in list(self._tasks):
            task.cancel()

    async def _supervise(self) -> None:
        delay = self.opts.reconnect_min
        while not self._closing:
            try:
                await self._bind_all()
            except (OSError, BindError, TimeoutError, LinkClosed) as exc:
                self.bind_failures += 1
                log.warning("SMPP bind to %s:%d failed: %s", self.opts.host, self.opts.port, exc)
                self._drop_links()
            else:
                delay = self.opts.reconnect_min
                self.binds += 1
                self.bound.set()
                log.info("SMPP bound to %s:%d as %s", self.opts.host, self.opts.port, self.opts.bind_mode)
                waiters = [asyncio.create_task(link.closed.wait()) for link in self._links]
                try:
                    await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    for waiter in waiters:
                        waiter.cancel()
                self.bound.clear()
                self._drop_links()
                if self._on_lost is not None:
                    self._on_lost()
                if self._closing:
                    return
                log.warning("SMPP link to %s:%d lost; rebinding", self.opts.host, self.opts.port)
            await asyncio.sleep(delay * random.uniform(0.5, 1.0))
            delay = min(self.opts.reconnect_max, delay * 2)

    def _drop_links(self) -> None:
        for link in self._links:
            link.close()
        self._links = []
        self._tx = None

    async def _bind_all(self) -> None:
        if self.opts.bind_mode == "trx":
            self._tx = await self._bind_one("bind_transceiver")
        else:
            self._tx = await self._bind_one("bind_transmitter")
            await self._bind_one("bind_receiver")

    async def _bind_one(self, command: str) -> Link:
        o = self.opts
        reader, writer = await asyncio.wait_for(asyncio.open_connection(o.host, o.port), o.resp_timeout)
        link = Link(reader, writer, name=f"{command[5:]}@{o.host}:{o.port}")
        self._links.append(link)
        self._spawn(link.run(self._on_request))
        fields: dict[str, object] = {
            "system_id": o.system_id,
            "password": o.password,
            "system_type": o.system_type,
            "interface_version": 0x34,
            "addr_ton": 0,
            "addr_npi": 0,
            "address_range": o.address_range,
        }
        resp = await link.request(command, fields, timeout=o.resp_timeout)
        if resp.status != 0 or resp.command == "generic_nack":
            raise BindError(command, resp.status)
        self._spawn(link.keepalive(o.enquire_link, o.resp_timeout))
        return link

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _on_request(self, link: Link, pdu: Pdu) -> None:
        if pdu.command in ("deliver_sm", "data_sm"):
            self._on_message(link, pdu)
        elif pdu.command == "unbind":
            # smpplib leaves this unanswered; the SMSC then waits for its timer.
            log.info("%s: SMSC unbound us", link.name)
            link.respond(pdu)
            asyncio.get_running_loop().call_soon(link.close)
        elif pdu.command.startswith("bind_") or pdu.command == "submit_sm":
            link.respond(pdu, ESME_RINVBNDSTS)
        else:
            link.send(Pdu("generic_nack", pdu.seq, ESME_RINVCMDID))
