"""Pure pieces: newest-input extraction, the memory progress store, phone numbers."""

from __future__ import annotations

import pytest

from engine.clock import ManualClock
from engine.msisdn import normalise_msisdn
from gateways.ussd import MemoryProgressStore, SessionProgress
from gateways.ussd.cumulative import fingerprint, newest_input
from gateways.ussd.texts import gateway_text


@pytest.mark.parametrize(
    ("text", "consumed", "expected"),
    [
        ("1", "", ("1", True)),
        ("*123", "", ("*123", True)),
        ("1*2", "1", ("2", True)),
        ("1**123", "1", ("*123", True)),
        ("1*98*98", "1*98", ("98", True)),
        ("1*", "1", ("", True)),
        ("7*8", "1", ("8", False)),
        ("1", "1*2", ("1", False)),
        ("2*x*y", None, ("y", False)),
        ("", None, ("", False)),
    ],
)
def test_newest_input(text: str, consumed: str | None, expected: tuple[str, bool]) -> None:
    assert newest_input(text, None if consumed is None else fingerprint(consumed)) == expected


def record(consumed: str = "1") -> SessionProgress:
    return SessionProgress("8613800138000", "*100#", consumed, consumed, "主菜单", True, "zh")


async def test_memory_store_expires_on_the_injected_clock() -> None:
    clock = ManualClock()
    store = MemoryProgressStore(clock)
    await store.set("k", record(), ttl=10)
    clock.advance(9.9)
    assert await store.get("k") == record()
    clock.advance(0.1)
    assert await store.get("k") is None
    await store.set("a", record(), ttl=1)
    await store.set("b", record(), ttl=5)
    clock.advance(2)
    assert store.purge() == 1
    assert len(store) == 1
    await store.delete("b")
    assert len(store) == 0


def test_progress_round_trips_for_a_serialising_store() -> None:
    blob = record("1**123").dumps()
    assert SessionProgress.loads(blob) == record("1**123")
    assert len(blob) < 200


@pytest.mark.parametrize(
    ("raw", "cc", "expected"),
    [
        ("+8613800138000", "86", "8613800138000"),
        ("8613800138000", "86", "8613800138000"),
        ("13800138000", "86", "8613800138000"),
        ("013800138000", "86", "8613800138000"),
        ("0086 138 0013 8000", "86", "8613800138000"),
        ("+254711000111", "86", "254711000111"),
        ("0711000111", "254", "254711000111"),
        ("254711000111", "254", "254711000111"),
        ("abc", "86", None),
        ("+12", "86", None),
        ("+1234567890123456", "86", None),
        ("+٣٣٣٣٣٣٣٣٣", "86", None),
    ],
)
def test_normalise_msisdn(raw: str, cc: str, expected: str | None) -> None:
    assert normalise_msisdn(raw, cc) == expected


def test_gateway_texts_by_locale() -> None:
    assert gateway_text("processing", "zh") == "受理中，结果将以短信通知"
    english = "Your request is being processed; the result will be sent by SMS."
    assert gateway_text("processing", "en-GB") == english
    assert gateway_text("expired", "fr") == gateway_text("expired", "zh")
