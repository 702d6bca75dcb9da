"""In-process session store with TTL expiry on read and a lock per key.

It stores serialised copies, not live objects, so a flow behaves the same on
memory and on Redis (a mutation after ``put`` never leaks into the store). It
honours the same revision check as Redis (see ``StaleSession``).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import msgpack

from engine.clock import Clock, SystemClock
from engine.session import Session
from engine.store.base import StaleSession


class MemoryStore:
    def __init__(self, clock: Clock | None = None) -> None:
        self._clock = clock or SystemClock()
        #: key -> (expires at, revision, msgpack blob)
        self._data: dict[str, tuple[float, int, bytes]] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._waiters: dict[str, int] = {}

    async def get(self, key: str) -> Session | None:
        item = self._data.get(key)
        if item is None:
            return None
        expires, _, blob = item
        if expires <= self._clock.now():
            del self._data[key]
            return None
        return Session.from_dict(msgpack.unpackb(blob))

    async def put(self, session: Session, ttl: float) -> None:
        now = self._clock.now()
        item = self._data.get(session.key)
        stored = item[1] if item is not None and item[0] > now else 0
        if stored != session.rev:
            raise StaleSession(f"{session.key}: stored rev {stored}, writer read rev {session.rev}")
        session.rev = stored + 1
        self._data[session.key] = (now + ttl, session.rev, msgpack.packb(session.to_dict()))

    async def delete(self, key: str) -> None:
        self._data.pop(key, None)

    @asynccontextmanager
    async def lock(self, key: str) -> AsyncIterator[None]:
        lock = self._locks.get(key)
        if lock is None:
            lock = self._locks[key] = asyncio.Lock()
        self._waiters[key] = self._waiters.get(key, 0) + 1
        try:
            async with lock:
                yield
        finally:
            left = self._waiters[key] - 1
            if left:
                self._waiters[key] = left
            else:
                del self._waiters[key]
                del self._locks[key]

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
