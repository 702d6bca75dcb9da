"""The SMS channel: SMSC bind + MO intake + engine + outbox, wired together.

``SmsService`` is what ``serve`` starts when ``--smpp`` is given. Without a
durable inbox each MO is acknowledged to the SMSC first and then handed to
the engine in its own task (a crash loses what is in flight); with one
(``inbox``, Redis) the MO is stored before the deliver_sm_resp leaves and
answered from the inbox (see ``gateways.sms.inbox``). Either way a slow
backend never stalls the SMSC, and past ``inbox_max`` MOs waiting the SMSC
is told ESME_RTHROTTLED, so it keeps the message. The engine's first reply
goes into the outbox as an MT from the short code. ``send`` is also the
PushSink for SMS pushes from other channels.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import secrets
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from engine.clock import Clock, SystemClock
from engine.ports.shared import SharedState
from engine.store.redis_inbox import Added, RedisInbox
from engine.store.shared import MemorySharedState
from engine.types import Handler, Inbound, Reply
from gateways.sms.codec import CodecError, encode_text
from gateways.sms.esme import Esme
from gateways.sms.inbox import InboxReader
from gateways.sms.link import Link
from gateways.sms.mo import MoIntake
from gateways.sms.options import SmppOptions
from gateways.sms.outbox import MemoryOutbox, MtItem, Outbox, OutboxSender, SenderPolicy
from gateways.sms.pdu import ESME_RTHROTTLED, ESME_RX_R_APPN, ESME_RX_T_APPN, Pdu
from gateways.sms.tracking import MtRecord, MtTracker

log = logging.getLogger(__name__)

#: Receives the fields of a deliver_sm that carries ``ussd_service_op``.
UssdHandler = Callable[[dict[str, Any]], Coroutine[Any, Any, None]]


@dataclass(slots=True)
class SmsStats:
    mo_received: int = 0
    mo_duplicates: int = 0
    mo_rejected: int = 0
    mo_failed: int = 0
    mo_incomplete: int = 0
    mo_throttled: int = 0
    #: MOs refused with a temporary error (inbox full, inbox unreachable): the SMSC keeps and retries them.
    mo_deferred: int = 0
    #: MOs a stopped process had stored and this one answered.
    mo_claimed: int = 0
    receipts: int = 0
    mt_queued: int = 0
    mt_sent: int = 0
    mt_failed: int = 0
    mt_parts_sent: int = 0
    retries: int = 0
    rebinds: int = 0


class SmsService:
    """SMS over SMPP for one short code."""

    def __init__(
        self,
        handler: Handler,
        opts: SmppOptions,
        clock: Clock | None = None,
        *,
        outbox: Outbox | None = None,
        ussd_handler: UssdHandler | None = None,
        shared: SharedState | None = None,
        inbox: RedisInbox | None = None,
    ) -> None:
        self.handler = handler
        self.opts = opts
        self.clock = clock or SystemClock()
        self.ussd_handler = ussd_handler
        #: Redelivery marks and rate counters; in Redis they are seen by every process's bind.
        self.shared: SharedState = shared or MemorySharedState(self.clock)
        self.intake = MoIntake(opts, self.clock)
        self.tracker = MtTracker()
        self.esme = Esme(opts, self._on_message, on_lost=self.intake.link_lost)
        # not `outbox or …`: an empty outbox has len() 0, and a Redis one would be silently replaced
        self.outbox: Outbox = outbox if outbox is not None else MemoryOutbox()
        policy = SenderPolicy(opts.window, opts.tps, opts.max_retries, opts.retry_backoff, opts.retry_backoff_max)
        self.sender = OutboxSender(self.outbox, self._submit_item, self.esme.bound, policy, self._on_done)
        self._stats = SmsStats()
        self._ids = itertools.count(1)
        #: Message ids are unique across processes: MTs of several processes share a Redis outbox.
        self._id_prefix = f"mt{secrets.token_hex(3)}-"
        self.reader = None if inbox is None else InboxReader(inbox, self._mt_answer, inbox.outbox.encode)
        self._reader_task: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._sender_task: asyncio.Task[None] | None = None

    @property
    def stats(self) -> SmsStats:
        self._stats.rebinds = self.esme.rebinds
        self._stats.retries = self.sender.retries
        self._stats.mo_incomplete = self.intake.incomplete
        if self.reader is not None:
            self._stats.mo_claimed = self.reader.claimed
        return self._stats

    async def start(self) -> None:
        """Start binding in the background; ``wait_bound`` to know when it is up."""
        await self.esme.start()
        self._sender_task = asyncio.create_task(self.sender.run(), name="sms-outbox")
        if self.reader is not None:
            self._reader_task = asyncio.create_task(self.reader.run(), name="sms-inbox")

    async def wait_bound(self, timeout: float = 10.0) -> None:
        await self.esme.wait_bound(timeout)

    async def send(self, reply: Reply) -> None:
        """Queue ``reply.text`` as an MT to ``reply.msisdn`` from the short code."""
        await self.send_text(reply.msisdn, reply.text)

    async def send_text(self, msisdn: str, text: str) -> str:
        """Queue an MT; returns our message id (see ``status``)."""
        items = self._mt_items(msisdn, text)
        for item in items:
            await self.outbox.put(item)
        self._stats.mt_queued += 1
        return items[0].message_id

    def _mt_items(self, msisdn: str, text: str) -> list[MtItem]:
        """One MT as its submit_sm parts, tracked from now on (raises ``CodecError`` if it cannot be sent)."""
        n = next(self._ids)
        message_id = f"{self._id_prefix}{n}"
        parts = encode_text(text, ref=n & 0xFFFF, concat=self.opts.concat)
        self.tracker.new(message_id, msisdn, len(parts))
        return [MtItem(message_id, i, len(parts), msisdn, p.short_message, p.data_coding, p.esm_class, p.tlvs)
                for i, p in enumerate(parts, start=1)]

    def status(self, message_id: str) -> MtRecord | None:
        """What became of an MT: queued, accepted, failed, delivered or undelivered."""
        return self.tracker.get(message_id)

    async def submit_fields(self, fields: dict[str, object]) -> Pdu:
        """A submit_sm with exactly ``fields`` on this bind (the USSD gateway's ``Submit``)."""
        return await self.esme.submit(fields)

    async def close(self, drain: float = 5.0) -> None:
        """Finish answering (up to ``drain`` s), unbind and stop.

        MOs already acknowledged to the SMSC will not come again, so their
        answers get a chance to reach the SMSC before the bind goes. MTs still
        queued after that stay in the outbox object; MOs of a durable inbox
        not answered by then stay in the inbox for another process.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + drain
        if self.reader is not None and self._reader_task is not None:
            self._reader_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader_task
            await self.reader.drain(drain)
        while (self._tasks or len(self.outbox)) and self.esme.bound.is_set() and loop.time() < deadline:
            await asyncio.sleep(0.01)
        for task in (self._sender_task, *self._tasks):
            if task is not None:
                task.cancel()
        await self.esme.close()
        for task in (self._sender_task, *self._tasks):
            if task is not None:
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    # -- MO side -----------------------------------------------------------------

    def _on_message(self, link: Link, pdu: Pdu) -> None:
        if "ussd_service_op" in pdu.fields:
            self._on_ussd(link, pdu)
            return
        decision = self.intake.accept(pdu)
        if decision.inbound is not None and self.reader is not None:
            self._spawn(self._keep_then_ack(link, pdu, decision.inbound))
            return
        if decision.inbound is not None and len(self._tasks) >= self.opts.inbox_max:
            self._defer(link, pdu, ESME_RTHROTTLED, "too many MOs in flight")
            return
        link.respond(pdu, decision.status)
        if decision.receipt is not None:
            self._stats.receipts += 1
            self.tracker.receipt(decision.receipt.smsc_id, decision.receipt.state)
        elif decision.duplicate:
            self._stats.mo_duplicates += 1
        elif decision.status:
            self._stats.mo_rejected += 1
            log.warning("MO from %s rejected: %s", pdu.get("source_addr"), decision.reason)
        elif decision.inbound is not None:
            self._stats.mo_received += 1
            self._spawn(self._answer_now(decision.inbound))

    async def _keep_then_ack(self, link: Link, pdu: Pdu, inbound: Inbound) -> None:
        """Acknowledge an MO only once the inbox holds it; refuse it (temporarily) otherwise."""
        assert self.reader is not None
        try:
            added, taken = await self.reader.store(inbound)
        except Exception as exc:  # Redis unreachable: not kept, so not accepted
            self._defer(link, pdu, ESME_RX_T_APPN, f"inbox unreachable ({type(exc).__name__})")
            return
        if added is Added.FULL:
            self._defer(link, pdu, ESME_RTHROTTLED, f"inbox full ({self.opts.inbox_max} MOs waiting)")
            return
        link.respond(pdu)
        if added is Added.DUPLICATE:
            self._stats.mo_duplicates += 1
            return
        self._stats.mo_received += 1
        self.reader.acknowledged(inbound, taken)

    def _defer(self, link: Link, pdu: Pdu, status: int, why: str) -> None:
        link.respond(pdu, status)
        self._stats.mo_deferred += 1
        if self._stats.mo_deferred & (self._stats.mo_deferred - 1) == 0:  # 1, 2, 4, 8...: a flood logs little
            log.warning("MO from %s refused for now (status 0x%02x): %s [%d so far]", pdu.get("source_addr"),
                        status, why, self._stats.mo_deferred)

    def _on_ussd(self, link: Link, pdu: Pdu) -> None:
        if self.ussd_handler is None:
            link.respond(pdu, ESME_RX_R_APPN)
            log.warning("USSD deliver_sm from %s but no USSD handler is configured", pdu.get("source_addr"))
            return
        link.respond(pdu)
        self._spawn(self.ussd_handler(dict(pdu.fields)))

    async def _admit(self, inbound: Inbound) -> bool:
        """Cross-process checks: a redelivery another bind already took, a subscriber over the rate.

        If the shared state cannot be reached the MO is answered: a subscriber
        is not left without a reply because Redis is down.
        """
        try:
            return await self._shared_checks(inbound)
        except Exception as exc:
            log.warning("MO checks skipped for %s: %s", inbound.msisdn, type(exc).__name__)
            return True

    async def _shared_checks(self, inbound: Inbound) -> bool:
        ref = inbound.meta.get("mo_ref")
        # A durable inbox recognised redeliveries when it stored the MO (a mark set here would
        # make a process that takes over a dead one's MO drop it).
        if ref and self.reader is None and not await self.shared.first_seen(f"mo:{ref}", self.opts.dedupe_ttl):
            self._stats.mo_duplicates += 1
            return False
        if self.opts.rate_limit and await self.shared.hit(f"mo:{inbound.msisdn}", 60.0) > self.opts.rate_limit:
            self._stats.mo_throttled += 1
            log.warning("MO from %s dropped: over %d per minute", inbound.msisdn, self.opts.rate_limit)
            return False
        return True

    async def _reply_text(self, inbound: Inbound) -> str:
        """The text answering one MO ("" for none: dropped by a check, or the engine failed)."""
        try:
            if not await self._admit(inbound):
                return ""
            replies = await self.handler(inbound)
        except Exception:
            self._stats.mo_failed += 1
            log.exception("engine failed on an SMS from %s", inbound.msisdn)
            return ""
        first = next((r for r in replies if not r.push), None)
        return first.text if first is not None else ""

    async def _answer_now(self, inbound: Inbound) -> None:
        text = await self._reply_text(inbound)
        if text:
            try:
                await self.send_text(inbound.msisdn, text)
            except CodecError as exc:  # e.g. a reply needing more than 255 parts
                self._stats.mt_failed += 1
                log.error("reply to %s not sent: %s", inbound.msisdn, exc)

    async def _mt_answer(self, inbound: Inbound) -> list[MtItem]:
        """The inbox reader's ``answer``: the MTs that complete this MO."""
        text = await self._reply_text(inbound)
        if not text:
            return []
        try:
            items = self._mt_items(inbound.msisdn, text)
        except CodecError as exc:
            self._stats.mt_failed += 1
            log.error("reply to %s not sent: %s", inbound.msisdn, exc)
            return []
        self._stats.mt_queued += 1
        return items

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- MT side -----------------------------------------------------------------

    def _submit_fields(
        self, dest: str, sm: bytes, dc: int, esm: int, tlvs: dict[str, int | bytes]
    ) -> dict[str, object]:
        o = self.opts
        return {
            "source_addr_ton": o.source_ton, "source_addr_npi": o.source_npi, "source_addr": o.shortcode,
            "dest_addr_ton": o.dest_ton, "dest_addr_npi": o.dest_npi, "destination_addr": dest,
            "esm_class": esm, "registered_delivery": o.registered_delivery, "data_coding": dc,
            "short_message": sm, **tlvs,
        }

    async def _submit_item(self, item: MtItem) -> Pdu:
        fields = self._submit_fields(item.destination, item.short_message, item.data_coding, item.esm_class,
                                     item.tlvs)
        return await self.esme.submit(fields)

    def _on_done(self, item: MtItem, resp: Pdu | None) -> None:
        if resp is not None and resp.status == 0 and resp.command == "submit_sm_resp":
            self._stats.mt_parts_sent += 1
            if self.tracker.accepted(item.message_id, item.part, str(resp.get("message_id", ""))):
                self._stats.mt_sent += 1
        elif self.tracker.failed(item.message_id, item.last_status):
            self._stats.mt_failed += 1
            log.warning("MT %s to %s failed after %d tries (status %s)", item.message_id, item.destination,
                        item.tries, item.last_status)
