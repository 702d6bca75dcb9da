"""E-points (e点) in the demo operator: loyalty points for doing business in the electronic channels.

The operator rewards the e-channel habit, with risk controls: points per
business category and channel, a daily cap, nothing for queries, and nothing
for churning (cancelling and re-subscribing the same package within a window).
Every accrual, zero included, is a row in the ``epoints`` ledger with its
reason, and the business's result carries ``epoints`` (what it earned) so the
engine can report it as an event.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from engine.backend.demo_ops import DemoCall, Handler
from engine.backend.demo_seed import OPERATOR_TZ

SCHEMA = """
CREATE TABLE IF NOT EXISTS epoints (
    id INTEGER PRIMARY KEY, msisdn TEXT NOT NULL, operation TEXT NOT NULL, category TEXT NOT NULL,
    channel TEXT NOT NULL, item TEXT NOT NULL, points INTEGER NOT NULL, reason TEXT NOT NULL, at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS epoints_by_msisdn ON epoints (msisdn, at);
CREATE TABLE IF NOT EXISTS epoint_policy (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

#: Business operations and their category; queries are absent, so they never earn points.
CATEGORIES: Mapping[str, str] = {
    "subscribe": "package",
    "unsubscribe": "package",
    "topup": "payment",
    "change_password": "password",
    "reset_password": "password",
}
#: Operations whose repetition on the same item within the window is churn, not new business.
CHURN_OPS = frozenset({"subscribe", "unsubscribe"})


@dataclass(frozen=True, slots=True)
class EPointsPolicy:
    """Points per (category, channel); a pair not listed earns nothing."""

    rules: Mapping[str, int] = field(default_factory=lambda: {
        "package/sms": 10, "package/ussd": 10, "package/ivr": 10,
        "payment/sms": 20, "payment/ussd": 20, "payment/ivr": 20,
        "password/sms": 5, "password/ussd": 5, "password/ivr": 5,
    })
    #: Most e-points one subscriber earns per operator day (China time).
    daily_cap: int = 30
    #: Cancelling and re-subscribing the same package within this many days earns nothing.
    churn_days: int = 30


def seed_points(db: sqlite3.Connection) -> None:
    db.executescript(SCHEMA)
    if db.execute("SELECT 1 FROM epoint_policy LIMIT 1").fetchone() is None:
        set_points_policy(db, EPointsPolicy())


def set_points_policy(db: sqlite3.Connection, policy: EPointsPolicy) -> None:
    with db:
        db.execute("DELETE FROM epoint_policy")
        db.executemany("INSERT INTO epoint_policy VALUES (?, ?)", [
            *((f"rule:{key}", str(points)) for key, points in policy.rules.items()),
            ("daily_cap", str(policy.daily_cap)),
            ("churn_days", str(policy.churn_days)),
        ])


def _policy(db: sqlite3.Connection) -> EPointsPolicy:
    values = dict(db.execute("SELECT key, value FROM epoint_policy").fetchall())
    rules = {k.removeprefix("rule:"): int(v) for k, v in values.items() if k.startswith("rule:")}
    return EPointsPolicy(rules, int(values["daily_cap"]), int(values["churn_days"]))


def _day_start(now: float) -> float:
    day = datetime.fromtimestamp(now, OPERATOR_TZ).replace(hour=0, minute=0, second=0, microsecond=0)
    return day.timestamp()


def _award(call: DemoCall, operation: str) -> tuple[int, str]:
    """Points this business earns, and why (``ok``, ``no_rule``, ``churn``, ``daily_cap``)."""
    db, policy = call.db, _policy(call.db)
    points = policy.rules.get(f"{CATEGORIES[operation]}/{call.ctx.channel}", 0)
    if points <= 0:
        return 0, "no_rule"
    item = call.text("code").upper()
    if operation in CHURN_OPS and db.execute(
            "SELECT 1 FROM epoints WHERE msisdn = ? AND item = ? AND operation != ? AND operation IN"
            " ('subscribe', 'unsubscribe') AND at > ?",
            (call.msisdn, item, operation, call.now - timedelta(days=policy.churn_days).total_seconds())).fetchone():
        return 0, "churn"
    today = db.execute("SELECT COALESCE(SUM(points), 0) FROM epoints WHERE msisdn = ? AND at >= ?",
                       (call.msisdn, _day_start(call.now))).fetchone()[0]
    points = min(points, policy.daily_cap - today)
    return (points, "ok") if points > 0 else (0, "daily_cap")


def with_points(operation: str, handler: Handler) -> Handler:
    """``handler`` whose successful business earns e-points, recorded in the ledger and returned."""

    def run(call: DemoCall) -> dict[str, Any]:
        result = handler(call)
        if result.get("already"):
            return result
        points, reason = _award(call, operation)
        call.db.execute(
            "INSERT INTO epoints (msisdn, operation, category, channel, item, points, reason, at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (call.msisdn, operation, CATEGORIES[operation], call.ctx.channel, call.text("code").upper(), points,
             reason, call.now))
        if points:
            call.db.execute("UPDATE subscribers SET points = points + ? WHERE msisdn = ?", (points, call.msisdn))
        return {**result, "epoints": points, "epoints_reason": reason}

    return run


def points_with_epoints(handler: Handler) -> Handler:
    """The points balance, with what the e-channels earned this month, for the points menu."""

    def run(call: DemoCall) -> dict[str, Any]:
        month = datetime.fromtimestamp(call.now, OPERATOR_TZ).replace(day=1, hour=0, minute=0, second=0,
                                                                      microsecond=0)
        earned = call.db.execute("SELECT COALESCE(SUM(points), 0) FROM epoints WHERE msisdn = ? AND at >= ?",
                                 (call.msisdn, month.timestamp())).fetchone()[0]
        return {**handler(call), "epoints_month": earned}

    return run
