"""Keep at an operation until its store answers again: pause 0.2 s, doubling to 5 s.

The SMS sender and the Redis outbox's spool must outlive a Redis outage
rather than stop at its first error, and they wait for it the same way.
Such loops must still stop when their task is cancelled, even when redis-py
lost the cancellation on the way (``cancel_requested``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")

FIRST_PAUSE, LONGEST_PAUSE = 0.2, 5.0


def cancel_requested() -> bool:
    """Whether this task was asked to stop, even if the request got lost on the way.

    redis-py (seen with 8.1 on CPython 3.11) sometimes swallows a task's
    ``CancelledError`` mid-command and the command returns, or fails, as if
    nothing happened; a loop around Redis calls would then never stop (a
    worker that did not exit on SIGTERM). The request still shows in
    ``Task.cancelling()``, so loops around redis-py's own calls (blocking
    ones cannot share the auto-pipeline) check it after each call.
    """
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


async def until_done(
    call: Callable[[], Awaitable[T]],
    *,
    what: str,
    log: logging.Logger | None,
    retry_on: tuple[type[Exception], ...] = (Exception,),
) -> T:
    """``await call()`` until it returns; each failure is logged (unless ``log`` is None), then waited out.

    A failure after the task was asked to stop ends the loop (``CancelledError``).
    """
    pause = FIRST_PAUSE
    while True:
        try:
            return await call()
        except retry_on as exc:
            if cancel_requested():
                raise asyncio.CancelledError from exc
            if log is not None:
                log.warning("%s failed, again in %.1f s: %s", what, pause, exc)
            await asyncio.sleep(pause)
            pause = min(pause * 2, LONGEST_PAUSE)
