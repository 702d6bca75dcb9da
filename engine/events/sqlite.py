"""The embedded event store: one SQLite file, each written batch one row (a *segment*).

The default for ``menuflow serve`` (nothing to install or run), and its CPU is
the serving process's own: sqlite3 holds the GIL while it binds parameters,
and a row per event cost 4–8 µs of it (22 µs with an index on the subscriber
once the table outgrew the page cache), measured here, against a serve-path
budget of ~6 µs per turn. So a batch is written as one row: its records as one
msgpack array (a C call; 4x faster than the JSON encoder here) with the first
and last time, indexed on time.
Reading a period decodes the segments that overlap it and filters; a journey is
the same scan filtered on the subscriber. PostgreSQL, whose row and index costs
fall on the database server, keeps one row per event for SQL users.

sqlite3 blocks, so statements run in ``asyncio.to_thread`` on one connection
guarded by a lock; WAL mode lets ``menuflow report`` read while serve writes.
"""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import threading
from collections.abc import Callable, Sequence
from typing import Any

import msgpack

from engine.ports.events import EventRecord

SCHEMA = """
CREATE TABLE IF NOT EXISTS segments (
    id INTEGER PRIMARY KEY, first_at REAL NOT NULL, last_at REAL NOT NULL, records BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS segments_last_at ON segments (last_at);
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value BLOB NOT NULL);
"""
#: The columns of one record, in the order both stores keep them.
COLUMNS = "at, kind, channel, subscriber, session, flow, state, data"
_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
_pack = msgpack.Packer(default=dict).pack


def row(r: EventRecord) -> tuple[Any, ...]:
    """A record as one table row (``data`` as compact JSON): PostgreSQL's layout."""
    return (*r[:7], _dumps(dict(r.data)) if r.data else "{}")


def record(values: Sequence[Any]) -> EventRecord:
    """A table row back into a record."""
    at, kind, channel, subscriber, session, flow, state, data = values
    return EventRecord(float(at), kind, channel, subscriber, session, flow, state, json.loads(data))


class SqliteEventStore:
    def __init__(self, path: str, *, busy_timeout: float = 5.0) -> None:
        self.path = path
        self._db = sqlite3.connect(path, timeout=busy_timeout, check_same_thread=False, isolation_level=None)
        self._lock = threading.Lock()
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(SCHEMA)

    def _write(self, first: float, last: float, blob: bytes) -> None:
        with self._lock:
            self._db.execute("INSERT INTO segments (first_at, last_at, records) VALUES (?, ?, ?)", (first, last, blob))

    async def write(self, records: Sequence[EventRecord]) -> None:
        if not records:
            return
        blob = _pack(records)  # named tuples pack as arrays, in one call
        times = [r.at for r in records]
        await asyncio.to_thread(self._write, min(times), max(times), blob)

    def _scan(self, since: float, until: float, keep: Callable[[EventRecord], bool]) -> list[EventRecord]:
        with self._lock:
            blobs = self._db.execute("SELECT records FROM segments WHERE last_at >= ? AND first_at < ? ORDER BY id",
                                     (since, until)).fetchall()
        out = []
        for (blob,) in blobs:
            for values in msgpack.unpackb(blob):
                r = EventRecord(*values)
                if since <= r.at < until and keep(r):
                    out.append(r)
        out.sort(key=lambda r: r.at)  # stable: ties keep their written order
        return out

    async def read(self, since: float, until: float) -> list[EventRecord]:
        return await asyncio.to_thread(self._scan, since, until, lambda r: True)

    async def journey(self, subscriber: str, since: float, until: float) -> list[EventRecord]:
        return await asyncio.to_thread(self._scan, since, until, lambda r: r.subscriber == subscriber)

    def _key(self) -> bytes:
        with self._lock:
            self._db.execute("INSERT OR IGNORE INTO meta VALUES ('hash_key', ?)", (os.urandom(32),))
            value: bytes = self._db.execute("SELECT value FROM meta WHERE name = 'hash_key'").fetchone()[0]
            return value

    async def stored_key(self) -> bytes:
        return await asyncio.to_thread(self._key)

    async def close(self) -> None:
        with self._lock:
            self._db.close()
