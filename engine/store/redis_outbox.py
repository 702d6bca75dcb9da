"""A Redis outbox with the SMS sender's put / next / ack / nack interface.

It lets an MT queued by one process be sent by another: every process
drains the same ``ready`` list, and what a process has taken but not yet
acked sits in its own ``taken:<id>`` list while its ``alive:<id>`` key
(refreshed in the background) exists. When a process dies, its alive key
expires and the next ``next()`` anywhere moves its taken items back to
``ready`` — so a message is never lost, at worst sent twice if a process dies
between the SMSC's accept and the ack (SMPP gives no better guarantee).

Backoffs (``nack(item, delay)``) wait in a sorted set scored by the Redis
server's own clock, so hosts with skewed clocks agree on when a retry is due.

While Redis is away, ``put`` keeps MTs in this process's spool (in order,
up to ``spool_max``) and a background task hands them to Redis once it
answers again: a reply produced during an outage is late, not lost (unless
the process also dies before Redis comes back).

The item type is a plain dataclass given by the caller (the SMS gateway's
``MtItem``): the engine package stays free of protocol imports.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import math
import secrets
from collections import deque
from typing import Generic, TypeVar

import msgpack
import redis.asyncio as aioredis

from engine.ports.outbox import Item
from engine.retry import until_done
from engine.store.redis_conn import Client, open_conn

log = logging.getLogger(__name__)


def cancel_requested() -> bool:
    """Whether this task was asked to stop, even if the request got lost on the way.

    redis-py (seen with 8.1 on CPython 3.11) sometimes swallows a task's
    ``CancelledError`` mid-command and the command returns as if nothing
    happened; a loop around Redis calls would then never stop. The request
    still shows in ``Task.cancelling()``, so the outbox's own redis-py calls
    (blocking ones cannot share the auto-pipeline) check it after each call.
    """
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


T = TypeVar("T", bound=Item)

# KEYS: delayed zset, ready list, taken list; ARGV: how many. Moves due retries to
# ready, then up to ARGV[1] items from ready to taken in the same call;
# returns {ms until the next retry or -1, ready length left, delayed count, items...}.
_TAKE = """
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, 100)
for _, m in ipairs(due) do
  redis.call('LPUSH', KEYS[2], m)
  redis.call('ZREM', KEYS[1], m)
end
local out = {-1, 0, redis.call('ZCARD', KEYS[1])}
local nxt = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if nxt[2] then out[1] = math.max(0, tonumber(nxt[2]) - now) end
for i = 1, tonumber(ARGV[1]) do
  local m = redis.call('LMOVE', KEYS[2], KEYS[3], 'RIGHT', 'LEFT')
  if not m then break end
  out[#out + 1] = m
end
out[2] = redis.call('LLEN', KEYS[2])
return out
"""

# KEYS: taken list, delayed zset; ARGV: old blob, new blob, delay ms.
_RETRY = """
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
redis.call('LREM', KEYS[1], 1, ARGV[1])
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[3]), ARGV[2])
return 1
"""

# KEYS: consumers set, ready list; ARGV: key prefix. Gives the taken items of
# every consumer whose alive key expired back to ready; returns how many.
_REAP = """
local moved = 0
for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if redis.call('EXISTS', ARGV[1] .. 'alive:' .. id) == 0 then
    while redis.call('RPOPLPUSH', ARGV[1] .. 'taken:' .. id, KEYS[2]) do moved = moved + 1 end
    redis.call('SREM', KEYS[1], id)
  end
end
return moved
"""


class RedisOutbox(Generic[T]):
    """Outbox shared by every process using the same Redis, prefix and ``name``.

    ``item_type`` is the dataclass to rebuild items as. ``alive_ttl`` is how
    long after a process stops heartbeating its taken items are handed to
    others; it must exceed the longest pause of the process's event loop.
    ``len()`` is the count seen at this process's last operation (the sender's
    interface is synchronous); ``await size()`` asks Redis.
    """

    def __init__(
        self,
        url: str,
        item_type: type[T],
        *,
        prefix: str = "mf:",
        name: str = "sms",
        alive_ttl: float = 10.0,
        poll: float = 1.0,
        spool_max: int = 100_000,
        batch: int = 32,
    ) -> None:
        self._conn = open_conn(url)
        self._redis = self._conn.client
        #: takes, and acks of concurrent submits, leave with the process's other commands (see redis_conn)
        self._pipe = self._conn.pipe
        self._type = item_type
        self._fields = [f.name for f in dataclasses.fields(item_type)]  # type: ignore[arg-type]  # a dataclass
        #: The queue's hash tag: the MO inbox's completion script writes here too (see RedisInbox).
        self.tag = f"{prefix}{{{name}}}"
        self._base = f"{self.tag}:out:"
        self.consumer = secrets.token_hex(8)
        self._alive_ttl = alive_ttl
        self._poll = poll
        self.batch = batch
        self._take = self._redis.register_script(_TAKE)
        #: Items taken in one call but not yet handed out (they sit in our taken list meanwhile).
        self._batch: deque[bytes] = deque()
        self._retry = self._redis.register_script(_RETRY)
        self._reap = self._redis.register_script(_REAP)
        self._taken: dict[str, bytes] = {}
        self._seen = 0
        self._heartbeat: asyncio.Task[None] | None = None
        self._next_reap = 0.0
        #: MTs put while Redis was unreachable, oldest first; ``_drain_spool`` hands them over.
        self._spool: deque[bytes] = deque()
        self._spool_max = spool_max
        self._spooler: asyncio.Task[None] | None = None

    def _k(self, what: str) -> str:
        return self._base + what

    @property
    def redis(self) -> Client:
        return self._redis

    @property
    def ready_key(self) -> str:
        """The list ``next`` takes from: a script that queues MTs atomically pushes here (LPUSH)."""
        return self._k("ready")

    def counted(self, n: int) -> None:
        """Note ``n`` items queued by someone else's script, so ``len()`` is not stale until the next call."""
        self._seen += n

    def encode(self, item: T) -> bytes:
        # A shallow dict of the fields: ``dataclasses.asdict`` deep-copies every value first,
        # which cost more than the rest of queueing an MT. Field values are plain data.
        return bytes(msgpack.packb({name: getattr(item, name) for name in self._fields}))

    def decode(self, blob: bytes) -> T:
        return self._type(**msgpack.unpackb(blob))

    async def put(self, item: T) -> None:
        blob = self.encode(item)
        if not self._spool:
            try:
                self._seen = int(await self._redis.lpush(self._k("ready"), blob))
                return
            except aioredis.RedisError as exc:
                log.warning("outbox %s: Redis unreachable, spooling MTs in this process: %s", self._base, exc)
        if len(self._spool) >= self._spool_max:
            raise OverflowError(f"outbox {self._base}: Redis unreachable and {self._spool_max} MTs already spooled")
        self._spool.append(blob)  # behind those already waiting: order is kept
        if self._spooler is None or self._spooler.done():
            self._spooler = asyncio.create_task(self._drain_spool(), name=f"outbox-spool-{self.consumer}")

    async def _drain_spool(self) -> None:
        while self._spool:
            # put() already said Redis is away; waiting for it again is not news.
            pushed = await until_done(lambda: self._redis.lpush(self._k("ready"), self._spool[0]),
                                      what="spooled MT", log=None, retry_on=(aioredis.RedisError,))
            self._seen = int(pushed)
            self._spool.popleft()
        log.info("outbox %s: spooled MTs handed to Redis", self._base)

    async def next(self) -> T:
        """Wait for a due item; it stays in this process's taken list until ack/nack.

        Up to ``batch`` items are taken per round trip when the queue is long: one
        MT per call made the sender, not the SMSC, the limit under a burst.
        """
        await self._start()
        taken = self._k(f"taken:{self.consumer}")
        while True:
            if not self._batch:
                await self._reap_dead()
                wait_ms, ready, delayed, *items = await self._pipe.script(
                    self._take, [self._k("delayed"), self._k("ready"), taken], [self.batch])
                self._batch.extend(items)
                self._seen = int(ready) + int(delayed) + len(self._taken) + len(self._batch)
                if cancel_requested():  # the batch stays ours, in order, for the next call
                    raise asyncio.CancelledError
            if self._batch:
                blob = self._batch.popleft()
                item = self.decode(blob)
                self._taken[item.key] = blob
                return item
            wait = self._poll if wait_ms < 0 else min(self._poll, max(0.001, wait_ms / 1000))
            # redis-py types the timeout as int; Redis 6+ takes fractional seconds.
            moved = await self._redis.blmove(self._k("ready"), taken, wait, "RIGHT", "LEFT")  # type: ignore[arg-type]
            if cancel_requested():
                if isinstance(moved, bytes):
                    await self._give_back(moved)
                raise asyncio.CancelledError
            if isinstance(moved, bytes):
                item = self.decode(moved)
                self._taken[item.key] = moved
                return item

    async def _give_back(self, blob: bytes) -> None:
        """Return an item taken by a ``next()`` that was cancelled: it goes first again."""
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.lrem(self._k(f"taken:{self.consumer}"), 1, blob)  # type: ignore[arg-type]
            pipe.rpush(self._k("ready"), blob)
            await pipe.execute()

    async def _reap_dead(self) -> None:
        """Hand back a dead process's items (every ``alive_ttl``/2 s)."""
        loop = asyncio.get_running_loop()
        if loop.time() >= self._next_reap:
            self._next_reap = loop.time() + self._alive_ttl / 2
            moved = await self._pipe.script(self._reap, [self._k("consumers"), self._k("ready")], [self._base])
            if moved:
                log.warning("outbox %s: %d MT(s) of a dead process back in the queue", self._base, moved)

    # ack and nack forget the taken copy only once Redis has answered: a caller may try again after an error.
    async def ack(self, item: T) -> None:
        blob = self._taken.get(item.key)
        if blob is not None:
            await self._pipe.execute("LREM", self._k(f"taken:{self.consumer}"), 1, blob)
            del self._taken[item.key]

    async def nack(self, item: T, delay: float) -> None:
        """Retry ``item`` (with its updated fields) after ``delay`` s; a negative delay drops it."""
        if delay < 0:
            await self.ack(item)
            return
        blob = self._taken.get(item.key, b"")
        keys = [self._k(f"taken:{self.consumer}"), self._k("delayed")]
        await self._retry(keys=keys, args=[blob, self.encode(item), math.ceil(delay * 1000)])
        self._taken.pop(item.key, None)

    def __len__(self) -> int:
        return self._seen + len(self._spool)

    async def size(self) -> int:
        """Items queued, waiting out a backoff or taken by any process, as Redis sees them now."""
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.llen(self._k("ready"))
            pipe.zcard(self._k("delayed"))
            pipe.smembers(self._k("consumers"))
            ready, delayed, consumers = await pipe.execute()
        taken = [await self._redis.llen(self._k(f"taken:{c.decode()}")) for c in consumers]
        return int(ready) + int(delayed) + sum(taken)

    async def _start(self) -> None:
        if self._heartbeat is None:
            await self._beat()
            await self._redis.sadd(self._k("consumers"), self.consumer)
            beat = self._beat_forever()
            self._heartbeat = asyncio.create_task(beat, name=f"outbox-heartbeat-{self.consumer}")

    async def _beat(self) -> None:
        await self._redis.set(self._k(f"alive:{self.consumer}"), b"1", px=math.ceil(self._alive_ttl * 1000))

    async def _beat_forever(self) -> None:
        while True:
            await asyncio.sleep(self._alive_ttl / 3)
            try:
                await self._beat()
            except aioredis.RedisError as exc:
                log.warning("outbox heartbeat failed: %s", exc)
            if cancel_requested():
                raise asyncio.CancelledError

    async def close(self) -> None:
        """Stop; whatever this process took but did not finish goes back to the queue."""
        if self._spooler is not None:
            self._spooler.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._spooler
        if self._spool:
            log.error("outbox %s: %d spooled MT(s) never reached Redis and are dropped", self._base, len(self._spool))
        if self._heartbeat is not None:
            self._heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._heartbeat
            taken = self._k(f"taken:{self.consumer}")
            while await self._redis.rpoplpush(taken, self._k("ready")) is not None:
                pass
            await self._redis.delete(self._k(f"alive:{self.consumer}"))
            await self._redis.srem(self._k("consumers"), self.consumer)
        await self._conn.release()
