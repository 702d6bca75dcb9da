"""Schema and seed data of the demo operator.

Three subscribers cover the interesting paths: 张伟 (zh, a VAS subscription,
points to redeem), Alice Smith (en) and 李娜 (zh, 0.80 yuan: every paid action
fails with INSUFFICIENT_BALANCE). Money is stored in fen (integer cents).
"""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
from datetime import datetime, timedelta, timezone

#: Bills and "current month" follow the operator's local time (China, UTC+8).
OPERATOR_TZ = timezone(timedelta(hours=8))

SCHEMA = """
CREATE TABLE IF NOT EXISTS plans (
    code TEXT PRIMARY KEY, name_zh TEXT NOT NULL, name_en TEXT NOT NULL, fee INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS subscribers (
    msisdn TEXT PRIMARY KEY, name TEXT NOT NULL, locale TEXT NOT NULL, balance INTEGER NOT NULL,
    plan TEXT NOT NULL REFERENCES plans(code), data_total_mb INTEGER NOT NULL,
    data_used_mb INTEGER NOT NULL, points INTEGER NOT NULL, pw_salt TEXT NOT NULL,
    pw_hash TEXT NOT NULL, pw_failures INTEGER NOT NULL DEFAULT 0, locked_until REAL NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS packages (
    code TEXT PRIMARY KEY, position INTEGER NOT NULL, name_zh TEXT NOT NULL, name_en TEXT NOT NULL,
    price INTEGER NOT NULL, data_mb INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS subscriptions (
    msisdn TEXT NOT NULL, code TEXT NOT NULL REFERENCES packages(code), since REAL NOT NULL,
    PRIMARY KEY (msisdn, code));
CREATE TABLE IF NOT EXISTS charges (
    id INTEGER PRIMARY KEY, msisdn TEXT NOT NULL, month TEXT NOT NULL, name_zh TEXT NOT NULL,
    name_en TEXT NOT NULL, amount INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS codes (
    msisdn TEXT NOT NULL, purpose TEXT NOT NULL, code_hash TEXT NOT NULL, expires_at REAL NOT NULL,
    failures INTEGER NOT NULL, verified INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (msisdn, purpose));
CREATE TABLE IF NOT EXISTS complaints (
    id INTEGER PRIMARY KEY, msisdn TEXT NOT NULL, category TEXT NOT NULL, text TEXT NOT NULL,
    created_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS orders (
    id INTEGER PRIMARY KEY, msisdn TEXT NOT NULL, operation TEXT NOT NULL, channel TEXT NOT NULL,
    code TEXT NOT NULL DEFAULT '', created_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS idempotency (
    msisdn TEXT NOT NULL, key TEXT NOT NULL, result TEXT NOT NULL, created_at REAL NOT NULL,
    PRIMARY KEY (msisdn, key));
"""

PLANS = (
    ("CX58", "畅享套餐 58元", "Enjoy Plan 58 CNY", 5800),
    ("GL38", "全球通 38元", "GoTone 38 CNY", 3800),
    ("JC18", "基础套餐 18元", "Basic Plan 18 CNY", 1800),
)

# code, position, zh, en, price in fen, extra data MB
PACKAGES = (
    ("LL5", 1, "5元100MB流量包", "100MB data pack", 500, 100),
    ("LL10", 2, "10元300MB流量包", "300MB data pack", 1000, 300),
    ("VIDEO15", 3, "视频会员", "Video membership", 1500, 0),
    ("LDXS", 4, "来电显示", "Caller ID", 500, 0),
    ("NEWS3", 5, "手机报", "Mobile news", 300, 0),
)

# msisdn, name, locale, balance, plan, data total, data used, points, password, subscriptions
SUBSCRIBERS = (
    ("8613800138000", "张伟", "zh", 5000, "CX58", 10240, 3584, 1200, "123456", ("LDXS",)),
    ("8613900139000", "Alice Smith", "en", 12050, "GL38", 5120, 1024, 300, "654321", ()),
    ("8613700137000", "李娜", "zh", 80, "JC18", 1024, 1000, 0, "246810", ()),
)

#: Points shop: code → (zh, en, points, data MB added, balance fen added).
REWARDS = {
    "DATA100": ("100MB流量", "100MB data", 500, 100, 0),
    "CREDIT5": ("5元话费", "5 CNY credit", 1000, 0, 500),
}

# Charges seeded into the current and previous month's bills, besides the plan fee.
_BILL_EXTRAS = {
    "8613800138000": (("来电显示", "Caller ID", 500), ("语音超出套餐", "Extra voice minutes", 240)),
    "8613900139000": (("国际漫游", "International roaming", 1250),),
    "8613700137000": (),
}


def month_of(ts: float) -> str:
    """Return ``YYYY-MM`` of a timestamp in operator time."""
    return datetime.fromtimestamp(ts, OPERATOR_TZ).strftime("%Y-%m")


def previous_month(month: str) -> str:
    year, mon = (int(part) for part in month.split("-"))
    return f"{year - 1}-12" if mon == 1 else f"{year}-{mon - 1:02d}"


def hash_secret(salt: str, secret: str) -> str:
    """Demo-grade salted hash: the database never holds a password in clear."""
    return hashlib.sha256(f"{salt}:{secret}".encode()).hexdigest()


def seed(db: sqlite3.Connection, now: float) -> None:
    """Create the tables and, on an empty database, the demo operator's data."""
    db.executescript(SCHEMA)
    if db.execute("SELECT 1 FROM subscribers LIMIT 1").fetchone():
        return
    with db:
        db.executemany("INSERT INTO plans VALUES (?, ?, ?, ?)", PLANS)
        db.executemany("INSERT INTO packages VALUES (?, ?, ?, ?, ?, ?)", PACKAGES)
        month = month_of(now)
        for msisdn, name, locale, balance, plan, total, used, points, password, subs in SUBSCRIBERS:
            salt = secrets.token_hex(8)
            db.execute(
                "INSERT INTO subscribers (msisdn, name, locale, balance, plan, data_total_mb, data_used_mb,"
                " points, pw_salt, pw_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (msisdn, name, locale, balance, plan, total, used, points, salt, hash_secret(salt, password)),
            )
            for code in subs:
                db.execute("INSERT INTO subscriptions VALUES (?, ?, ?)", (msisdn, code, now - 86400 * 90))
            for bill_month in (previous_month(month), month):
                db.executemany(
                    "INSERT INTO charges (msisdn, month, name_zh, name_en, amount) VALUES (?, ?, ?, ?, ?)",
                    [(msisdn, bill_month, *extra) for extra in _BILL_EXTRAS[msisdn]],
                )
