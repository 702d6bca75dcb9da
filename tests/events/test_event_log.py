"""The event log behind a real engine: anonymous, secret-free, batched, and never in a subscriber's way."""

from __future__ import annotations

import asyncio
import json
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import msgpack

from engine.events.log import EventLog
from engine.events.postgres import PostgresEventStore
from engine.events.record import Recorder, subscriber_hash
from engine.events.sqlite import SqliteEventStore
from engine.ports.events import EngineEvent
from tests.engine.helpers import ZH, Phone, engine_for

KEY = b"k" * 32


async def _subscribe_by_ussd(tmp_path: Path, *, raw: bool = False) -> tuple[EventLog, SqliteEventStore]:
    store = SqliteEventStore(str(tmp_path / "ev.sqlite"))
    events = EventLog(store, Recorder(KEY, raw_msisdn=raw))
    engine, _, _ = engine_for("flows")
    engine.observers.append(events)
    phone = Phone(engine, "ussd")
    await phone.dial()
    for key in ("4", "1", "123456", "Y"):  # packages → 5-yuan pack → password → confirm
        await phone.send(key)
    assert await events.flush()
    return events, store


async def test_a_session_lands_hashed_and_without_secrets(tmp_path: Path) -> None:
    events, store = await _subscribe_by_ussd(tmp_path)
    records = await store.read(0, 1e12)
    kinds = [r.kind for r in records]
    assert kinds[0] == "session" and "confirm_asked" in kinds and "confirm_answered" in kinds
    assert {r.subscriber for r in records if r.kind != "failed"} == {subscriber_hash(KEY, ZH)}
    assert len({r.session for r in records}) == 1
    call = [r.data for r in records if r.kind == "call" and r.data["op"] == "subscribe"]
    assert call and call[0]["category"] == "package" and call[0]["business"] is True and call[0]["ok"] is True
    blobs = sqlite3.connect(store.path).execute("SELECT records FROM segments").fetchall()
    text = json.dumps([msgpack.unpackb(b) for (b,) in blobs], ensure_ascii=False)
    assert ZH not in text and "123456" not in text
    assert events.written == len(records) and events.dropped == 0
    await events.close()


async def test_raw_msisdn_only_when_configured(tmp_path: Path) -> None:
    events, store = await _subscribe_by_ussd(tmp_path, raw=True)
    assert {r.subscriber for r in await store.read(0, 1e12)} == {ZH}
    await events.close()


def _event(i: int) -> EngineEvent:
    return EngineEvent("state", "ussd:x", "ussd", "main", 1, "menu", {}, ZH, float(i), 1.0)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_an_absent_store_keeps_what_fits_and_counts_drops() -> None:
    store = PostgresEventStore(f"postgresql://postgres@127.0.0.1:{_closed_port()}/test", connect_timeout=1)
    events = EventLog(store, Recorder(KEY), capacity=5, batch=3)
    for i in range(8):
        events(_event(i))  # the observer never waits, whatever the store does
    assert len(events.queue) == 5 and events.dropped == 3
    assert not await events.flush()
    assert events.failures == 1 and len(events.queue) == 5 and events.written == 0
    await events.close(timeout=0.5)


async def test_a_locked_store_does_not_delay_turns(tmp_path: Path) -> None:
    path = str(tmp_path / "ev.sqlite")
    store = SqliteEventStore(path, busy_timeout=3.0)
    events = EventLog(store, Recorder(KEY), batch=1, interval=0.01)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # another process holds the file
    engine, _, _ = engine_for("flows")
    engine.observers.append(events)
    events.start()
    phone = Phone(engine, "ussd")
    await phone.dial()
    await asyncio.sleep(0.05)  # let the writer start its (blocked) batch
    # the writer is stuck in SQLite's busy wait; subscribers are answered regardless
    for key in ("1", "0", "1"):
        reply = await asyncio.wait_for(phone.send(key), 1.0)
        assert reply.text
    assert events.written == 0
    holder.execute("ROLLBACK")
    holder.close()
    await events.close()
    records = await SqliteEventStore(path).read(0, 1e12)
    assert records and records[0].kind == "session" and events.dropped == 0


class _SlowStore:
    """Takes 5 ms per write (a disk, a network) and remembers each batch's size."""

    def __init__(self) -> None:
        self.sizes: list[int] = []

    async def write(self, records: list[object]) -> None:
        await asyncio.sleep(0.005)
        self.sizes.append(len(records))

    async def close(self) -> None:
        pass


async def test_under_steady_traffic_the_writer_writes_full_batches() -> None:
    """Events keep arriving while a batch is written: the writer must not chase them with a
    transaction each (it once wrote ~30 records per write and cost 14 us per request)."""
    store = _SlowStore()
    events = EventLog(store, Recorder(KEY), batch=50, interval=0.2)  # type: ignore[arg-type]
    events.start()
    for i in range(1_000):  # 1,000 events over ~0.25 s: a batch fills every ~12 ms, faster than one interval
        events(_event(i))
        if i % 4 == 0:
            await asyncio.sleep(0.001)
    await events.close()
    assert sum(store.sizes) == 1_000 and events.written == 1_000
    assert store.sizes[:-1] == [50] * (len(store.sizes) - 1), store.sizes  # only the closing write may be short
    assert len(store.sizes) <= 21


async def test_a_quiet_queue_is_written_after_the_interval() -> None:
    store = _SlowStore()
    events = EventLog(store, Recorder(KEY), batch=50, interval=0.05)  # type: ignore[arg-type]
    events.start()
    for i in range(7):
        events(_event(i))
    await asyncio.sleep(0.2)
    assert store.sizes == [7] and events.written == 7  # less than a batch, written when the interval ran out
    await events.close()


async def test_two_flushes_at_once_write_each_record_once() -> None:
    store = _SlowStore()
    events = EventLog(store, Recorder(KEY), batch=10)  # type: ignore[arg-type]
    for i in range(35):
        events(_event(i))
    assert all(await asyncio.gather(events.flush(), events.flush(), events.flush(30)))
    assert sum(store.sizes) == 35 == events.written and not events.queue


def test_an_event_that_cannot_be_recorded_is_dropped_and_counted() -> None:
    events = EventLog(_SlowStore(), Recorder(KEY))  # type: ignore[arg-type]
    events(EngineEvent("call", "ussd:x", "ussd", "main", 1, "menu", None, ZH, 1.0, 1.0))  # type: ignore[arg-type]
    assert events.dropped == 1 and not events.queue


def test_a_password_typed_into_a_menu_is_masked() -> None:
    event = EngineEvent("invalid", "sms:1", "sms", "main", 1, "main", {"count": 1, "text": "mm 123456"}, ZH, 1.0, 1.0)
    assert Recorder(KEY).record(event).data == {"count": 1, "text": "mm ******"}
    short = EngineEvent("invalid", "sms:1", "sms", "main", 1, "main", {"count": 1, "text": "98"}, ZH, 1.0, 1.0)
    assert Recorder(KEY).record(short).data["text"] == "98"


def test_report_on_an_unreachable_postgres_is_a_clear_error() -> None:
    url = f"postgresql://postgres:s3cret@127.0.0.1:{_closed_port()}/test"
    out = subprocess.run([sys.executable, "-m", "app.cli", "report", "--events", url], capture_output=True, text=True,
                         timeout=60, check=False)
    assert out.returncode == 2 and "unreachable" in out.stderr
    assert "Traceback" not in out.stderr and "s3cret" not in out.stderr
