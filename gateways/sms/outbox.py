"""MT messages wait here until the SMSC has accepted them.

"Nothing is lost": a reply leaves the outbox only on a submit_sm_resp OK, or
as a recorded failure after ``max_retries`` tries. The queue sits behind a
four-call interface (put / next / ack / nack) so a Redis-backed outbox can
replace ``MemoryOutbox`` without touching the sender; the sender owns the
SMSC manners: a window of submits in flight, a token-bucket TPS limit, and
backoff when the SMSC throttles, times out or drops the bind.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import logging
import random
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from engine.ports.outbox import Outbox as OutboxPort
from engine.retry import until_done
from gateways.sms.link import LinkClosed
from gateways.sms.pdu import ESME_RMSGQFUL, ESME_RSYSERR, ESME_RTHROTTLED, ESME_RX_T_APPN, Pdu

log = logging.getLogger(__name__)

#: submit_sm_resp statuses worth another try; any other error is final.
TRANSIENT = frozenset({ESME_RTHROTTLED, ESME_RMSGQFUL, ESME_RX_T_APPN, ESME_RSYSERR, 0x45})


@dataclass(slots=True)
class MtItem:
    """One submit_sm's worth of an MT: plain values only, so it serialises."""

    message_id: str
    part: int
    parts: int
    destination: str
    short_message: bytes
    data_coding: int
    esm_class: int
    tlvs: dict[str, int | bytes] = field(default_factory=dict)
    tries: int = 0
    last_status: int | None = None

    @property
    def key(self) -> str:
        return f"{self.message_id}/{self.part}"


#: The queue the sender drains (the engine's outbox port, over MTs).
Outbox = OutboxPort[MtItem]


class MemoryOutbox:
    """In-process outbox: a ready deque plus a heap of items waiting out a backoff."""

    def __init__(self) -> None:
        self._ready: deque[MtItem] = deque()
        self._delayed: list[tuple[float, int, MtItem]] = []
        self._order = itertools.count()
        self._wake = asyncio.Event()
        self._inflight = 0

    async def put(self, item: MtItem) -> None:
        self._ready.append(item)
        self._wake.set()

    async def next(self) -> MtItem:
        loop = asyncio.get_running_loop()
        while True:
            now = loop.time()
            while self._delayed and self._delayed[0][0] <= now:
                self._ready.append(heapq.heappop(self._delayed)[2])
            if self._ready:
                self._inflight += 1
                return self._ready.popleft()
            self._wake.clear()
            timeout = self._delayed[0][0] - now if self._delayed else None
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout)

    async def ack(self, item: MtItem) -> None:
        self._inflight -= 1

    async def nack(self, item: MtItem, delay: float) -> None:
        """Give the item back to be tried again after ``delay`` s (negative: drop it)."""
        self._inflight -= 1
        if delay < 0:
            return
        heapq.heappush(self._delayed, (asyncio.get_running_loop().time() + delay, next(self._order), item))
        self._wake.set()

    def __len__(self) -> int:
        return len(self._ready) + len(self._delayed) + self._inflight


class TokenBucket:
    """``rate`` tokens per second, bursts up to ``burst``; ``now`` is injectable for tests."""

    def __init__(self, rate: float, burst: float | None = None, now: Callable[[], float] = time.monotonic):
        self.rate = rate
        self.burst = burst if burst is not None else max(1.0, rate / 10)
        self._now = now
        self._tokens = self.burst
        self._stamp = now()

    def take(self) -> float:
        """Take a token and return 0, or return how long until one is available."""
        if self.rate <= 0:
            return 0.0
        now = self._now()
        self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now
        if self._tokens >= 1:
            self._tokens -= 1
            return 0.0
        return (1 - self._tokens) / self.rate

    async def acquire(self) -> None:
        while (wait := self.take()) > 0:
            await asyncio.sleep(wait)


Submit = Callable[[MtItem], Awaitable[Pdu]]
Result = Callable[[MtItem, Pdu | None], None]


@dataclass(frozen=True, slots=True)
class SenderPolicy:
    window: int = 10
    tps: float = 50.0
    max_retries: int = 5
    backoff: float = 1.0
    backoff_max: float = 60.0


class OutboxSender:
    """Drains an outbox into ``submit`` with a window, a TPS limit and retries.

    ``submit`` raises ``LinkClosed``/``TimeoutError`` when the bind is down or
    the response never came; both count as a failed try with backoff, so
    messages queued during an outage leave once the bind is back.
    ``on_done(item, resp)`` is called once per item: with the OK response, or
    with the last error response (``None`` if it never got one) on final failure.
    """

    def __init__(self, box: Outbox, submit: Submit, bound: asyncio.Event, policy: SenderPolicy, on_done: Result):
        self.box = box
        self._submit = submit
        self._bound = bound
        self.policy = policy
        self._on_done = on_done
        self._bucket = TokenBucket(policy.tps)
        self._window = asyncio.Semaphore(policy.window)
        self._tasks: set[asyncio.Task[None]] = set()
        self._calm_until = 0.0
        self.retries = 0

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while True:
                await self._window.acquire()
                # The queue's store may be away (Redis down): the sender must outlive the outage.
                item = await until_done(self.box.next, what="outbox next", log=log)
                await self._bound.wait()
                if (pause := self._calm_until - loop.time()) > 0:
                    await asyncio.sleep(pause)
                await self._bucket.acquire()
                task = asyncio.create_task(self._send(item))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
        finally:
            for task in self._tasks:
                task.cancel()

    async def _send(self, item: MtItem) -> None:
        item.tries += 1
        resp: Pdu | None = None
        unsendable = False
        try:
            resp = await self._submit(item)
        except (LinkClosed, TimeoutError, ConnectionError) as exc:
            log.info("MT %s try %d: %s", item.key, item.tries, type(exc).__name__)
        except ValueError as exc:  # the PDU cannot be built (e.g. an over-long address): no retry helps
            log.error("MT %s cannot be sent: %s", item.key, exc)
            unsendable = True
        finally:
            self._window.release()
        if resp is not None and resp.status == 0 and resp.command != "generic_nack":
            await self._record("ack", item, lambda: self.box.ack(item))
            self._on_done(item, resp)
            return
        item.last_status = resp.status if resp is not None else None
        # A generic_nack means the SMSC could not parse our submit: retrying sends the same bytes.
        transient = resp is None or (resp.status in TRANSIENT and resp.command != "generic_nack")
        if unsendable or not transient or item.tries >= self.policy.max_retries:
            await self._record("drop", item, lambda: self.box.nack(item, -1))
            self._on_done(item, resp)
            return
        self.retries += 1
        delay = min(self.policy.backoff_max, self.policy.backoff * 2 ** (item.tries - 1))
        delay *= random.uniform(0.8, 1.2)
        if resp is not None and resp.status == ESME_RTHROTTLED:
            # The SMSC says we are too fast: everyone waits, not just this part.
            self._calm_until = asyncio.get_running_loop().time() + delay
        await self._record("retry", item, lambda: self.box.nack(item, delay))

    async def _record(self, what: str, item: MtItem, call: Callable[[], Awaitable[None]]) -> None:
        """Tell the queue what became of ``item``, until it listens: meanwhile the item stays taken, not lost."""
        await until_done(call, what=f"outbox {what} of MT {item.key}", log=log)
