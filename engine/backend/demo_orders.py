"""Order numbers of the demo operator: every business done gets one, for its SMS receipt.

A receipt (短信凭证) is only useful if the number on it finds the order at the
counter or on the hotline, so the number comes from the business system, not
from the engine. Operations with a receipt in the catalogue get an ``order``
field in their result; one that did nothing (``already``) gets none.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime
from typing import Any

from engine.backend.demo_ops import DemoCall, Handler
from engine.backend.demo_seed import OPERATOR_TZ

SCHEMA = """
CREATE TABLE IF NOT EXISTS orders (
    id INTEGER PRIMARY KEY, msisdn TEXT NOT NULL, operation TEXT NOT NULL, channel TEXT NOT NULL,
    created_at REAL NOT NULL);
"""


def seed_orders(db: sqlite3.Connection) -> None:
    db.executescript(SCHEMA)


def with_order(operation: str, handler: Handler) -> Handler:
    """``handler`` whose successful result carries an ``order`` number (``SO`` + date + sequence)."""

    def run(call: DemoCall) -> dict[str, Any]:
        result = handler(call)
        if result.get("already"):
            return result
        cursor = call.db.execute("INSERT INTO orders (msisdn, operation, channel, created_at) VALUES (?, ?, ?, ?)",
                                 (call.msisdn, operation, call.ctx.channel, call.now))
        day = datetime.fromtimestamp(call.now, OPERATOR_TZ).strftime("%Y%m%d")
        return {**result, "order": f"SO{day}{cursor.lastrowid:06d}"}

    return run
