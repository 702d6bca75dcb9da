"""Offers at touchpoints in the demo operator: which package to recommend after a query.

The rules live with the business system, not in the flows, because the same
offer must be on or off in every channel at the same moment and marketing
changes them without a flow release. ``offers`` picks at most one offer for
the subscriber (plan, data usage, balance, segment, what they already have)
and counts the impression; ``offer_reply`` records an acceptance or a decline.
Quiet limits protect the subscriber: at most ``per_week`` offers shown in any
seven days, never an offer again within ``decline_days`` of declining it, and
a switch per channel.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

from engine.backend.demo_ops import DemoCall, Handler, yuan
from engine.ports.backend import BusinessError

SCHEMA = """
CREATE TABLE IF NOT EXISTS offers (
    id TEXT PRIMARY KEY, package TEXT NOT NULL REFERENCES packages(code), reply TEXT NOT NULL,
    touchpoints TEXT NOT NULL, plans TEXT NOT NULL, segment TEXT NOT NULL, min_used_pct INTEGER NOT NULL,
    priority INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS segments (msisdn TEXT NOT NULL, segment TEXT NOT NULL, PRIMARY KEY (msisdn, segment));
CREATE TABLE IF NOT EXISTS offer_log (
    msisdn TEXT NOT NULL, offer TEXT NOT NULL, outcome TEXT NOT NULL, channel TEXT NOT NULL, at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS offer_log_by_msisdn ON offer_log (msisdn, at);
CREATE TABLE IF NOT EXISTS offer_policy (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

# id, package, reply code, touchpoints, plans ('' any), segment ('' any), min % of data used, priority
OFFERS = (
    ("DATA300", "LL10", "KT", "balance,bill,data", "CX58,GL38", "", 30, 1),
    ("VIDEO", "VIDEO15", "KT", "balance,bill", "", "video_fan", 0, 2),
)
WEEK = 7 * 86400
OUTCOMES = ("accepted", "declined")


@dataclass(frozen=True, slots=True)
class OfferPolicy:
    """The marketing team's limits; stored in the database so every process applies the same."""

    #: Offers shown to one subscriber in any seven days, all offers together.
    per_week: int = 2
    #: Days an offer stays away from a subscriber who declined it.
    decline_days: int = 30
    #: Channels that show offers at all (the per-channel switch).
    channels: tuple[str, ...] = ("sms", "ussd", "ivr")


def seed_offers(db: sqlite3.Connection) -> None:
    """Create the tables and, on an empty database, the demo's offers and default policy."""
    db.executescript(SCHEMA)
    if db.execute("SELECT 1 FROM offers LIMIT 1").fetchone():
        return
    with db:
        db.executemany("INSERT INTO offers VALUES (?, ?, ?, ?, ?, ?, ?, ?)", OFFERS)
    set_policy(db, OfferPolicy())


def set_policy(db: sqlite3.Connection, policy: OfferPolicy) -> None:
    with db:
        db.executemany("INSERT OR REPLACE INTO offer_policy VALUES (?, ?)", [
            ("per_week", str(policy.per_week)),
            ("decline_days", str(policy.decline_days)),
            ("channels", ",".join(policy.channels)),
        ])


def _policy(db: sqlite3.Connection) -> OfferPolicy:
    values = dict(db.execute("SELECT key, value FROM offer_policy").fetchall())
    return OfferPolicy(int(values["per_week"]), int(values["decline_days"]),
                       tuple(c for c in values["channels"].split(",") if c))


def _eligible(call: DemoCall, row: sqlite3.Row, policy: OfferPolicy, segments: set[str]) -> bool:
    sub, db = call.sub, call.db
    if row["plans"] and sub["plan"] not in row["plans"].split(","):
        return False
    if row["segment"] and row["segment"] not in segments:
        return False
    used_pct = 100 * sub["data_used_mb"] // max(sub["data_total_mb"], 1)
    if used_pct < row["min_used_pct"] or sub["balance"] < row["price"]:
        return False
    if db.execute("SELECT 1 FROM subscriptions WHERE msisdn = ? AND code = ?",
                  (call.msisdn, row["package"])).fetchone():
        return False
    declined = db.execute(
        "SELECT 1 FROM offer_log WHERE msisdn = ? AND offer = ? AND outcome = 'declined' AND at > ?",
        (call.msisdn, row["id"], call.now - policy.decline_days * 86400)).fetchone()
    return declined is None


def offers(call: DemoCall) -> dict[str, Any]:
    """At most one offer for this touchpoint; showing it counts against the weekly cap.

    A retried call may count one impression twice: that only makes the cap
    stricter, never shows the subscriber more.
    """
    db, policy = call.db, _policy(call.db)
    touchpoint = call.text("touchpoint")
    if call.ctx.channel not in policy.channels:
        return {"offer": None, "reason": "channel_off"}
    shown = db.execute("SELECT COUNT(*) FROM offer_log WHERE msisdn = ? AND outcome = 'shown' AND at > ?",
                       (call.msisdn, call.now - WEEK)).fetchone()[0]
    if shown >= policy.per_week:
        return {"offer": None, "reason": "weekly_cap"}
    segments = {r[0] for r in db.execute("SELECT segment FROM segments WHERE msisdn = ?", (call.msisdn,))}
    rows = db.execute(
        "SELECT o.*, p.name_zh, p.name_en, p.price FROM offers o JOIN packages p ON p.code = o.package"
        " ORDER BY o.priority").fetchall()
    for row in rows:
        if touchpoint in row["touchpoints"].split(",") and _eligible(call, row, policy, segments):
            _log(call, row["id"], "shown")
            offer = {key: row[key] for key in ("id", "package", "reply", "name_zh", "name_en")}
            return {"offer": {**offer, "price": yuan(row["price"])}, "reason": ""}
    return {"offer": None, "reason": "none_fits"}


def offer_reply(call: DemoCall) -> dict[str, Any]:
    """Record ``accepted`` or ``declined``; a decline keeps the offer away for ``decline_days``."""
    offer, outcome = call.text("offer"), call.text("outcome")
    if outcome not in OUTCOMES:
        raise BusinessError(f"bad outcome {outcome!r}", code="INVALID_OUTCOME", details={"outcome": outcome})
    if call.db.execute("SELECT 1 FROM offers WHERE id = ?", (offer,)).fetchone() is None:
        raise BusinessError(f"no offer {offer!r}", code="UNKNOWN_OFFER", details={"offer": offer})
    _log(call, offer, outcome)
    return {"offer": offer, "outcome": outcome}


def _log(call: DemoCall, offer: str, outcome: str) -> None:
    call.db.execute("INSERT INTO offer_log VALUES (?, ?, ?, ?, ?)",
                    (call.msisdn, offer, outcome, call.ctx.channel, call.now))


HANDLERS: dict[str, Handler] = {"offers": offers, "offer_reply": offer_reply}
