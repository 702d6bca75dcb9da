"""One SMPP connection, either side: sequence numbers, pending responses, keep-alive.

Both our ESME and the SMSC simulator need the same plumbing, so it lives here
once: a reader task that routes each response to the request waiting for it
(by sequence number, so any number of requests can be in flight), answers
enquire_link itself, and hands every other request to the owner. A request
the owner cannot parse is answered with generic_nack and the link stays up;
only a broken length prefix (no way to find the next PDU) closes it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from gateways.sms.pdu import (
    ESME_RSYSERR,
    FrameReader,
    FramingError,
    Pdu,
    PduError,
    decode,
    encode,
    response_name,
)

log = logging.getLogger(__name__)

#: Called with each incoming request except enquire_link; it must answer it
#: (``link.respond``) or arrange to, and must not block.
RequestHandler = Callable[["Link", Pdu], None]


class LinkClosed(ConnectionError):
    """The connection went away while a request was waiting for its response."""


class Link:
    """A TCP connection speaking SMPP, with request/response correlation."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, name: str = "smpp") -> None:
        self.name = name
        self._frames = FrameReader(reader)
        self._writer = writer
        self._seq = 0
        self._pending: dict[int, asyncio.Future[Pdu]] = {}
        self._out: list[bytes] = []
        self.closed = asyncio.Event()
        self.last_rx = asyncio.get_running_loop().time()
        #: Called after each received frame was handled (the simulator's drop fault).
        self.after_frame: Callable[[], None] | None = None
        #: Answer enquire_link here; False hands it to the request handler instead.
        self.answer_enquire = True
        #: generic_nack PDUs received (answers to something the peer could not parse).
        self.nacks_received = 0

    def next_seq(self) -> int:
        self._seq = self._seq % 0x7FFF_FFFF + 1
        return self._seq

    def send(self, pdu: Pdu) -> None:
        """Queue one PDU for writing (fire and forget); a closed link drops it silently."""
        self.send_raw(encode(pdu))

    def send_raw(self, data: bytes) -> None:
        """Queue bytes as they are (the simulator's malformed-PDU fault needs this).

        PDUs queued in one event-loop turn leave in one write: on loopback a
        syscall per 17-byte deliver_sm_resp costs more than everything else.
        """
        if self.closed.is_set():
            return
        if not self._out:
            asyncio.get_running_loop().call_soon(self._flush)
        self._out.append(data)

    def _flush(self) -> None:
        out, self._out = self._out, []
        if out and not self.closed.is_set():
            self._writer.write(b"".join(out))

    def respond(self, req: Pdu, status: int = 0, **fields: object) -> None:
        self.send(Pdu(response_name(req.command), req.seq, status, dict(fields)))

    def request_nowait(self, command: str, fields: dict[str, object] | None = None) -> asyncio.Future[Pdu]:
        """Send a request; the future gets its response (or LinkClosed)."""
        fut: asyncio.Future[Pdu] = asyncio.get_running_loop().create_future()
        if self.closed.is_set():
            fut.set_exception(LinkClosed(f"{self.name} is closed"))
            return fut
        seq = self.next_seq()
        self._pending[seq] = fut
        self.send(Pdu(command, seq, 0, dict(fields or {})))
        return fut

    async def request(self, command: str, fields: dict[str, object] | None = None, timeout: float = 10.0) -> Pdu:
        """Send a request and wait for its response; TimeoutError after ``timeout``."""
        fut = self.request_nowait(command, fields)
        try:
            return await asyncio.wait_for(fut, timeout)
        except TimeoutError:
            self.forget(fut)
            raise

    def forget(self, fut: asyncio.Future[Pdu]) -> None:
        """Stop waiting for a response that timed out (a late one is then ignored)."""
        for seq in [s for s, f in self._pending.items() if f is fut]:
            del self._pending[seq]

    async def run(self, on_request: RequestHandler) -> None:
        """Read until the peer closes; returns (never raises) when the link is down."""
        try:
            while True:
                frame = await self._frames.read()
                if frame is None:
                    break
                self.last_rx = asyncio.get_running_loop().time()
                self._dispatch(frame, on_request)
                if self.after_frame is not None:
                    self.after_frame()
        except (FramingError, ConnectionError, OSError) as exc:
            log.warning("%s: connection lost: %s", self.name, exc)
        finally:
            self.close()

    def _dispatch(self, frame: bytes, on_request: RequestHandler) -> None:
        try:
            pdu = decode(frame)
        except PduError as exc:
            log.warning("%s: answering generic_nack: %s", self.name, exc)
            if exc.command is not None and exc.command.endswith("_resp"):
                self._complete(exc.seq, Pdu("generic_nack", exc.seq, exc.status))
            else:
                self.send(Pdu("generic_nack", exc.seq, exc.status))
            return
        if pdu.is_response:
            self.nacks_received += pdu.command == "generic_nack"
            self._complete(pdu.seq, pdu)
        elif pdu.command == "enquire_link" and self.answer_enquire:
            self.respond(pdu)
        else:
            try:
                on_request(self, pdu)
            except Exception:
                log.exception("%s: handler failed on %s", self.name, pdu.command)
                self.respond(pdu, ESME_RSYSERR)

    def _complete(self, seq: int, pdu: Pdu) -> None:
        fut = self._pending.pop(seq, None)
        if fut is not None and not fut.done():
            fut.set_result(pdu)

    def close(self) -> None:
        """Close the socket and fail every request still waiting."""
        if self.closed.is_set():
            return
        self._flush()
        self.closed.set()
        pending, self._pending = self._pending, {}
        for fut in pending.values():
            if not fut.done():
                fut.set_exception(LinkClosed(f"{self.name} closed"))
        self._writer.close()

    async def keepalive(self, interval: float, timeout: float) -> None:
        """enquire_link after ``interval`` s of silence; no answer in ``timeout`` s kills the link.

        smpplib only probes when a blocking read times out and never notices a
        missing answer; a half-open TCP connection (NAT timeout, SMSC crash)
        would otherwise look bound forever.
        """
        loop = asyncio.get_running_loop()
        while not self.closed.is_set():
            idle = loop.time() - self.last_rx
            if idle < interval:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.closed.wait(), interval - idle)
                continue
            try:
                await self.request("enquire_link", timeout=timeout)
            except (TimeoutError, LinkClosed):
                if not self.closed.is_set():
                    log.warning("%s: no enquire_link_resp in %.1fs, dropping the link", self.name, timeout)
                self.close()
                return
