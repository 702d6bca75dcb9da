"""MOs kept in a durable inbox before they are acknowledged, and the reader that answers them.

With a shared (Redis) store the SMS gateway does not answer an MO in the
task that received it: ``store`` writes it to the ``RedisInbox`` first (the
deliver_sm_resp waits for that) and, while fewer than ``concurrency`` MOs
are being answered, takes it for this reader in the same step; ``run``
reads the rest of the inbox — entries no reader had room for, and entries
a dead process left pending. Each is turned into MTs with ``answer`` and
completed, which puts the MTs into the outbox and removes the MO in one
step. Whatever process dies wherever, an acknowledged MO is either still in
the inbox or already answered.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Awaitable, Callable

import msgpack

from engine.retry import until_done
from engine.store.redis_inbox import Added, Entry, RedisInbox
from engine.types import Inbound
from gateways.sms.outbox import MtItem

log = logging.getLogger(__name__)

#: Builds the MTs answering one MO ([] when there is nothing to send).
Answer = Callable[[Inbound], Awaitable[list[MtItem]]]


def pack_inbound(inbound: Inbound) -> bytes:
    """An SMS Inbound as the inbox stores it (positional msgpack, ~100 bytes)."""
    fields = [inbound.msisdn, inbound.text, inbound.service_code, inbound.received_at, inbound.meta]
    return bytes(msgpack.packb(fields))


def unpack_inbound(blob: bytes) -> Inbound:
    msisdn, text, service_code, received_at, meta = msgpack.unpackb(blob)
    return Inbound(channel="sms", msisdn=msisdn, text=text, session_key=msisdn, service_code=service_code,
                   received_at=received_at, meta=meta)


class InboxReader:
    """Stores MOs and answers them from the inbox, at most ``concurrency`` at a time."""

    UNMARK_AFTER = 1.0

    def __init__(self, inbox: RedisInbox, answer: Answer, encode: Callable[[MtItem], bytes], *,
                 concurrency: int = 256) -> None:
        self.inbox = inbox
        self._answer = answer
        self._encode = encode
        self._concurrency = concurrency
        self._working: dict[str, asyncio.Task[None]] = {}
        #: Adds in flight that may take an entry: ``store`` counts them against ``concurrency`` too.
        self._taking = 0
        self._unmark: list[str] = []
        self._unmark_timer: asyncio.TimerHandle | None = None
        #: Entries taken over from a reader that stopped answering; MTs queued; answers dropped
        #: because another reader had answered the same entry first.
        self.claimed = 0
        self.answered = 0
        self.lost_races = 0

    async def store(self, inbound: Inbound) -> tuple[Added, Entry | None]:
        """Keep one MO durably (raises if Redis cannot be reached: then it is not kept).

        While this reader has room the MO is also taken for it in the same
        round trip; pass what was taken to ``acknowledged`` once the resp is queued.
        """
        take = len(self._working) + self._taking < self._concurrency
        self._taking += take
        try:
            return await self.inbox.add(str(inbound.meta["mo_id"]), pack_inbound(inbound), take=take)
        finally:
            self._taking -= take

    def acknowledged(self, inbound: Inbound, taken: Entry | None) -> None:
        """Its deliver_sm_resp is queued: answer what ``store`` took; forget content-only identities soon.

        Only an MO with a reference stays recognisable as a redelivery. Marks
        of content-only identities are removed ``UNMARK_AFTER`` s later,
        many in one command: by then the resp has left (a resp lost with the
        link still finds the mark), and a burst costs one DEL, not one per MO.
        """
        if taken is not None:
            self._start([taken])
        if inbound.meta.get("mo_ref") is None:
            self._unmark.append(str(inbound.meta["mo_id"]))
            if self._unmark_timer is None:
                self._unmark_timer = asyncio.get_running_loop().call_later(self.UNMARK_AFTER, self._flush_unmark)

    def _flush_unmark(self) -> None:
        self._unmark_timer = None
        ids, self._unmark = self._unmark, []
        self.inbox.unmark(ids)

    async def run(self) -> None:
        """Read and answer until cancelled; every ``claim_idle``/3 s take over dead readers' entries."""
        loop = asyncio.get_running_loop()
        every = self.inbox.claim_idle / 3
        next_claim = loop.time()
        while True:
            if loop.time() >= next_claim:
                next_claim = loop.time() + every
                await until_done(self._upkeep, what="MO inbox upkeep", log=log)
            free = self._concurrency - len(self._working)
            if free <= 0:
                await asyncio.wait(list(self._working.values()), return_when=asyncio.FIRST_COMPLETED)
                continue
            block = max(0.001, min(every, next_claim - loop.time()))
            entries = await until_done(functools.partial(self.inbox.read, free, block), what="MO inbox read",
                                       log=log)
            self._start(entries)

    async def _upkeep(self) -> None:
        await self.inbox.keep(list(self._working))
        claimed = await self.inbox.claim()
        if claimed:
            self.claimed += len(claimed)
            log.warning("MO inbox: answering %d MO(s) left unanswered by a stopped process", len(claimed))
            self._start(claimed)

    def _start(self, entries: list[Entry]) -> None:
        for entry_id, blob in entries:
            if entry_id not in self._working:
                self._working[entry_id] = asyncio.create_task(self._one(entry_id, blob))

    async def _one(self, entry_id: str, blob: bytes) -> None:
        try:
            mts = await self._answer(unpack_inbound(blob))
            # Completing is what keeps the promise: outlive a Redis outage rather than give up.
            done = await until_done(lambda: self.inbox.complete(entry_id, [self._encode(m) for m in mts]),
                                    what=f"MO {entry_id} completion", log=log)
            if not done:
                self.lost_races += 1
            elif mts:
                self.answered += 1
        finally:
            self._working.pop(entry_id, None)

    async def drain(self, timeout: float) -> None:
        """After ``run`` was cancelled: give the MOs being answered up to ``timeout`` s.

        The rest are cancelled and stay pending in the inbox for another reader.
        """
        if self._unmark_timer is not None:
            self._unmark_timer.cancel()
            self._flush_unmark()
        working = list(self._working.values())
        if working:
            await asyncio.wait(working, timeout=timeout)
        for task in working:
            task.cancel()
        await asyncio.gather(*working, return_exceptions=True)
        with contextlib.suppress(Exception):  # only tidiness: a leftover empty reader costs nothing
            await self.inbox.forget_reader()
