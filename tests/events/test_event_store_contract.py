"""One contract for every EventStore: SQLite and PostgreSQL must be interchangeable."""

from __future__ import annotations

from engine.ports.events import EventRecord, EventStore


def rec(at: float, kind: str = "state", subscriber: str = "a1", **data: object) -> EventRecord:
    return EventRecord(at, kind, "ussd", subscriber, "s1", "main", "menu", data)


async def test_read_returns_the_period_in_time_order(event_store: EventStore) -> None:
    await event_store.write([rec(30.0), rec(10.0, "session"), rec(20.0), rec(40.0)])
    got = await event_store.read(10.0, 40.0)
    assert [(r.at, r.kind) for r in got] == [(10.0, "session"), (20.0, "state"), (30.0, "state")]


async def test_ties_keep_written_order(event_store: EventStore) -> None:
    await event_store.write([rec(5.0, "session"), rec(5.0, "state"), rec(5.0, "input")])
    assert [r.kind for r in await event_store.read(0, 10)] == ["session", "state", "input"]


async def test_records_round_trip_with_their_data(event_store: EventStore) -> None:
    original = EventRecord(1_780_000_000.25, "call", "sms", "h" * 32, "s" * 24, "main", "do_topup",
                           {"op": "topup", "ok": False, "ms": 12.5, "failure": "timeout", "business": True,
                            "text": "余额"})
    await event_store.write([original])
    [got] = await event_store.read(0, 2e9)
    assert got == original


async def test_journey_is_one_subscriber_in_time_order(event_store: EventStore) -> None:
    await event_store.write([rec(3.0, subscriber="b"), rec(2.0, subscriber="a"), rec(1.0, subscriber="a")])
    assert [r.at for r in await event_store.journey("a", 0, 10)] == [1.0, 2.0]
    assert [r.at for r in await event_store.journey("a", 1.5, 10)] == [2.0]
    assert await event_store.journey("nobody", 0, 10) == []


async def test_empty_write_and_empty_read(event_store: EventStore) -> None:
    await event_store.write([])
    assert await event_store.read(0, 1e10) == []


async def test_stored_key_is_made_once(event_store: EventStore) -> None:
    key = await event_store.stored_key()
    assert len(key) == 32
    assert await event_store.stored_key() == key
