"""The session record: every slot survives both serialisations, and old packed sessions still load."""

from __future__ import annotations

import msgpack

from engine.session import Session


def full() -> Session:
    s = Session("ussd:c1", "8613800138000", "ussd", "main", 3, "ask", "en", 100.0)
    s.vars = {"a": 1, "b": {"c": "d"}}
    s.stack = [("outer", 2, "go"), ("mid", 1, "deep")]
    s.counters = {"nomatch": 2}
    s.pages = ["p1", "p2"]
    s.page = 1
    s.pages_end = True
    s.pending = 400.5
    s.updated = 150.0
    s.rev = 7
    s.queued = 120.5
    return s


def slots(s: Session) -> dict[str, object]:
    return {name: getattr(s, name) for name in Session.__slots__}


def test_a_new_session_starts_empty() -> None:
    s = Session("sms:1", "861", "sms", "f", 1, "main", "zh", 5.0)
    assert slots(s) == {"auth_at": 0.0, "auth_level": "none", "channel": "sms", "counters": {}, "created": 5.0,
                        "flow": "f", "key": "sms:1",
                        "locale": "zh", "msisdn": "861", "page": 0, "pages": [], "pages_end": False,
                        "pending": 0.0, "queued": 0.0, "rev": 0, "stack": [], "state": "main", "updated": 5.0,
                        "vars": {}, "version": 1}
    assert repr(s) == "Session('sms:1', f@1:main)"


def test_dict_round_trip_keeps_every_slot() -> None:
    s = full()
    d = s.to_dict()
    assert d == {"k": "ussd:c1", "m": "8613800138000", "c": "ussd", "f": "main", "v": 3, "s": "ask", "l": "en",
                 "x": {"a": 1, "b": {"c": "d"}}, "st": [["outer", 2, "go"], ["mid", 1, "deep"]],
                 "n": {"nomatch": 2}, "p": 1, "pg": ["p1", "p2"], "pe": True, "pd": 400.5, "t0": 100.0,
                 "t1": 150.0, "r": 7, "al": "none", "at": 0.0, "q": 120.5}
    assert slots(Session.from_dict(d)) == slots(s)


def test_from_dict_fills_defaults_for_missing_keys() -> None:
    d = {"k": "k", "m": "m", "c": "sms", "f": "f", "v": "2", "s": "s", "l": "zh", "t0": "9"}
    s = Session.from_dict(d)
    assert (s.version, s.created, s.updated) == (2, 9.0, 9.0)
    assert (s.vars, s.stack, s.counters, s.page, s.pages, s.pages_end, s.pending, s.rev, s.queued) == (
        {}, [], {}, 0, [], False, 0.0, 0, 0.0)


def test_pack_round_trip_keeps_every_slot_and_stays_small() -> None:
    s = full()
    blob = s.pack()
    assert slots(Session.unpack(blob)) == slots(s)
    assert Session.unpack(blob).stack == [("outer", 2, "go"), ("mid", 1, "deep")]
    assert len(Session("ussd:c1", "8613800138000", "ussd", "main", 3, "ask", "en", 100.0).pack()) < 140


def test_a_session_packed_before_the_page_slots_keeps_its_pages() -> None:
    old = ["ussd:c1", "861", "ussd", "f", 1, "main", "zh", {"_pg": ["a", "b"], "_pe": True, "x": 1},
           [["outer", 2, "go"]], {}, 1, 0.0, 10.0, 11.0, 4]
    s = Session.unpack(msgpack.packb(old))
    assert (s.pages, s.pages_end, s.vars, s.page) == (["a", "b"], True, {"x": 1}, 1)
    assert (s.pending, s.created, s.updated, s.rev, s.stack) == (0.0, 10.0, 11.0, 4, [("outer", 2, "go")])
    bare = ["k", "m", "sms", "f", 1, "s", "zh", {}, [], {}, 0, 0.0, 1.0, 2.0, 0]
    s = Session.unpack(msgpack.packb(bare))
    assert (s.pages, s.pages_end) == ([], False)


def test_a_session_packed_before_the_queue_slot_waits_for_no_agent() -> None:
    old = ["ivr:c1", "861", "ivr", "f", 1, "main", "zh", {}, [], {}, 0, [], False, 0.0, 10.0, 11.0, 4,
           "password", 10.5]
    s = Session.unpack(msgpack.packb(old))
    assert (s.auth_level, s.auth_at, s.rev, s.queued) == ("password", 10.5, 4, 0.0)
