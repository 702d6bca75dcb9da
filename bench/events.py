"""The event log the benchmarks measure: the default SQLite store in a temporary folder.

``bench.ussd`` runs it as serve does (writer task in the background) and
reports ``event_log_cost``, the share of the serve path it takes (target ≤ 5 %).
``bench.engine`` reports ``event_log_step_cost`` against an engine step with a
do-nothing observer: each timed batch ends by writing what it queued
(``logged``), so hashing, JSON and SQLite are all inside the window even though
the step never yields to the writer. ``bench.ussd``'s baseline is the same
serve with ``--events off``, whose Prometheus observer still has the engine
build every event: its figure is what the log itself adds (recording, the
queue, the writer thread and SQLite), per request.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable

from engine.events.log import EventLog
from engine.events.record import Recorder
from engine.events.sqlite import SqliteEventStore
from engine.ports.events import EngineEvent


def ignore(event: EngineEvent) -> None:
    """The baseline's observer: it does nothing, but the engine builds its events for it, as it does for
    serve's metrics observer."""


@contextlib.asynccontextmanager
async def event_log() -> AsyncIterator[EventLog]:
    """An event log on a SQLite file in a temporary folder (written by ``logged``), removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="mfbench-events-") as folder:
        events = EventLog(SqliteEventStore(os.path.join(folder, "events.sqlite")), Recorder(os.urandom(32)))
        try:
            yield events
        finally:
            await events.close()


def logged(step: Callable[[], Awaitable[int]], events: EventLog) -> Callable[[], Awaitable[int]]:
    """``step``, then the write of what it logged, timed together."""

    async def batch() -> int:
        n = await step()
        await events.flush()
        return n

    return batch
