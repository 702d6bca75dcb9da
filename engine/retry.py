"""Keep at an operation until its store answers again: pause 0.2 s, doubling to 5 s.

The SMS sender and the Redis outbox's spool must outlive a Redis outage
rather than stop at its first error, and they wait for it the same way.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")

FIRST_PAUSE, LONGEST_PAUSE = 0.2, 5.0


async def until_done(
    call: Callable[[], Awaitable[T]],
    *,
    what: str,
    log: logging.Logger | None,
    retry_on: tuple[type[Exception], ...] = (Exception,),
) -> T:
    """``await call()`` until it returns; each failure is logged (unless ``log`` is None), then waited out."""
    pause = FIRST_PAUSE
    while True:
        try:
            return await call()
        except retry_on as exc:
            if log is not None:
                log.warning("%s failed, again in %.1f s: %s", what, pause, exc)
            await asyncio.sleep(pause)
            pause = min(pause * 2, LONGEST_PAUSE)
