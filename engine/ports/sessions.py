"""The SessionStore port: where sessions live between two inputs."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import Protocol

from engine.session import Session


class SessionBusy(Exception):
    """Another input for the same session still holds its lock after the wait timeout.

    Raised by ``lock()`` instead of waiting forever: the gateway answers the
    subscriber with a "busy, try again" message rather than piling up waiters.
    """


class StaleSession(Exception):
    """``put`` was refused because the stored session changed since it was read.

    Every successful ``put`` bumps ``Session.rev``; a put is accepted only when
    the stored revision still equals the revision the writer read (a missing or
    expired session counts as revision 0). A writer whose lock expired while it
    waited on a slow backend therefore cannot overwrite the newer state written
    by whoever took the lock after it.
    """


class StoreUnavailable(Exception):
    """The store could not be reached: connection refused or lost, a timeout, no primary during a failover.

    The input was not applied. The engine answers "busy" and logs one line,
    not a traceback per subscriber while Redis is away.
    """


class SessionStore(Protocol):
    async def get(self, key: str) -> Session | None:
        """The live session for ``key``, or None when absent or expired."""
        ...

    async def put(self, session: Session, ttl: float) -> None:
        """Save ``session``; it expires ``ttl`` seconds after now.

        On success ``session.rev`` is advanced to the stored revision; raises
        ``StaleSession`` (leaving ``session.rev`` unchanged) when the stored
        revision is not the one ``session`` was read at.
        """
        ...

    async def delete(self, key: str) -> None: ...

    def lock(self, key: str) -> AbstractAsyncContextManager[None]:
        """Serialise the handling of one session's inputs (across processes for Redis).

        A store that bounds the wait (Redis: holders may live in another process
        and die) raises ``SessionBusy`` when the lock cannot be taken in time.
        """
        ...

    async def close(self) -> None: ...
