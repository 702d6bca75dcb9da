"""``--events`` spellings: a PostgreSQL URL, ``off``, or a SQLite file path."""

from __future__ import annotations

import logging
import os

from engine.events.log import EventLog
from engine.events.record import Recorder
from engine.ports.events import EventStore

#: ``--events`` when not given: ``MENUFLOW_EVENTS`` (containers, the test suite), else this file.
DEFAULT = os.environ.get("MENUFLOW_EVENTS") or "menuflow-events.sqlite"
#: The HMAC key for subscriber hashes; keep it apart from the event database.
KEY_ENV = "MENUFLOW_EVENTS_KEY"
log = logging.getLogger("menuflow.events")


def is_postgres_url(spec: str) -> bool:
    return spec.startswith(("postgresql://", "postgres://"))


def open_event_store(spec: str) -> EventStore | None:
    """The store ``spec`` names; None for ``off``."""
    if spec in ("off", "none", ""):
        return None
    if is_postgres_url(spec):
        from engine.events.postgres import PostgresEventStore

        return PostgresEventStore(spec)
    from engine.events.sqlite import SqliteEventStore

    return SqliteEventStore(spec)


async def hash_key(store: EventStore) -> bytes:
    """``MENUFLOW_EVENTS_KEY``, else a random key the store keeps (weaker: it sits beside the hashes)."""
    configured = os.environ.get(KEY_ENV, "")
    if configured:
        return configured.encode()
    log.warning("%s is not set: subscriber hashes use a key kept in the event store itself", KEY_ENV)
    return await store.stored_key()


async def recorder_for(store: EventStore, *, raw_msisdn: bool = False) -> Recorder:
    return Recorder(await hash_key(store), raw_msisdn=raw_msisdn)


async def open_event_log(spec: str, *, raw_msisdn: bool = False) -> EventLog | None:
    """A started event log writing to ``spec`` (None for ``off``).

    Raises ValueError when no key is configured and the store cannot give one: hashing
    subscribers with a throwaway key would break unique counts and journeys.
    """
    store = open_event_store(spec)
    if store is None:
        return None
    try:
        recorder = await recorder_for(store, raw_msisdn=raw_msisdn)
    except Exception as exc:
        await store.close()
        raise ValueError(f"--events: store unreachable and {KEY_ENV} not set ({exc})") from None
    events = EventLog(store, recorder)
    events.start()
    return events
