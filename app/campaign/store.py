"""Campaign progress and opt-outs in one SQLite file, so a run resumes and an opt-out outlives it.

A row is written before its message can leave the outbox (``queued``)
and updated when the SMSC accepts it (``sent``), so after a crash a ``queued``
row is one the SMSC may or may not have: it becomes ``uncertain`` and is never
sent again. That makes a resumed campaign at-most-once per subscriber; what is
uncertain is counted, not guessed. Opt-outs are keyed by MSISDN alone and
honoured by every campaign that shares the file.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS progress (
    campaign TEXT NOT NULL, msisdn TEXT NOT NULL, state TEXT NOT NULL, message_id TEXT NOT NULL DEFAULT '',
    replied INTEGER NOT NULL DEFAULT 0, converted INTEGER NOT NULL DEFAULT 0, updated_at REAL NOT NULL,
    PRIMARY KEY (campaign, msisdn));
CREATE TABLE IF NOT EXISTS optout (
    msisdn TEXT PRIMARY KEY, keyword TEXT NOT NULL, campaign TEXT NOT NULL, at REAL NOT NULL);
"""
#: Where a message can stand; the last four are final.
STATES = ("queued", "uncertain", "opted_out", "sent", "failed", "delivered", "undelivered")


class CampaignStore:
    def __init__(self, path: Path, campaign: str) -> None:
        self.campaign = campaign
        self._db = sqlite3.connect(path)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(SCHEMA)

    def close(self) -> None:
        self._db.close()

    def recover(self, now: float) -> int:
        """Rows left ``queued`` by a run that died: the SMSC may have them, so never again. Returns how many."""
        with self._db:
            return self._db.execute("UPDATE progress SET state = 'uncertain', updated_at = ? WHERE campaign = ?"
                                    " AND state = 'queued'", (now, self.campaign)).rowcount

    def done(self) -> set[str]:
        """MSISDNs this campaign already dealt with (in any state)."""
        rows = self._db.execute("SELECT msisdn FROM progress WHERE campaign = ?", (self.campaign,))
        return {r[0] for r in rows}

    def mark(self, msisdn: str, state: str, now: float, message_id: str = "") -> None:
        with self._db:
            self._db.execute(
                "INSERT INTO progress (campaign, msisdn, state, message_id, updated_at) VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT (campaign, msisdn) DO UPDATE SET state = excluded.state,"
                " message_id = CASE WHEN excluded.message_id = '' THEN message_id ELSE excluded.message_id END,"
                " updated_at = excluded.updated_at",
                (self.campaign, msisdn, state, message_id, now))

    def mark_many(self, changes: list[tuple[str, str]], now: float) -> None:
        """New states for messages already queued, in one transaction."""
        if not changes:
            return
        with self._db:
            self._db.executemany("UPDATE progress SET state = ?, updated_at = ? WHERE campaign = ? AND msisdn = ?",
                                 [(state, now, self.campaign, msisdn) for msisdn, state in changes])

    def reply(self, msisdn: str, converted: bool) -> bool:
        """Count a reply from someone this campaign reached; False if it did not reach them."""
        with self._db:
            return self._db.execute(
                "UPDATE progress SET replied = 1, converted = MAX(converted, ?) WHERE campaign = ? AND msisdn = ?",
                (int(converted), self.campaign, msisdn)).rowcount > 0

    def opt_out(self, msisdn: str, keyword: str, now: float) -> None:
        with self._db:
            self._db.execute("INSERT OR IGNORE INTO optout VALUES (?, ?, ?, ?)", (msisdn, keyword, self.campaign, now))

    def opted_out(self, msisdn: str) -> bool:
        return self._db.execute("SELECT 1 FROM optout WHERE msisdn = ?", (msisdn,)).fetchone() is not None

    def counts(self) -> Counter[str]:
        """Messages per state, plus ``replied``, ``converted`` and ``opt_outs`` (from this campaign's replies)."""
        c: Counter[str] = Counter()
        for state, n in self._db.execute("SELECT state, COUNT(*) FROM progress WHERE campaign = ? GROUP BY state",
                                         (self.campaign,)):
            c[state] = n
        replied, converted = self._db.execute(
            "SELECT COALESCE(SUM(replied), 0), COALESCE(SUM(converted), 0) FROM progress WHERE campaign = ?",
            (self.campaign,)).fetchone()
        c["replied"], c["converted"] = replied, converted
        c["opt_outs"] = self._db.execute("SELECT COUNT(*) FROM optout WHERE campaign = ?",
                                         (self.campaign,)).fetchone()[0]
        return c
