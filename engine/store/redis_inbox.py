"""A durable MO inbox: a Redis Stream read by a consumer group, answered into the outbox atomically.

An SMSC forgets an MO the moment it gets a ``deliver_sm_resp`` OK, so the
gateway acknowledges only after ``add`` returned: the MO is then an entry of
the stream ``<tag>:in`` next to its outbox (``mf:{sms}:in``). Every process (every bind) reads it in
one consumer group (``XREADGROUP``). A reader with room takes the MO it
stores in the same script (``add(take=True)``): one round trip instead of
an ``XADD`` and a read, and a burst read from the SMSC in one socket read
leaves in one pipelined write; what no reader took (every one was busy)
waits for any reader's ``read``. An entry stays pending on its reader
until ``complete`` runs one Lua script that acknowledges it, deletes it and
pushes its answer's MTs onto the outbox's ready list. So an MO is answered
exactly when it leaves the inbox, and a process killed at any point leaves
its MOs pending: ``claim`` (``XAUTOCLAIM``) hands entries idle for
``claim_idle`` seconds to a live reader. A reader refreshes the entries it is
still working on (``XCLAIM … JUSTID``) so a slow turn is not taken from it.
Should two readers ever work on one entry, only the first ``complete`` gets
``XACK`` = 1 and queues an answer: the other's answer is dropped.

Redeliveries: ``add`` also sets a mark for the MO's identity (``SET NX``,
``mark_ttl``). An MO whose mark exists was stored already (its resp died
with the process, so the SMSC sent it again): ``add`` says ``DUPLICATE``
and the gateway acknowledges it without storing it twice. Identities that
are only a content hash are unmarked (``unmark``) once their resp was sent:
a subscriber who sends the same text again later is asking again. (The marks
share the queue's hash tag, so one DEL removes many, on a cluster too.)

Backpressure: ``add`` refuses (``FULL``) once ``max_len`` MOs are waiting,
counted across every process, and the gateway answers ESME_RTHROTTLED so
the SMSC keeps the message.

Every key of the queue carries the outbox's hash tag (``{sms}``),
so the scripts stay valid on Redis Cluster: the SMS queue is one slot.
"""

from __future__ import annotations

import asyncio
import logging
import math
import secrets
from enum import Enum
from typing import Any, cast

from redis.exceptions import ResponseError

from engine.store.redis_conn import Client, open_conn
from engine.store.redis_outbox import RedisOutbox

log = logging.getLogger(__name__)

# KEYS: stream, mark; ARGV: blob, max length, mark ms, group, reader ('' for none).
# Returns 'dup' (already stored), 'full' (the bound is reached: nothing stored), or
# {id}; with a reader, {id, taken id, taken blob}: the oldest entry no reader has
# read yet (normally this one) is then pending on that reader, as if XREADGROUP had
# read it, and one round trip does both. (A group lost with the stream is made again.)
_ADD = """
if redis.call('EXISTS', KEYS[2]) == 1 then return 'dup' end
if redis.call('XLEN', KEYS[1]) >= tonumber(ARGV[2]) then return 'full' end
redis.call('SET', KEYS[2], '1', 'PX', ARGV[3])
local id = redis.call('XADD', KEYS[1], '*', 'm', ARGV[1])
if ARGV[5] == '' then return {id} end
local read = {'XREADGROUP', 'GROUP', ARGV[4], ARGV[5], 'COUNT', 1, 'STREAMS', KEYS[1], '>'}
local got = redis.pcall(unpack(read))
if type(got) == 'table' and got['err'] then
  redis.call('XGROUP', 'CREATE', KEYS[1], ARGV[4], '0')
  got = redis.call(unpack(read))
end
local entry = got[1][2][1]
return {id, entry[1], entry[2][2]}
"""

# KEYS: stream, outbox ready list; ARGV: group, entry id, MT blobs... The
# answer leaves with the entry, or not at all (another reader answered first).
_COMPLETE = """
if redis.call('XACK', KEYS[1], ARGV[1], ARGV[2]) == 0 then return 0 end
redis.call('XDEL', KEYS[1], ARGV[2])
for i = 3, #ARGV do redis.call('LPUSH', KEYS[2], ARGV[i]) end
return 1
"""


#: An inbox entry: its stream id and the stored MO.
Entry = tuple[str, bytes]


class Added(Enum):
    STORED = "stored"
    DUPLICATE = "duplicate"
    FULL = "full"


class RedisInbox:
    """The MO stream of ``outbox``'s queue, shared by every process using the same Redis and outbox."""

    GROUP = "mo"

    def __init__(
        self,
        url: str,
        outbox: RedisOutbox[Any],
        *,
        max_len: int = 10_000,
        claim_idle: float = 10.0,
        mark_ttl: float = 120.0,
    ) -> None:
        self._conn = open_conn(url)
        self._redis = self._conn.client
        self._pipe = self._conn.pipe
        self._outbox = outbox
        self._tag = outbox.tag
        self.stream = f"{self._tag}:in"
        self.consumer = secrets.token_hex(8)
        self.max_len = max_len
        self.claim_idle = claim_idle
        self._mark_ms = max(1, math.ceil(mark_ttl * 1000))
        self._add = self._redis.register_script(_ADD)
        self._complete = self._redis.register_script(_COMPLETE)
        self._cursor = "0-0"
        self._group_ready = False

    @property
    def redis(self) -> Client:
        return self._redis

    @property
    def outbox(self) -> RedisOutbox[Any]:
        """Where ``complete`` puts the answers."""
        return self._outbox

    def mark_key(self, identity: str) -> str:
        return f"{self._tag}:mo:{identity}"

    async def add(self, identity: str, blob: bytes, *, take: bool = False) -> tuple[Added, Entry | None]:
        """Store one MO unless it is a redelivery or the inbox is full; raises on a Redis error.

        With ``take`` the oldest entry no reader has read yet (normally this
        MO) is read for this reader in the same step and returned: the reader
        saves the round trip of ``read``, and the MO is pending on it (claimed
        by another if this process dies) from the moment it is stored.
        """
        reply = await self._pipe.script(self._add, [self.stream, self.mark_key(identity)],
                                        [blob, self.max_len, self._mark_ms, self.GROUP, self.consumer if take else ""])
        if reply == b"dup":
            return Added.DUPLICATE, None
        if reply == b"full":
            return Added.FULL, None
        return Added.STORED, ((_s(reply[1]), reply[2]) if take else None)

    def unmark(self, identities: list[str]) -> None:
        """Their resps are out: the same content later is a new MO (one DEL, fire and forget)."""
        if identities:
            fut = self._pipe.execute("DEL", *[self.mark_key(i) for i in identities])
            fut.add_done_callback(_quiet)

    async def read(self, count: int, block: float) -> list[Entry]:
        """Up to ``count`` new entries for this reader, waiting up to ``block`` s for one."""
        await self._ensure_group()
        reply = await self._redis.xreadgroup(self.GROUP, self.consumer, {self.stream: ">"}, count=count,
                                             block=max(1, int(block * 1000)))
        streams = cast(list[Any], reply or [])  # RESP2: [[stream, entries]]
        return [(_s(eid), fields[b"m"]) for _, entries in streams for eid, fields in entries]

    async def claim(self, count: int = 100) -> list[Entry]:
        """Entries another reader left pending for ``claim_idle`` s (it died), now ours."""
        await self._ensure_group()
        cursor, entries, *_ = await self._redis.xautoclaim(
            self.stream, self.GROUP, self.consumer, min_idle_time=max(1, int(self.claim_idle * 1000)),
            start_id=self._cursor, count=count)
        self._cursor = _s(cursor)
        return [(_s(eid), fields[b"m"]) for eid, fields in entries if fields]

    async def keep(self, ids: list[str]) -> None:
        """Reset the idle time of entries this reader is still working on (so nobody claims them)."""
        if ids:
            await self._redis.xclaim(self.stream, self.GROUP, self.consumer, 0, list[Any](ids), justid=True)

    async def complete(self, entry_id: str, mts: list[bytes]) -> bool:
        """Answer and remove one entry in one step; False if another reader had answered it."""
        done = await self._pipe.script(self._complete, [self.stream, self._outbox.ready_key],
                                       [self.GROUP, entry_id, *mts])
        if done:
            self._outbox.counted(len(mts))
        return bool(done)

    async def size(self) -> int:
        """MOs stored and not yet answered, by every process."""
        return int(await self._redis.xlen(self.stream))

    async def _ensure_group(self) -> None:
        if self._group_ready:
            return
        try:
            await self._redis.xgroup_create(self.stream, self.GROUP, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise
        self._group_ready = True

    async def forget_reader(self) -> None:
        """Remove this reader from the group if it holds nothing (a clean stop; pending ones stay claimable)."""
        for info in await self._redis.xinfo_consumers(self.stream, self.GROUP):
            if _s(info["name"]) == self.consumer and int(info["pending"]) == 0:
                await self._redis.xgroup_delconsumer(self.stream, self.GROUP, self.consumer)

    async def close(self) -> None:
        await self._conn.release()


def _s(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _quiet(fut: asyncio.Future[Any]) -> None:
    """An unmark that failed only keeps the mark until it expires: note it, nothing more."""
    if not fut.cancelled() and fut.exception() is not None:
        log.info("MO mark not removed: %s", fut.exception())
