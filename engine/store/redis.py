"""Redis session store: what lets several processes and hosts serve one subscriber.

Each session is one hash ``{prefix}s:{{key}}`` with three fields: ``d`` the
positional msgpack of ``Session.pack()`` (~130 bytes), ``r`` its revision and
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
trips (lock+read, write, unlock) instead of four, and the write leaves
with the release (two). We add a per-process ``asyncio.Lock`` in front of it
so that waiters in the same process queue locally instead of all polling Redis.

Every command goes through the process's ``AutoPipeline`` (shared with the
other Redis adapters, see ``engine.store.redis_conn``): concurrent turns'
scripts leave in one write, which is most of a Redis-backed request's CPU saved. On Redis
Cluster (``redis+cluster://``) a ``ClusterPipe`` keeps one per primary; a
session's keys share a hash tag, so a turn still goes to one node.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import math
import secrets
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

from redis.asyncio.lock import Lock
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import LockNotOwnedError
from redis.exceptions import TimeoutError as RedisTimeoutError

from engine.clock import Clock, SystemClock
from engine.ports.sessions import SessionBusy, StaleSession, StoreUnavailable
from engine.session import Session
from engine.store.redis_conn import Client, open_conn

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

    ``do_acquire`` and ``do_release`` send the library's scripts (ours for
    acquire) through the store's ``AutoPipeline``; the wait loop and the
    expiry are the library's.
    """

    def __init__(self, store: RedisStore, key: str, **kw: Any) -> None:
        super().__init__(store.redis, store.lock_key(key), **kw)
        self._store = store
        self._key = key
        self.fetched: tuple[Any, Any] | None = None

    async def do_acquire(self, token: str | bytes) -> bool:
        keys = [self._store.lock_key(self._key), self._store.session_key(self._key)]
        ms = int(self._store.lock_timeout * 1000)
        sent = self._store.pipe.script(self._store.acquire_script, keys, [token, ms])
        try:
            reply = await asyncio.shield(sent)
        except asyncio.CancelledError:
            # The SET still runs in Redis: once it has, give back a lock we got but will not use.
            sent.add_done_callback(lambda done: self._store.undo_acquire(keys[0], token, done))
            raise
        if not reply[0]:
            return False
        self.fetched = (reply[1], reply[2])
        return True

    async def do_release(self, expected_token: bytes) -> None:
        lock_key = self._store.lock_key(self._key)
        if not await self._store.pipe.script(self._store.release_script, [lock_key], [expected_token]):
            raise LockNotOwnedError("Cannot release a lock that's no longer owned", lock_name=lock_key)


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
        self._conn = open_conn(url)
        self._redis = self._conn.client
        self._prefix = prefix
        self._clock = clock or SystemClock()
        self.lock_timeout = lock_timeout
        self._wait_timeout = lock_timeout + 1.0 if wait_timeout is None else wait_timeout
        self._poll = poll
        self.pipe = self._conn.pipe
        self._commit = self._redis.register_script(_COMMIT)
        self.release_script = self._redis.register_script(Lock.LUA_RELEASE_SCRIPT)
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
    def redis(self) -> Client:
        """The client, for tools that inspect what is stored (tests, capacity figures)."""
        return self._redis

    # The {hash tag} keeps a session and its lock in one Redis Cluster slot: the
    # lock+read and commit+release scripts touch both, and go to one node.
    def session_key(self, key: str) -> str:
        return f"{self._prefix}s:{{{key}}}"

    def lock_key(self, key: str) -> str:
        return f"{self._prefix}l:{{{key}}}"

    async def get(self, key: str) -> Session | None:
        pending = self._pending.get(key)
        if pending is not None:  # read your own write, not yet sent
            op, _, written = pending
            return None if op == "del" or written is None else Session.unpack(written)
        fetched = self._fetched.pop(key, None)
        if fetched is not None:
            deadline, blob = fetched
        else:
            with _outage():
                deadline, blob = await self.pipe.execute("HMGET", self.session_key(key), "e", "d")
        if blob is None or deadline is None or float(deadline) <= self._clock.now():
            return None
        return Session.unpack(blob)

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
            blob = session.pack()
            ttl_ms = max(1, math.ceil(ttl * 1000))
            self._pending[session.key] = (op, [expected, session.rev, repr(now), repr(now + ttl), blob, ttl_ms], blob)
            return
        session.rev = expected + 1
        try:
            blob = session.pack()
            args: list[Any] = [b"", "put", expected, session.rev, repr(now), repr(now + ttl), blob]
            args.append(max(1, math.ceil(ttl * 1000)))
            keys = [self.session_key(session.key), self.lock_key(session.key)]
            with _outage():
                ok, stored, _ = await self.pipe.script(self._commit, keys, args)
        except BaseException:
            session.rev = expected
            raise
        if not ok:
            session.rev = expected
            raise StaleSession(f"{session.key}: stored rev {stored}, writer read rev {expected}")

    async def delete(self, key: str) -> None:
        self._fetched.pop(key, None)
        if key in self._held:
            self._pending[key] = ("del", [0, 0, "0", "0", b"", 1], None)
            return
        with _outage():
            await self.pipe.execute("DEL", self.session_key(key))

    def undo_acquire(self, lock_key: str, token: str | bytes, sent: asyncio.Future[Any]) -> None:
        """After a cancelled acquire: release the lock if the SET took it (queued behind the SET)."""
        if sent.cancelled() or sent.exception() is not None or not sent.result()[0]:
            return
        release = self.pipe.script(self.release_script, [lock_key], [token])
        release.add_done_callback(_ignore_outcome)

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
                with _outage():
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
        # Uncontended, one try is enough; the library's loop (polling, deadline) is for the rest.
        # A cancel while a SET is out is handled by do_acquire (see undo_acquire).
        acquired = await lock.do_acquire(token)
        if acquired:
            lock.local.token = token
        else:
            acquired = await lock.acquire(token=token)
        if not acquired:
            raise SessionBusy(f"{key}: locked by another process for longer than {self._wait_timeout}s")
        if lock.fetched is not None:
            self._fetched[key] = lock.fetched
        self._held.add(key)
        failed = True
        try:
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
        ok, stored, released = await self.pipe.script(
            self._commit, [self.session_key(key), self.lock_key(key)], [token, op, *args]
        )
        if not released:
            log.warning("session lock %s expired while held (lock_timeout=%ss)", key, self.lock_timeout)
        if not ok:
            raise StaleSession(f"{key}: stored rev {stored}, writer read rev {args[0]}")

    async def _release(self, lock: _ReadingLock, key: str) -> None:
        try:
            await lock.release()
        except LockNotOwnedError:
            # Our lock expired and maybe went to another holder; the release
            # script left theirs alone and the revision check guards the data.
            log.warning("session lock %s expired while held (lock_timeout=%ss)", key, self.lock_timeout)

    async def close(self) -> None:
        await self._conn.release()


@contextlib.contextmanager
def _outage() -> Iterator[None]:
    """redis-py's connection and timeout errors (Sentinel's "no primary" too) as the store port's one error."""
    try:
        yield
    except (RedisConnectionError, RedisTimeoutError) as exc:
        raise StoreUnavailable(f"Redis unreachable: {exc}") from exc


def _ignore_outcome(done: asyncio.Future[Any]) -> None:
    """Fire-and-forget commands: retrieve the outcome so asyncio does not log it as lost."""
    if not done.cancelled():
        done.exception()
