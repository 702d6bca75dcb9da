"""Reassembly of concatenated SMS and duplicate suppression (gateways/sms/reassembly.py)."""

from __future__ import annotations

from engine.clock import ManualClock
from gateways.sms.codec import ConcatInfo
from gateways.sms.reassembly import Deduper, PartialMessage, Reassembler


def test_single_part_returns_at_once() -> None:
    r = Reassembler(ManualClock())
    assert r.add("a>b", None, "hi") == "hi"
    assert r.add("a>b", ConcatInfo(5, 1, 1), "one") == "one"
    assert r.pending == 0


def test_parts_in_any_order_and_duplicates_ignored() -> None:
    r = Reassembler(ManualClock())
    assert r.add("a>b", ConcatInfo(5, 3, 3), "C") is None
    assert r.add("a>b", ConcatInfo(5, 3, 1), "A") is None
    assert r.add("a>b", ConcatInfo(5, 3, 1), "A-again") is None
    assert r.add("a>b", ConcatInfo(5, 3, 2), "B") == "ABC"
    assert r.pending == 0
    # The same reference later starts a fresh message.
    assert r.add("a>b", ConcatInfo(5, 2, 2), "y") is None
    assert r.add("a>b", ConcatInfo(5, 2, 1), "x") == "xy"


def test_sets_are_kept_apart_by_key_ref_and_total() -> None:
    r = Reassembler(ManualClock())
    assert r.add("alice>10086", ConcatInfo(1, 2, 1), "a1") is None
    assert r.add("bob>10086", ConcatInfo(1, 2, 2), "b2") is None
    assert r.add("alice>10086", ConcatInfo(1, 3, 2), "other") is None
    assert r.add("alice>10086", ConcatInfo(1, 2, 2), "a2") == "a1a2"
    assert r.add("bob>10086", ConcatInfo(1, 2, 1), "b1") == "b1b2"
    assert r.pending == 1


def test_expiry_counts_from_the_last_new_part() -> None:
    clock = ManualClock()
    dropped: list[PartialMessage] = []
    r = Reassembler(clock, timeout=120.0, on_expire=dropped.append)
    r.add("k", ConcatInfo(9, 3, 1), "first ")
    clock.advance(100)
    r.add("k", ConcatInfo(9, 3, 2), "second")
    r.add("other", ConcatInfo(1, 2, 1), "lonely")
    clock.advance(100)
    assert r.expire() == 0
    clock.advance(21)
    assert r.expire() == 2
    assert r.expired == 2 and r.pending == 0
    assert [(p.key, p.text()) for p in dropped] == [("k", "first second"), ("other", "lonely")]
    # A late third part cannot complete the dropped set.
    assert r.add("k", ConcatInfo(9, 3, 3), "third") is None


def test_duplicate_does_not_keep_a_set_alive() -> None:
    clock = ManualClock()
    r = Reassembler(clock, timeout=10.0)
    r.add("k", ConcatInfo(1, 2, 1), "a")
    clock.advance(8)
    r.add("k", ConcatInfo(1, 2, 1), "a")
    clock.advance(3)
    assert r.expire() == 1


def test_add_expires_stale_sets_and_caps_memory() -> None:
    clock = ManualClock()
    r = Reassembler(clock, timeout=10.0, max_pending=3)
    r.add("stale", ConcatInfo(1, 2, 1), "x")
    clock.advance(11)
    r.add("fresh", ConcatInfo(1, 2, 1), "y")
    assert r.pending == 1 and r.expired == 1
    for i in range(5):
        r.add(f"flood{i}", ConcatInfo(1, 2, 1), "z")
    assert r.pending == 3 and r.expired == 4


def test_deduper_within_ttl_then_forgets() -> None:
    clock = ManualClock()
    d = Deduper(clock, ttl=60.0)
    assert d.seen("msg-1") is False
    assert d.seen("msg-1") is True
    clock.advance(59)
    assert d.seen("msg-1") is True
    assert d.seen("msg-2") is False
    clock.advance(2)
    assert d.seen("msg-1") is False
    assert len(d) == 2


def test_deduper_memory_is_bounded() -> None:
    clock = ManualClock()
    d = Deduper(clock, ttl=3600.0, max_entries=100)
    for i in range(1000):
        assert d.seen(str(i)) is False
        clock.advance(0.01)
    assert len(d) == 100
    assert d.seen("999") is True
    clock.advance(3601)
    d.seen("new")
    assert len(d) == 1
