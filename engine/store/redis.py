"""Redis session store: what lets several processes and hosts serve one subscriber.

Each session is one hash ``{prefix}s:{{key}}`` with three fields: ``d`` the
msgpack of ``Session.to_dict()`` (a few hundred bytes), ``r`` its revision and
``e`` its logical deadline on the injected clock. Reads compare ``e`` with the
clock, so expiry is tested without sleeping; Redis' own PEXPIRE with the same
TTL reclaims the memory.

Writes go through one Lua script that checks the revision and writes in one
step (no WATCH round trips): a writer whose lock expired can never overwrite
the state written by the next holder (``StaleSession``).

The per-session lock is redis-py's ``Lock``: it already does what we need —
``SET NX PX`` with a random token, a Lua compare-and-delete release so a holder
whose lock expired cannot release its successor's lock, an expiry so a crashed
process never blocks a subscriber for more than ``lock_timeout``, and a bounded
wait. We change one thing: taking the lock also reads the session in the same
Lua call, since the holder always reads it next; a turn then costs three round
trips (lock+read, write, unlock) instead of four. We add a per-process
``asyncio.Lock`` in front of it so that waiters in the same process queue
locally instead of all polling Redis.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import math
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import msgpack
import redis.asyncio as aioredis
from redis.asyncio.lock import Lock
from redis.exceptions import LockNotOwnedError

from engine.clock import Clock, SystemClock
from engine.session import Session
from engine.store.base import SessionBusy, StaleSession

log = logging.getLogger(__name__)

# KEYS[1] session hash, KEYS[2] lock; ARGV: token, op ('put'|'replace'|'del'), expected
# rev, new rev, now, deadline, blob, ttl ms. Every write, and at the end of a turn the
# lock release in the same round trip. A put succeeds only if Redis still holds the
# expected revision (a missing or logically expired session counts as 0); 'replace'
# (a delete then a new session, in one turn) is not checked; the lock is released
# only if the token is still ours (an empty token never matches: no release).
_COMMIT = """
local result = {1, 0}
if ARGV[2] == 'replace' then
  redis.call('DEL', KEYS[1])
  redis.call('HSET', KEYS[1], 'r', ARGV[4], 'e', ARGV[6], 'd', ARGV[7])
  redis.call('PEXPIRE', KEYS[1], ARGV[8])
  result = {1, tonumber(ARGV[4])}
elseif ARGV[2] == 'put' then
  local cur = redis.call('HMGET', KEYS[1], 'r', 'e')
  local stored = 0
  if cur[1] and cur[2] and tonumber(cur[2]) > tonumber(ARGV[5]) then
    stored = tonumber(cur[1])
  end
  if stored ~= tonumber(ARGV[3]) then
    result = {0, stored}
  else
    redis.call('HSET', KEYS[1], 'r', ARGV[4], 'e', ARGV[6], 'd', ARGV[7])
    redis.call('PEXPIRE', KEYS[1], ARGV[8])
    result = {1, tonumber(ARGV[4])}
  end
else
  redis.call('DEL', KEYS[1])
end
if redis.call('GET', KEYS[2]) == ARGV[1] then
  redis.call('DEL', KEYS[2])
  return {result[1], result[2], 1}
end
return {result[1], result[2], 0}
"""


def cancel_requested() -> bool:
    """Whether this task was asked to stop, even if the request got lost on the way.

    redis-py (seen with 8.1 on CPython 3.11) sometimes swallows a task's
    ``CancelledError`` mid-command and the command returns as if nothing
    happened; a loop around Redis calls would then never stop. The request
    still shows in ``Task.cancelling()``, so we check it after each call.
    """
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


def _stop_if_cancelled() -> None:
    if cancel_requested():
        raise asyncio.CancelledError


def connect(url: str, *, max_connections: int = 2048) -> aioredis.Redis:
    """A client whose pool opens a connection per concurrent command, up to ``max_connections``.

    redis-py's default cap (100) turned a burst of USSD dials into
    ``MaxConnectionsError``; its ``BlockingConnectionPool`` avoids that but
    costs ~35 us of CPU per command in its condition/timeout handling, a
    quarter of a USSD request. A high cap on the plain pool does neither.
    """
    pool = aioredis.ConnectionPool.from_url(url, max_connections=max_connections)
    return aioredis.Redis.from_pool(pool)


# KEYS: lock, session hash; ARGV: token, lock ms. Takes the lock and, in the
# same round trip, reads the session the holder is about to ask for.
_ACQUIRE = """
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  local v = redis.call('HMGET', KEYS[2], 'e', 'd')
  return {1, v[1], v[2]}
end
return {0}
"""


class _ReadingLock(Lock):
    """redis-py's Lock whose acquire also fetches the session (one round trip, not two).

    Only ``do_acquire`` changes; the wait loop, the expiry and the
    token-checked release are the library's.
    """

    def __init__(self, store: RedisStore, key: str, **kw: Any) -> None:
        super().__init__(store.redis, store.lock_key(key), **kw)
        self._store = store
        self._key = key
        self.fetched: tuple[Any, Any] | None = None

    async def do_acquire(self, token: str | bytes) -> bool:
        keys = [self.name, self._store.session_key(self._key)]
        ms = int(self._store.lock_timeout * 1000)
        reply = await self._store.acquire_script(keys=keys, args=[token, ms], client=self.redis)
        if not reply[0]:
            return False
        self.fetched = (reply[1], reply[2])
        return True


class RedisStore:
    """``SessionStore`` on Redis; safe to share between processes and hosts.

    ``lock_timeout`` bounds how long a lock survives its holder (seconds); it
    must exceed the slowest turn (backend deadline included). ``wait_timeout``
    bounds how long ``lock()`` waits before raising ``SessionBusy`` (defaults
    to ``lock_timeout`` + 1 s, so a crashed holder's lock is always outlived).
    """

    def __init__(
        self,
        url: str,
        *,
        prefix: str = "mf:",
        clock: Clock | None = None,
        lock_timeout: float = 5.0,
        wait_timeout: float | None = None,
        poll: float = 0.005,
    ) -> None:
        self._redis = connect(url)
        self._prefix = prefix
        self._clock = clock or SystemClock()
        self.lock_timeout = lock_timeout
        self._wait_timeout = lock_timeout + 1.0 if wait_timeout is None else wait_timeout
        self._poll = poll
        self._commit = self._redis.register_script(_COMMIT)
        #: Writes made while holding a key's lock, sent with the release (see ``_remote``).
        self._pending: dict[str, tuple[str, list[Any], bytes | None]] = {}
        self._held: set[str] = set()
        #: Lock tokens need only be unique among holders: one random base per store, then a counter.
        self._token_base = secrets.token_hex(8) + ":"
        self._tokens = itertools.count()
        self.acquire_script = self._redis.register_script(_ACQUIRE)
        #: Session fields read while taking the lock, for the holder's first get().
        self._fetched: dict[str, tuple[Any, Any]] = {}
        self._local: dict[str, asyncio.Lock] = {}
        self._waiters: dict[str, int] = {}

    @property
    def redis(self) -> aioredis.Redis:
        """The client, for tools that inspect what is stored (tests, capacity figures)."""
        return self._redis

    # The {hash tag} keeps a session and its lock in one Redis Cluster slot,
    # which the lock+read script needs.
    def session_key(self, key: str) -> str:
        return f"{self._prefix}s:{{{key}}}"

    def lock_key(self, key: str) -> str:
        return f"{self._prefix}l:{{{key}}}"

    async def get(self, key: str) -> Session | None:
        pending = self._pending.get(key)
        if pending is not None:  # read your own write, not yet sent
            op, _, written = pending
            return None if op == "del" or written is None else Session.from_dict(msgpack.unpackb(written))
        fetched = self._fetched.pop(key, None)
        if fetched is not None:
            deadline, blob = fetched
        else:
            deadline, blob = await self._redis.hmget(self.session_key(key), ["e", "d"])
            _stop_if_cancelled()
        if blob is None or deadline is None or float(deadline) <= self._clock.now():
            return None
        return Session.from_dict(msgpack.unpackb(blob))

    async def put(self, session: Session, ttl: float) -> None:
        self._fetched.pop(session.key, None)
        now = self._clock.now()
        expected = session.rev
        if session.key in self._held:
            # Inside the lock: the write leaves with the release (one round trip
            # instead of two); a stale revision raises StaleSession from the lock's exit.
            base = self._pending.get(session.key)
            op = "put" if base is None else "replace" if base[0] in ("del", "replace") else "put"
            if base is not None and base[0] == "put":
                expected = base[1][0]
            session.rev = expected + 1
            blob = msgpack.packb(session.to_dict())
            ttl_ms = max(1, math.ceil(ttl * 1000))
            self._pending[session.key] = (op, [expected, session.rev, repr(now), repr(now + ttl), blob, ttl_ms],
                                          blob)
            return
        session.rev = expected + 1
        try:
            blob = msgpack.packb(session.to_dict())
            args: list[Any] = [b"", "put", expected, session.rev, repr(now), repr(now + ttl), blob]
            args.append(max(1, math.ceil(ttl * 1000)))
            keys = [self.session_key(session.key), self.lock_key(session.key)]
            ok, stored, _ = await self._commit(keys=keys, args=args)
        except BaseException:
            session.rev = expected
            raise
        if not ok:
            session.rev = expected
            raise StaleSession(f"{session.key}: stored rev {stored}, writer read rev {expected}")
        _stop_if_cancelled()

    async def delete(self, key: str) -> None:
        self._fetched.pop(key, None)
        if key in self._held:
            self._pending[key] = ("del", [0, 0, "0", "0", b"", 1], None)
            return
        await self._redis.delete(self.session_key(key))
        _stop_if_cancelled()

    @asynccontextmanager
    async def lock(self, key: str) -> AsyncIterator[None]:
        loop = asyncio.get_running_loop()
        give_up = loop.time() + self._wait_timeout
        local = self._local.get(key)
        if local is None:
            local = self._local[key] = asyncio.Lock()
        self._waiters[key] = self._waiters.get(key, 0) + 1
        try:
            if local.locked():  # only a queue behind another input of this session pays for a timer
                try:
                    async with asyncio.timeout_at(give_up):
                        await local.acquire()
                except TimeoutError:
                    raise SessionBusy(f"{key}: still locked in this process") from None
            else:
                await local.acquire()
            try:
                async with self._remote(key, give_up - loop.time()):
                    yield
            finally:
                local.release()
        finally:
            left = self._waiters[key] - 1
            if left:
                self._waiters[key] = left
            else:
                del self._waiters[key]
                del self._local[key]

    @asynccontextmanager
    async def _remote(self, key: str, wait: float) -> AsyncIterator[None]:
        lock = _ReadingLock(
            self,
            key,
            timeout=self.lock_timeout,
            sleep=self._poll,
            blocking_timeout=max(0.0, wait),
            thread_local=False,
        )
        token = f"{self._token_base}{next(self._tokens)}".encode()
        try:
            # Uncontended, one try is enough; the library's loop (polling, deadline) is for the rest.
            acquired = await lock.do_acquire(token)
            if acquired:
                lock.local.token = token
            else:
                acquired = await lock.acquire(token=token)
        except BaseException:
            # Cancelled mid-SET: the lock may be ours in Redis; don't leave it to expire.
            with contextlib.suppress(Exception):
                await lock.do_release(token)
            raise
        if not acquired:
            raise SessionBusy(f"{key}: locked by another process for longer than {self._wait_timeout}s")
        if lock.fetched is not None:
            self._fetched[key] = lock.fetched
        self._held.add(key)
        failed = True
        try:
            _stop_if_cancelled()
            yield
            failed = False
        finally:
            self._fetched.pop(key, None)
            self._held.discard(key)
            pending = self._pending.pop(key, None)
            if pending is not None and not failed:
                await self._commit_and_release(key, token, pending)
            else:
                await self._release(lock, key)

    async def _commit_and_release(self, key: str, token: bytes, pending: tuple[str, list[Any], bytes | None]) -> None:
        op, args, _ = pending
        ok, stored, released = await self._commit(keys=[self.session_key(key), self.lock_key(key)],
                                                  args=[token, op, *args])
        if not released:
            log.warning("session lock %s expired while held (lock_timeout=%ss)", key, self.lock_timeout)
        _stop_if_cancelled()
        if not ok:
            raise StaleSession(f"{key}: stored rev {stored}, writer read rev {args[0]}")

    async def _release(self, lock: _ReadingLock, key: str) -> None:
        try:
            await lock.release()
        except LockNotOwnedError:
            # Our lock expired and maybe went to another holder; the release
            # script left theirs alone and the revision check guards the data.
            log.warning("session lock %s expired while held (lock_timeout=%ss)", key, self.lock_timeout)
        _stop_if_cancelled()

    async def close(self) -> None:
        await self._redis.aclose()
