"""What happened to each MT we sent: accepted parts, SMSC ids, delivery receipts.

Kept apart from the outbox because the outbox forgets an item once the SMSC
accepted it, while operators ask later "was it delivered?". Bounded: the
oldest records go first past ``max_records``.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field


@dataclass(slots=True)
class MtRecord:
    """One MT (all its parts). ``state``: queued, accepted, failed, delivered, undelivered."""

    message_id: str
    destination: str
    parts: int
    state: str = "queued"
    smsc_ids: dict[int, str] = field(default_factory=dict)
    receipts: dict[int, str] = field(default_factory=dict)
    error: int | None = None


class MtTracker:
    def __init__(self, max_records: int = 100_000) -> None:
        self._records: OrderedDict[str, MtRecord] = OrderedDict()
        self._by_smsc: dict[str, tuple[str, int]] = {}
        self._max = max_records

    def new(self, message_id: str, destination: str, parts: int) -> MtRecord:
        rec = MtRecord(message_id, destination, parts)
        self._records[message_id] = rec
        while len(self._records) > self._max:
            _, old = self._records.popitem(last=False)
            for sid in old.smsc_ids.values():
                self._by_smsc.pop(sid, None)
        return rec

    def get(self, message_id: str) -> MtRecord | None:
        return self._records.get(message_id)

    def accepted(self, message_id: str, part: int, smsc_id: str) -> bool:
        """Record an accepted part; True when this completes the whole MT."""
        rec = self._records.get(message_id)
        if rec is None or rec.state == "failed":
            return False
        rec.smsc_ids[part] = smsc_id
        if smsc_id:
            self._by_smsc[smsc_id] = (message_id, part)
        if len(rec.smsc_ids) == rec.parts and rec.state == "queued":
            rec.state = "accepted"
            return True
        return False

    def failed(self, message_id: str, status: int | None) -> bool:
        """Record a part that will never go; True the first time for this MT."""
        rec = self._records.get(message_id)
        if rec is None or rec.state == "failed":
            return False
        rec.state = "failed"
        rec.error = status
        return True

    def receipt(self, smsc_id: str, state: str) -> MtRecord | None:
        """Apply a delivery receipt; the MT is delivered when every part is."""
        hit = self._by_smsc.get(smsc_id)
        rec = self._records.get(hit[0]) if hit else None
        if rec is None or hit is None:
            return None
        rec.receipts[hit[1]] = state
        if state != "DELIVRD" and state not in ("ENROUTE", "ACCEPTD"):
            rec.state = "undelivered"
        elif len(rec.receipts) == rec.parts and all(s == "DELIVRD" for s in rec.receipts.values()):
            rec.state = "delivered"
        return rec
