"""Answer inside the USSD reply budget, or say "processing" and finish by SMS.

A USSD gateway drops the session when the application is slow (Africa's
Talking allows 15 s; networks often less), and the subscriber then sees an
error. So each engine call gets a budget (3 s by default). Past it, the
subscriber gets the localized "受理中，结果将以短信通知" and the engine keeps
going; when it finishes, its answer is pushed as an SMS. The background task
is kept referenced (an unreferenced task can be garbage-collected mid-flight)
and drained on shutdown, so the follow-up is not lost.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import logging
from dataclasses import dataclass
from typing import Any, Literal

from engine.types import Handler, Inbound, PushSink, Reply
from gateways.ussd.texts import gateway_text

log = logging.getLogger("menuflow.ussd")


@dataclass(frozen=True, slots=True)
class Outcome:
    """``answered`` carries the first reply; ``failed`` and ``late`` carry none."""

    kind: Literal["answered", "failed", "late"]
    reply: Reply | None = None


class DeadlineRunner:
    def __init__(self, handler: Handler, push: PushSink, budget: float) -> None:
        self._handler = handler
        self._push = push
        self.budget = budget
        self._pending: set[asyncio.Future[Any]] = set()

    async def run(self, inbound: Inbound, locale: str) -> Outcome:
        """Call the engine with ``inbound``; ``locale`` words the SMS if the engine fails late."""
        loop = asyncio.get_running_loop()
        task = asyncio.ensure_future(self._handler(inbound))
        # Leaner than asyncio.wait (no sets, one callback): this runs on every request.
        waiter = loop.create_future()
        timer = loop.call_later(self.budget, _wake, waiter)
        task.add_done_callback(functools.partial(_wake, waiter))
        try:
            await waiter
        except asyncio.CancelledError:
            # The HTTP request went away (shutdown); the engine step still completes.
            self._follow_up(task, inbound, locale)
            raise
        finally:
            timer.cancel()
        if not task.done():
            self._follow_up(task, inbound, locale)
            return Outcome("late")
        try:
            replies = task.result()
        except Exception as exc:
            _log_failure("engine failed", inbound, exc)
            return Outcome("failed")
        if not replies:
            log.error("engine returned no reply for ussd session %s", inbound.session_key)
            return Outcome("failed")
        return Outcome("answered", replies[0])

    async def close(self, inbound: Inbound) -> None:
        """Tell the engine a session ended (``event="end"``); the network wants only an ack.

        Waits at most the budget; a slower engine finishes in the background,
        referenced and logged, with nothing sent to the subscriber.
        """
        task = asyncio.ensure_future(self._handler(inbound))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)
        task.add_done_callback(functools.partial(_log_close, inbound))
        await asyncio.wait({task}, timeout=self.budget)

    def _follow_up(self, task: asyncio.Future[list[Reply]], inbound: Inbound, locale: str) -> None:
        job = asyncio.ensure_future(self._finish_late(task, inbound, locale))
        self._pending.add(job)
        job.add_done_callback(self._pending.discard)

    async def _finish_late(self, task: asyncio.Future[list[Reply]], inbound: Inbound, locale: str) -> None:
        reply: Reply | None = None
        try:
            replies = await task
            reply = replies[0] if replies else None
        except Exception as exc:
            _log_failure("engine failed after the deadline", inbound, exc)
        sms = Reply(
            channel="sms",
            msisdn=inbound.msisdn,
            text=reply.text if reply else gateway_text("unavailable", locale),
            locale=reply.locale if reply else locale,
            push=True,
            meta={"reason": "ussd-deadline", "session": inbound.session_key},
        )
        try:
            await self._push(sms)
        except Exception as exc:
            _log_failure("deadline follow-up SMS failed", inbound, exc)
        if reply is not None and not reply.end:
            # The subscriber was told END: close the engine's side of the dialog too.
            try:
                await self._handler(dataclasses.replace(inbound, event="end", text=""))
            except Exception as exc:
                _log_failure("closing the engine session failed", inbound, exc)

    @property
    def pending(self) -> int:
        """Follow-ups still running (the engine step or its SMS push)."""
        return len(self._pending)

    async def drain(self, timeout: float = 10.0) -> None:
        """Wait for follow-ups before the process exits; on timeout, log how many are lost."""
        if not self._pending:
            return
        _, still = await asyncio.wait(set(self._pending), timeout=timeout)
        if still:
            log.error("%d ussd deadline follow-ups still running at shutdown", len(still))


def _wake(waiter: asyncio.Future[None], *_: object) -> None:
    if not waiter.done():
        waiter.set_result(None)


def _log_close(inbound: Inbound, task: asyncio.Future[list[Reply]]) -> None:
    exc = None if task.cancelled() else task.exception()
    if exc is not None:
        _log_failure("closing the engine session failed", inbound, exc)


def _log_failure(what: str, inbound: Inbound, exc: BaseException) -> None:
    """Only the exception type: its message may quote subscriber input (a password, an OTP)."""
    log.error("%s for ussd session %s: %s", what, inbound.session_key, type(exc).__name__)
