"""An SMSC simulator: the SMPP server our ESME binds to in demos and tests.

It behaves like the SMSCs that matter here: binds are checked against
configured credentials, each submit_sm gets a message id (and optionally a
delivery receipt), MOs are pushed with a window of unacknowledged
deliver_sm, and an MO whose deliver_sm_resp never came is delivered again
on the next bind, exactly what makes exactly-once answering hard. Faults
(throttling, dropped connections, slow or missing resps, malformed PDUs, an
unbind from our side) are switched on through ``smsc.faults`` and methods.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections import deque
from collections.abc import Callable
from typing import Any

from gateways.sms.codec import Concat, encode_text
from gateways.sms.link import Link, LinkClosed
from gateways.sms.pdu import (
    ESME_RALYBND,
    ESME_RINVBNDSTS,
    ESME_RINVPASWD,
    ESME_RINVSYSID,
    ESME_RTHROTTLED,
    Pdu,
)
from simulator.smsc_state import Faults, Message, Records, SubmitDecoder, Submitted, receipt_fields

log = logging.getLogger(__name__)
_RECEIVERS = ("bind_receiver", "bind_transceiver")
_TRANSMITTERS = ("bind_transmitter", "bind_transceiver")


class _Session:
    def __init__(self, link: Link) -> None:
        self.link = link
        self.bind: str | None = None
        self.system_id = ""


class SmscSimulator:
    """``async with SmscSimulator(credentials={"menuflow": "secret"}) as smsc: ...``"""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, credentials: dict[str, str] | None = None,
                 receipts: bool = False, mo_window: int = 50, mo_timeout: float = 10.0) -> None:
        self.host, self._port = host, port
        #: None accepts any system_id/password.
        self.credentials = credentials
        self.receipts = receipts
        self.mo_window = mo_window
        self.mo_timeout = mo_timeout
        self.faults = Faults()
        self.records = Records()
        self.on_message: Callable[[Message], None] | None = None
        self._decoder = SubmitDecoder()
        self._server: asyncio.Server | None = None
        self._sessions: list[_Session] = []
        self._mo: deque[dict[str, Any]] = deque()
        self._mo_ready = asyncio.Event()
        self._ids = itertools.count(1)
        self._refs = itertools.count(1)
        self._tasks: set[asyncio.Task[Any]] = set()
        self._changed = asyncio.Event()
        self._old_nacks = 0

    # -- lifecycle --------------------------------------------------------------------

    async def start(self) -> SmscSimulator:
        self._server = await asyncio.start_server(self._accept, self.host, self._port)
        return self

    @property
    def port(self) -> int:
        assert self._server is not None
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for s in list(self._sessions):
            s.link.close()
        for task in list(self._tasks):
            task.cancel()
        if self._server is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2)

    async def __aenter__(self) -> SmscSimulator:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # -- inspection ---------------------------------------------------------------

    @property
    def submits(self) -> list[Submitted]:
        return self.records.submits

    @property
    def messages(self) -> list[Message]:
        return self.records.messages

    @property
    def bound_sessions(self) -> int:
        return sum(1 for s in self._sessions if s.bind)

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 10.0) -> None:
        """Wait until ``predicate()`` holds (re-checked whenever anything is recorded)."""
        async def loop() -> None:
            while not predicate():
                self._changed.clear()
                await self._changed.wait()
        await asyncio.wait_for(loop(), timeout)

    async def wait_messages(self, n: int, timeout: float = 10.0) -> list[Message]:
        await self.wait_for(lambda: len(self.records.messages) >= n, timeout)
        return self.records.messages

    # -- injecting traffic --------------------------------------------------------

    def deliver_nowait(self, source: str, dest: str, text: str, *, concat: Concat = "udh8",
                       tlvs: dict[str, object] | None = None, ton: int = 1) -> None:
        """Queue an MO (GSM-7 or UCS2, concatenated when long) for the bound receiver."""
        for part in encode_text(text, ref=next(self._refs) & 0xFF, concat=concat):
            self._queue_mo({
                "source_addr_ton": ton, "source_addr_npi": 1, "source_addr": source,
                "dest_addr_ton": 0, "dest_addr_npi": 0, "destination_addr": dest,
                "esm_class": part.esm_class, "data_coding": part.data_coding,
                "short_message": part.short_message, **part.tlvs, **(tlvs or {}),
            })

    async def deliver(self, source: str, dest: str, text: str, **kw: Any) -> None:
        self.deliver_nowait(source, dest, text, **kw)

    def deliver_fields(self, fields: dict[str, Any], command: str = "deliver_sm") -> None:
        """Queue a deliver_sm (or data_sm) with exactly these fields (raw bytes, odd codings, USSD TLVs)."""
        self._queue_mo({**fields, "_command": command})

    def drop_connections(self) -> None:
        """Close every connection now, without unbind (a crash or a cut cable)."""
        for s in list(self._sessions):
            s.link.close()

    def send_malformed(self) -> None:
        """Send each bound ESME a PDU with an unknown command_id and one with a broken body."""
        for s in self._sessions:
            if s.bind:
                s.link.send_raw(bytes.fromhex("00000010000000ff0000000000007a69"))
                s.link.send_raw(bytes.fromhex("0000001500000005000000000000" "7a6a" "0101ffffff"))

    async def unbind_all(self) -> int:
        """Unbind every session from the SMSC side; returns how many answered unbind_resp."""
        answered = 0
        for s in [s for s in self._sessions if s.bind]:
            with contextlib.suppress(TimeoutError, LinkClosed):
                resp = await s.link.request("unbind", timeout=5)
                answered += resp.command == "unbind_resp"
            s.link.close()
        return answered

    async def enquire_all(self) -> int:
        """enquire_link to every bound ESME; returns how many answered."""
        answered = 0
        for s in [s for s in self._sessions if s.bind]:
            with contextlib.suppress(TimeoutError, LinkClosed):
                self.records.enquire_links_sent += 1
                answered += (await s.link.request("enquire_link", timeout=5)).command == "enquire_link_resp"
        return answered

    # -- protocol -----------------------------------------------------------------

    def _touch(self) -> None:
        self._changed.set()

    def _queue_mo(self, fields: dict[str, Any], front: bool = False) -> None:
        (self._mo.appendleft if front else self._mo.append)(fields)
        self._mo_ready.set()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        session = _Session(Link(reader, writer, name="smsc-session"))
        session.link.after_frame = lambda: self._after_frame(session)
        session.link.answer_enquire = False
        self._sessions.append(session)
        try:
            await session.link.run(lambda link, pdu: self._on_request(session, pdu))
        finally:
            self._old_nacks += session.link.nacks_received
            self._sessions.remove(session)
            self._touch()

    def _after_frame(self, session: _Session) -> None:
        f = self.faults
        self.records.nacks_received = sum(s.link.nacks_received for s in self._sessions) + self._old_nacks
        self._touch()
        if f.drop_after is not None:
            f.drop_after -= 1
            if f.drop_after <= 0:
                f.drop_after = None
                session.link.close()

    def _on_request(self, s: _Session, pdu: Pdu) -> None:
        if pdu.command.startswith("bind_"):
            self._bind(s, pdu)
        elif pdu.command == "unbind":
            self.records.unbinds_received += 1
            s.link.respond(pdu)
            asyncio.get_running_loop().call_soon(s.link.close)
        elif pdu.command == "submit_sm":
            self._submit(s, pdu)
        elif pdu.command == "enquire_link":
            self.records.enquire_links_received += 1
            if self.faults.ignore_enquire > 0:
                self.faults.ignore_enquire -= 1
            else:
                s.link.respond(pdu)
        else:
            self.records.generic_nacks += 1
            s.link.send(Pdu("generic_nack", pdu.seq, 0x03))
        self._touch()

    def _bind(self, s: _Session, pdu: Pdu) -> None:
        system_id, password = pdu.get("system_id", ""), pdu.get("password", "")
        status = 0
        if s.bind:
            status = ESME_RALYBND
        elif self.credentials is not None and system_id not in self.credentials:
            status = ESME_RINVSYSID
        elif self.credentials is not None and self.credentials[system_id] != password:
            status = ESME_RINVPASWD
        s.link.respond(pdu, status, system_id="SIMSMSC")
        if status:
            self.records.bind_refusals += 1
            return
        s.bind, s.system_id = pdu.command, system_id
        self.records.binds += 1
        if s.bind in _RECEIVERS:
            self._spawn(self._pump(s))

    def _submit(self, s: _Session, pdu: Pdu) -> None:
        f = self.faults
        if s.bind not in _TRANSMITTERS:
            s.link.respond(pdu, ESME_RINVBNDSTS)
            return
        if f.throttle():
            self.records.throttled += 1
            s.link.respond(pdu, ESME_RTHROTTLED)
            return
        message_id = f"{next(self._ids):08x}"
        sub, whole = self._decoder.decode(s.system_id, pdu.fields, message_id)
        self.records.submits.append(sub)
        if whole is not None:
            self.records.messages.append(whole)
            if self.on_message is not None:
                self.on_message(whole)
        if f.resp_delay > 0:
            asyncio.get_running_loop().call_later(f.resp_delay, lambda: s.link.respond(pdu, 0, message_id=message_id))
        else:
            s.link.respond(pdu, 0, message_id=message_id)
        if self.receipts and int(pdu.get("registered_delivery") or 0) & 1:
            self._queue_mo(receipt_fields(sub))

    async def _pump(self, s: _Session) -> None:
        """Push queued MOs to one receiver, at most ``mo_window`` unacknowledged."""
        window = asyncio.Semaphore(self.mo_window)
        while not s.link.closed.is_set():
            await window.acquire()
            while not self._mo:
                self._mo_ready.clear()
                waiter = asyncio.ensure_future(self._mo_ready.wait())
                closer = asyncio.ensure_future(s.link.closed.wait())
                await asyncio.wait((waiter, closer), return_when=asyncio.FIRST_COMPLETED)
                waiter.cancel()
                closer.cancel()
                if s.link.closed.is_set():
                    return
            fields = self._mo.popleft()
            wire = {k: v for k, v in fields.items() if k != "_command"}
            fut = s.link.request_nowait(fields.get("_command", "deliver_sm"), wire)
            self._spawn(self._await_mo(s, fields, fut, window))

    async def _await_mo(self, s: _Session, fields: dict[str, Any], fut: asyncio.Future[Pdu],
                        window: asyncio.Semaphore) -> None:
        try:
            resp = await asyncio.wait_for(fut, self.mo_timeout)
        except (TimeoutError, LinkClosed):
            s.link.forget(fut)
            self.records.mo_redelivered += 1
            self._queue_mo(fields, front=True)
        else:
            if resp.status == 0:
                self.records.mo_acked += 1
            else:
                self.records.mo_rejected.append(resp.status)
        finally:
            window.release()
            self._touch()

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
