"""The production event store: PostgreSQL through psycopg 3's asyncio connection.

Many serve processes write to one database, and ``menuflow report`` reads it
while they do. One connection per process is enough for batched writes (one
``executemany`` per batch); it is opened lazily and again after a failure, so a
database that starts after ``menuflow serve`` (or restarts under it) is picked
up without a restart, the queue in ``engine.events.log`` holding events
meanwhile.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from typing import Any

import psycopg

from engine.events.sqlite import COLUMNS, record, row
from engine.ports.events import EventRecord

_NAME = re.compile(r"[a-z_][a-z0-9_]{0,50}")


def redact(url: str) -> str:
    """``url`` without a password, for messages and logs."""
    return re.sub(r"://([^:/@]*):[^@]*@", r"://\1:***@", url)


class PostgresEventStore:
    def __init__(self, url: str, *, table: str = "menuflow_events", connect_timeout: float = 3.0) -> None:
        if not _NAME.fullmatch(table):
            raise ValueError(f"event table name {table!r}: expected lowercase letters, digits and _")
        self.url = url
        self.table = table
        self.connect_timeout = connect_timeout
        self._conn: psycopg.AsyncConnection[Any] | None = None

    async def _connection(self) -> psycopg.AsyncConnection[Any]:
        if self._conn is not None and not self._conn.closed:
            return self._conn
        try:
            conn = await psycopg.AsyncConnection.connect(self.url, autocommit=True,
                                                         connect_timeout=max(1, round(self.connect_timeout)))
        except psycopg.OperationalError as exc:  # an outage is an OSError to callers, with no password in it
            raise ConnectionError(f"event store {redact(self.url)} unreachable: {exc}".strip()) from None
        t = self.table
        async with conn.transaction():
            await conn.execute(f"""
                CREATE TABLE IF NOT EXISTS {t} (
                    id BIGSERIAL PRIMARY KEY, at DOUBLE PRECISION NOT NULL, kind TEXT NOT NULL,
                    channel TEXT NOT NULL, subscriber TEXT NOT NULL, session TEXT NOT NULL, flow TEXT NOT NULL,
                    state TEXT NOT NULL, data TEXT NOT NULL)""")
            await conn.execute(f"CREATE INDEX IF NOT EXISTS {t}_at ON {t} (at)")
            await conn.execute(f"CREATE INDEX IF NOT EXISTS {t}_subscriber ON {t} (subscriber, at)")
            await conn.execute(f"CREATE TABLE IF NOT EXISTS {t}_meta (name TEXT PRIMARY KEY, value BYTEA NOT NULL)")
        self._conn = conn
        return conn

    async def _run(self, sql: str, args: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        conn = await self._connection()
        try:
            async with conn.cursor() as cur:
                await cur.execute(sql, args)
                return await cur.fetchall() if cur.description else []
        except psycopg.OperationalError as exc:
            await self.close()  # a broken connection: the next call opens a new one
            raise ConnectionError(f"event store {redact(self.url)}: {exc}") from None

    async def write(self, records: Sequence[EventRecord]) -> None:
        conn = await self._connection()
        try:
            async with conn.transaction(), conn.cursor() as cur:
                await cur.executemany(f"INSERT INTO {self.table} ({COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                                      [row(r) for r in records])
        except psycopg.OperationalError as exc:
            await self.close()
            raise ConnectionError(f"event store {redact(self.url)}: {exc}") from None

    async def read(self, since: float, until: float) -> list[EventRecord]:
        rows = await self._run(f"SELECT {COLUMNS} FROM {self.table} WHERE at >= %s AND at < %s ORDER BY at, id",
                               (since, until))
        return [record(v) for v in rows]

    async def journey(self, subscriber: str, since: float, until: float) -> list[EventRecord]:
        rows = await self._run(f"SELECT {COLUMNS} FROM {self.table} WHERE subscriber = %s AND at >= %s AND at < %s "
                               "ORDER BY at, id", (subscriber, since, until))
        return [record(v) for v in rows]

    async def stored_key(self) -> bytes:
        await self._run(f"INSERT INTO {self.table}_meta VALUES ('hash_key', %s) ON CONFLICT DO NOTHING",
                        (os.urandom(32),))
        rows = await self._run(f"SELECT value FROM {self.table}_meta WHERE name = 'hash_key'")
        return bytes(rows[0][0])

    async def close(self) -> None:
        if self._conn is not None:
            conn, self._conn = self._conn, None
            await conn.close()

    async def drop(self) -> None:
        """Remove the tables (tests clean up after themselves)."""
        await self._run(f"DROP TABLE IF EXISTS {self.table}, {self.table}_meta")
