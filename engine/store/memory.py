"""In-process session store with TTL expiry on read and a lock per key.

It stores serialised copies (``Session.pack``, positional msgpack, ~100 bytes),
not live objects, so a flow behaves the same on memory and on Redis: a
mutation after ``put`` never leaks into the store. It honours the same
revision check as Redis (see ``StaleSession``).
"""

from __future__ import annotations

import asyncio
from collections import deque

from engine.clock import Clock, SystemClock
from engine.ports.sessions import StaleSession
from engine.session import Session


class MemoryStore:
    def __init__(self, clock: Clock | None = None) -> None:
        self._clock = clock or SystemClock()
        #: key -> (expires at, revision, packed session)
        self._data: dict[str, tuple[float, int, bytes]] = {}
        #: key -> waiters queued behind the current holder (present = held)
        self._held: dict[str, deque[asyncio.Future[None]]] = {}

    async def get(self, key: str) -> Session | None:
        item = self._data.get(key)
        if item is None:
            return None
        expires, _, blob = item
        if expires <= self._clock.now():
            del self._data[key]
            return None
        return Session.unpack(blob)

    async def put(self, session: Session, ttl: float) -> None:
        now = self._clock.now()
        item = self._data.get(session.key)
        stored = item[1] if item is not None and item[0] > now else 0
        if stored != session.rev:
            raise StaleSession(f"{session.key}: stored rev {stored}, writer read rev {session.rev}")
        session.rev = stored + 1
        self._data[session.key] = (now + ttl, session.rev, session.pack())

    async def delete(self, key: str) -> None:
        self._data.pop(key, None)

    def lock(self, key: str) -> _KeyLock:
        return _KeyLock(self, key)

    def purge(self) -> int:
        """Drop expired sessions; the server calls it periodically."""
        now = self._clock.now()
        dead = [k for k, (exp, _, _) in self._data.items() if exp <= now]
        for k in dead:
            del self._data[k]
        return len(dead)

    def __len__(self) -> int:
        return len(self._data)

    async def close(self) -> None:
        self._data.clear()


class _KeyLock:
    """A per-key mutex that costs a dict lookup when nobody else holds the key.

    Waiters queue in arrival order; the holder hands the key to the next
    waiter on release, so inputs of one session run one after the other.
    """

    __slots__ = ("_key", "_store")

    def __init__(self, store: MemoryStore, key: str) -> None:
        self._store = store
        self._key = key

    async def __aenter__(self) -> None:
        held = self._store._held
        waiters = held.get(self._key)
        if waiters is None:
            held[self._key] = deque()
            return
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        waiters.append(fut)
        try:
            await fut
        except asyncio.CancelledError:
            if fut.done() and not fut.cancelled():
                self._release()  # the key was handed to us as we were cancelled: pass it on
            else:
                waiters.remove(fut)
            raise

    async def __aexit__(self, *exc: object) -> None:
        self._release()

    def _release(self) -> None:
        held = self._store._held
        waiters = held[self._key]
        while waiters:
            fut = waiters.popleft()
            if not fut.done():
                fut.set_result(None)
                return
        del held[self._key]
