"""until_done: retries through an outage, and still stops a task that was asked to stop."""

from __future__ import annotations

import asyncio

import pytest

from engine.retry import cancel_requested, until_done


async def test_it_retries_until_the_call_answers() -> None:
    tries: list[int] = []

    async def flaky() -> str:
        tries.append(1)
        if len(tries) < 3:
            raise ConnectionError("Redis away")
        return "ok"

    assert await until_done(flaky, what="flaky", log=None) == "ok"
    assert len(tries) == 3


async def test_a_cancellation_the_call_swallowed_still_stops_the_retries() -> None:
    """As redis-py sometimes does: the CancelledError becomes a connection error, the task must stop anyway."""
    entered = asyncio.Event()
    tries: list[int] = []

    async def swallowing() -> None:
        tries.append(1)
        entered.set()
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            raise ConnectionError("Connection closed by server") from None

    task = asyncio.create_task(until_done(swallowing, what="blocking read", log=None))
    await entered.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, 2)
    assert tries == [1]


async def test_cancel_requested_is_what_the_task_was_asked() -> None:
    assert not cancel_requested()
    seen: list[bool] = []

    async def swallow_then_look() -> None:
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            seen.append(cancel_requested())

    task = asyncio.create_task(swallow_then_look())
    await asyncio.sleep(0)
    task.cancel()
    await task
    assert seen == [True]
