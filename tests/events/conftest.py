"""Event stores for the contract suite: SQLite in a temp dir and PostgreSQL on the local server."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from engine.events.postgres import PostgresEventStore
from engine.events.sqlite import SqliteEventStore
from engine.ports.events import EventStore
from tests.conftest import skip_or_fail

PG_URL = "postgresql://postgres@127.0.0.1:5432/test"


async def postgres_store() -> PostgresEventStore:
    """A store on a table of its own (dropped by the caller); skips, or fails in CI, without a server."""
    store = PostgresEventStore(PG_URL, table=f"ev_{uuid.uuid4().hex[:12]}")
    try:
        await store.stored_key()
    except ConnectionError as exc:
        skip_or_fail(f"PostgreSQL not reachable at {PG_URL}: {exc}")
    return store


@pytest.fixture(params=["sqlite", "postgres"])
async def event_store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[EventStore]:
    if request.param == "sqlite":
        sqlite = SqliteEventStore(str(tmp_path / "events.sqlite"))
        yield sqlite
        await sqlite.close()
        return
    pg = await postgres_store()
    try:
        yield pg
    finally:
        await pg.drop()
        await pg.close()
