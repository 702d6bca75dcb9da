"""Account operations of the demo operator: queries, packages, top-up, points.

Each handler is a plain synchronous function over one ``DemoCall``; the
backend runs it inside a short critical section and commits afterwards, so a
handler never manages transactions itself. Validation happens before any
write, so a ``BusinessError`` never leaves half a change behind.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from engine.backend.demo_seed import OPERATOR_TZ, REWARDS, month_of
from engine.ports.backend import BusinessError, CallContext

_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
TOPUP_MIN, TOPUP_MAX = Decimal(1), Decimal(500)
COMPLAINT_MAX_CHARS = 500
LOCALES = ("zh", "en")


@dataclass(frozen=True, slots=True)
class DemoCall:
    """Everything a handler needs: the database, the subscriber row, inputs and now."""

    db: sqlite3.Connection
    sub: sqlite3.Row
    params: Mapping[str, Any]
    ctx: CallContext
    now: float

    @property
    def msisdn(self) -> str:
        return str(self.sub["msisdn"])

    def text(self, name: str) -> str:
        return str(self.params.get(name) or "").strip()


Handler = Callable[[DemoCall], dict[str, Any]]


def yuan(fen: int) -> str:
    """Amounts cross the seam as strings with two decimals: "50.00"."""
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(fen) // 100}.{abs(fen) % 100:02d}"


def _package(call: DemoCall) -> sqlite3.Row:
    code = call.text("code").upper()
    row: sqlite3.Row | None = call.db.execute("SELECT * FROM packages WHERE code = ?", (code,)).fetchone()
    if row is None:
        raise BusinessError(f"no package {code!r}", code="UNKNOWN_PACKAGE", details={"code": code})
    return row


def _describe(pkg: sqlite3.Row) -> dict[str, Any]:
    names = {key: pkg[key] for key in ("code", "name_zh", "name_en")}
    return {**names, "price": yuan(pkg["price"])}


def _subscribed(call: DemoCall, code: str) -> bool:
    sql = "SELECT 1 FROM subscriptions WHERE msisdn = ? AND code = ?"
    return call.db.execute(sql, (call.msisdn, code)).fetchone() is not None


def profile(call: DemoCall) -> dict[str, Any]:
    plan = call.db.execute("SELECT * FROM plans WHERE code = ?", (call.sub["plan"],)).fetchone()
    return {
        "name": call.sub["name"],
        "locale": call.sub["locale"],
        "plan": plan["name_en"] if call.ctx.locale == "en" else plan["name_zh"],
        "plan_zh": plan["name_zh"],
        "plan_en": plan["name_en"],
        "balance": yuan(call.sub["balance"]),
    }


def balance(call: DemoCall) -> dict[str, Any]:
    return {"balance": yuan(call.sub["balance"]), "currency": "CNY"}


def bill(call: DemoCall) -> dict[str, Any]:
    current = month_of(call.now)
    month = call.text("month") or current
    if not _MONTH.match(month) or month > current:
        raise BusinessError(f"no bill for {month!r}", code="INVALID_MONTH", details={"month": month})
    plan = call.db.execute("SELECT * FROM plans WHERE code = ?", (call.sub["plan"],)).fetchone()
    rows = call.db.execute(
        "SELECT name_zh, name_en, amount FROM charges WHERE msisdn = ? AND month = ? ORDER BY id",
        (call.msisdn, month),
    ).fetchall()
    lines = [(plan["name_zh"], plan["name_en"], plan["fee"]), *rows]
    items = [{"name_zh": zh, "name_en": en, "amount": yuan(fen)} for zh, en, fen in lines]
    return {"month": month, "total": yuan(sum(line[2] for line in lines)), "items": items}


def data_usage(call: DemoCall) -> dict[str, Any]:
    total, used = call.sub["data_total_mb"], call.sub["data_used_mb"]
    remaining = max(total - used, 0)
    return {
        "total_mb": total,
        "used_mb": used,
        "remaining_mb": remaining,
        "remaining_gb": f"{remaining / 1024:.1f}",
    }


def packages(call: DemoCall) -> dict[str, Any]:
    rows = call.db.execute(
        "SELECT p.*, s.code IS NOT NULL AS subscribed FROM packages p"
        " LEFT JOIN subscriptions s ON s.code = p.code AND s.msisdn = ? ORDER BY p.position",
        (call.msisdn,),
    ).fetchall()
    items = [{**_describe(r), "subscribed": bool(r["subscribed"])} for r in rows]
    return {"packages": items, "count": len(items)}


def subscriptions(call: DemoCall) -> dict[str, Any]:
    rows = call.db.execute(
        "SELECT p.* FROM subscriptions s JOIN packages p ON p.code = s.code"
        " WHERE s.msisdn = ? ORDER BY s.since, p.position",
        (call.msisdn,),
    ).fetchall()
    items = [{"index": i, **_describe(r)} for i, r in enumerate(rows, start=1)]
    return {"subscriptions": items, "count": len(items)}


def record_order(call: DemoCall, operation: str, code: str = "") -> str:
    """A new order number (``DD`` + date + sequence), as the business system would give one."""
    cursor = call.db.execute("INSERT INTO orders (msisdn, operation, channel, code, created_at) VALUES (?, ?, ?, ?, ?)",
                             (call.msisdn, operation, call.ctx.channel, code, call.now))
    day = datetime.fromtimestamp(call.now, OPERATOR_TZ)
    return f"DD{day:%Y%m%d}{cursor.lastrowid:06d}"


def _order(call: DemoCall, code: str) -> dict[str, str]:
    """The purchase receipt a shop would print: an order number and the day the package takes effect."""
    day = datetime.fromtimestamp(call.now, OPERATOR_TZ)
    return {"order": record_order(call, "subscribe", code), "effective": f"{day:%Y-%m-%d}"}


def subscribe(call: DemoCall) -> dict[str, Any]:
    """Charge the first month now; a data pack adds its volume at once, so the order takes effect today."""
    pkg = _package(call)
    result = _describe(pkg)
    if _subscribed(call, pkg["code"]):
        return {**result, "already": True, "balance": yuan(call.sub["balance"]), "order": "", "effective": ""}
    if call.sub["balance"] < pkg["price"]:
        details = {"balance": yuan(call.sub["balance"]), "price": yuan(pkg["price"])}
        raise BusinessError("balance too low", code="INSUFFICIENT_BALANCE", details=details)
    left = call.sub["balance"] - pkg["price"]
    call.db.execute(
        "UPDATE subscribers SET balance = ?, data_total_mb = data_total_mb + ? WHERE msisdn = ?",
        (left, pkg["data_mb"], call.msisdn),
    )
    call.db.execute("INSERT INTO subscriptions VALUES (?, ?, ?)", (call.msisdn, pkg["code"], call.now))
    call.db.execute(
        "INSERT INTO charges (msisdn, month, name_zh, name_en, amount) VALUES (?, ?, ?, ?, ?)",
        (call.msisdn, month_of(call.now), pkg["name_zh"], pkg["name_en"], pkg["price"]),
    )
    return {**result, "already": False, "balance": yuan(left), **_order(call, pkg["code"])}


def unsubscribe(call: DemoCall) -> dict[str, Any]:
    """Stops renewal; what was paid this month (data included) stays."""
    pkg = _package(call)
    gone = call.db.execute(
        "DELETE FROM subscriptions WHERE msisdn = ? AND code = ?", (call.msisdn, pkg["code"])
    ).rowcount
    return {**_describe(pkg), "already": gone == 0}


def _amount(call: DemoCall) -> Decimal:
    raw = call.text("amount")
    try:
        amount = Decimal(raw)
    except InvalidOperation:
        amount = Decimal("NaN")
    exponent = amount.as_tuple().exponent
    if (
        not amount.is_finite()
        or not isinstance(exponent, int)
        or exponent < -2
        or not (TOPUP_MIN <= amount <= TOPUP_MAX)
    ):
        details = {"min": f"{TOPUP_MIN:.2f}", "max": f"{TOPUP_MAX:.2f}"}
        raise BusinessError(f"bad amount {raw!r}", code="INVALID_AMOUNT", details=details)
    return amount


def topup(call: DemoCall) -> dict[str, Any]:
    fen = int(_amount(call) * 100)
    left = call.sub["balance"] + fen
    call.db.execute("UPDATE subscribers SET balance = ? WHERE msisdn = ?", (left, call.msisdn))
    return {"amount": yuan(fen), "balance": yuan(left)}


def points(call: DemoCall) -> dict[str, Any]:
    return {"points": call.sub["points"]}


def redeem_points(call: DemoCall) -> dict[str, Any]:
    item = call.text("item").upper()
    if item not in REWARDS:
        raise BusinessError(f"no reward {item!r}", code="UNKNOWN_ITEM", details={"item": item})
    name_zh, name_en, cost, data_mb, credit = REWARDS[item]
    if call.sub["points"] < cost:
        details = {"points": call.sub["points"], "cost": cost}
        raise BusinessError("not enough points", code="NOT_ENOUGH_POINTS", details=details)
    left = call.sub["points"] - cost
    call.db.execute(
        "UPDATE subscribers SET points = ?, data_total_mb = data_total_mb + ?, balance = balance + ? WHERE msisdn = ?",
        (left, data_mb, credit, call.msisdn),
    )
    return {"item": item, "name_zh": name_zh, "name_en": name_en, "cost": cost, "points": left}


def set_language(call: DemoCall) -> dict[str, Any]:
    locale = call.text("locale").lower()
    if locale not in LOCALES:
        details = {"locale": locale}
        raise BusinessError(f"unsupported locale {locale!r}", code="UNSUPPORTED_LOCALE", details=details)
    call.db.execute("UPDATE subscribers SET locale = ? WHERE msisdn = ?", (locale, call.msisdn))
    return {"locale": locale}


def complaint(call: DemoCall) -> dict[str, Any]:
    """Files a ticket; over-long text is cut (an SMS thread can run long)."""
    cursor = call.db.execute(
        "INSERT INTO complaints (msisdn, category, text, created_at) VALUES (?, ?, ?, ?)",
        (call.msisdn, call.text("category"), call.text("text")[:COMPLAINT_MAX_CHARS], call.now),
    )
    day = datetime.fromtimestamp(call.now, OPERATOR_TZ).strftime("%Y%m%d")
    return {"ticket": f"TS{day}{cursor.lastrowid:06d}"}


HANDLERS: dict[str, Handler] = {
    "profile": profile,
    "balance": balance,
    "bill": bill,
    "data_usage": data_usage,
    "packages": packages,
    "subscriptions": subscriptions,
    "subscribe": subscribe,
    "unsubscribe": unsubscribe,
    "topup": topup,
    "points": points,
    "redeem_points": redeem_points,
    "set_language": set_language,
    "complaint": complaint,
}
