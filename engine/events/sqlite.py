"""The embedded event store: one SQLite file, written from a worker thread.

The default for ``menuflow serve`` (nothing to install or run). sqlite3 blocks,
so every statement runs in ``asyncio.to_thread`` on one connection guarded by a
lock; WAL mode lets ``menuflow report`` read while serve writes.
"""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import threading
from collections.abc import Sequence
from typing import Any

from engine.ports.events import EventRecord

SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY, at REAL NOT NULL, kind TEXT NOT NULL, channel TEXT NOT NULL,
    subscriber TEXT NOT NULL, session TEXT NOT NULL, flow TEXT NOT NULL, state TEXT NOT NULL, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS events_at ON events (at);
CREATE INDEX IF NOT EXISTS events_subscriber ON events (subscriber, at);
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value BLOB NOT NULL);
"""
COLUMNS = "at, kind, channel, subscriber, session, flow, state, data"


def row(r: EventRecord) -> tuple[Any, ...]:
    """A record as the columns both stores share (``data`` as compact JSON)."""
    data = json.dumps(dict(r.data), ensure_ascii=False, separators=(",", ":"))
    return (r.at, r.kind, r.channel, r.subscriber, r.session, r.flow, r.state, data)


def record(values: Sequence[Any]) -> EventRecord:
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

    def _write(self, rows: list[tuple[Any, ...]]) -> None:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.executemany(f"INSERT INTO events ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    async def write(self, records: Sequence[EventRecord]) -> None:
        await asyncio.to_thread(self._write, [row(r) for r in records])

    def _select(self, where: str, args: tuple[Any, ...]) -> list[EventRecord]:
        with self._lock:
            cur = self._db.execute(f"SELECT {COLUMNS} FROM events WHERE {where} ORDER BY at, id", args)
            return [record(v) for v in cur.fetchall()]

    async def read(self, since: float, until: float) -> list[EventRecord]:
        return await asyncio.to_thread(self._select, "at >= ? AND at < ?", (since, until))

    async def journey(self, subscriber: str) -> list[EventRecord]:
        return await asyncio.to_thread(self._select, "subscriber = ?", (subscriber,))

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
