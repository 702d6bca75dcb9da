"""In-process session store with TTL expiry on read and a lock per key.

It stores serialised copies (``Session.pack``, positional msgpack, ~100 bytes),
not live objects, so a flow behaves the same on memory and on Redis: a
mutation after ``put`` never leaks into the store. It honours the same
revision check as Redis (see ``StaleSession``).
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager

from engine.clock import Clock, SystemClock
from engine.ports.sessions import StaleSession
from engine.session import Session
from engine.store.keyed_locks import KeyedLocks


class MemoryStore:
    def __init__(self, clock: Clock | None = None) -> None:
        self._clock = clock or SystemClock()
        #: key -> (expires at, revision, packed session)
        self._data: dict[str, tuple[float, int, bytes]] = {}
        #: One lock per session key, handed over in arrival order.
        self._locks = KeyedLocks()

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

    def lock(self, key: str) -> AbstractAsyncContextManager[None]:
        return self._locks.hold(key)

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
