"""The event log as an engine observer: a bounded queue in front of a store, written in batches.

Observing must cost a turn almost nothing and must never wait: ``__call__``
only appends the event to a deque (conversion and hashing happen when the
batch is written). A slow or absent store fills the queue; past ``capacity``
new events are dropped and counted (``dropped``) rather than held in memory or
allowed to slow a subscriber down. A failed write keeps its batch for the next
attempt while there is room, with a growing pause between attempts.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque

from engine.events.record import LOGGED, Recorder
from engine.ports.events import EngineEvent, EventStore

log = logging.getLogger("menuflow.events")

#: Events held while the store is slow or down (about 200 bytes each: ~20 MB at most).
CAPACITY = 100_000
#: Events per write (one transaction).
BATCH = 1_000
#: Seconds between writes when traffic is light; a full batch is written at once.
INTERVAL = 0.5
#: Longest pause between attempts while the store fails.
MAX_BACKOFF = 30.0


class EventLog:
    def __init__(self, store: EventStore, recorder: Recorder, *, capacity: int = CAPACITY, batch: int = BATCH,
                 interval: float = INTERVAL) -> None:
        self.store = store
        self.recorder = recorder
        self.capacity = capacity
        self.batch = batch
        self.interval = interval
        self.queue: deque[EngineEvent] = deque()
        self.written = 0
        self.dropped = 0
        self.failures = 0
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closing = False

    def __call__(self, event: EngineEvent) -> None:
        """The observer: never blocks, never raises."""
        if event.kind not in LOGGED:
            return
        if len(self.queue) >= self.capacity:
            self.dropped += 1
            return
        self.queue.append(event)
        if len(self.queue) >= self.batch:
            self._wake.set()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="menuflow-events")

    async def flush(self) -> bool:
        """Write what is queued, batch by batch; False (records kept) when the store failed."""
        while self.queue:
            n = min(self.batch, len(self.queue))
            events = [self.queue.popleft() for _ in range(n)]
            try:
                await self.store.write([self.recorder.record(e) for e in events])
            except Exception as exc:  # the store is down or slow: keep what fits, count the rest
                self.failures += 1
                room = self.capacity - len(self.queue)
                kept = events[:max(room, 0)]
                self.dropped += len(events) - len(kept)
                self.queue.extendleft(reversed(kept))
                log.warning("event log write failed (%d queued, %d dropped so far): %s", len(self.queue),
                            self.dropped, exc)
                return False
            self.written += n
        return True

    async def _run(self) -> None:
        backoff = self.interval
        while not self._closing:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), backoff)
            self._wake.clear()
            ok = await self.flush()
            backoff = self.interval if ok else min(backoff * 2, MAX_BACKOFF)
        # Closing before the writer ever ran (a short CLI session never yields to it) must not
        # leave the queue behind: what is left is written once more on the way out.
        await self.flush()

    async def close(self, timeout: float = 5.0) -> None:
        """Write what is queued (within ``timeout``), stop the writer, close the store."""
        self._closing = True
        self._wake.set()
        try:
            if self._task is not None:
                await asyncio.wait_for(self._task, timeout)
            elif self.queue:
                await asyncio.wait_for(self.flush(), timeout)
        except TimeoutError:
            pass
        finally:
            if self.queue:
                log.warning("event log closed with %d events unwritten", len(self.queue))
            self._task = None
            await self.store.close()
