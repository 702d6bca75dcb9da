"""What the operator feeds the report: other channels' volumes, the subscriber base, the period.

Errors name the file, the line and what was expected: these files are exported
by hand from other systems, and a wrong column should not read as zero.
"""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path


def other_channels(path: str) -> dict[str, int]:
    """``channel,business`` rows (an optional ``channel,business`` header): shops, hotline agents, social outlets..."""
    volumes: dict[str, int] = {}
    with Path(path).open(newline="", encoding="utf-8-sig") as f:
        for n, row in enumerate(csv.reader(f), 1):
            if not row or not "".join(row).strip() or row[0].startswith("#"):
                continue
            if len(row) < 2:
                raise ValueError(f"{path}:{n}: expected 'channel,business', got {','.join(row)!r}")
            name, value = row[0].strip(), row[1].strip()
            if n == 1 and value.lower() == "business":
                continue  # the header
            if not value.isdigit():
                raise ValueError(f"{path}:{n}: business for {name!r} must be a whole number, got {value!r}")
            volumes[name] = volumes.get(name, 0) + int(value)
    return volumes


def subscriber_base(spec: str) -> int:
    """A number, or a CSV: the sum of its ``subscribers`` column, else one subscriber per data row."""
    if spec.replace("_", "").isdigit():
        return int(spec.replace("_", ""))
    path = Path(spec)
    if not path.is_file():
        raise ValueError(f"--subscriber-base {spec!r}: expected a whole number or a CSV file")
    with path.open(newline="", encoding="utf-8-sig") as f:
        rows = [r for r in csv.reader(f) if r and "".join(r).strip()]
    if not rows:
        return 0
    header = [c.strip().lower() for c in rows[0]]
    if "subscribers" in header:
        col = header.index("subscribers")
        total = 0
        for n, row in enumerate(rows[1:], 2):
            value = row[col].strip() if col < len(row) else ""
            if not value.isdigit():
                raise ValueError(f"{spec}:{n}: subscribers must be a whole number, got {value!r}")
            total += int(value)
        return total
    return len(rows) - (0 if rows[0][0].strip().isdigit() else 1)


def moment(text: str, tz: tzinfo) -> float:
    """``YYYY-MM-DD`` (midnight) or an ISO date-time, in ``tz`` unless it says otherwise."""
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"expected a date (2025-06-01) or date-time (2025-06-01T08:00), got {text!r}") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=tz)
    return when.timestamp()


def period(since: str | None, until: str | None, now: float, tz: tzinfo = UTC) -> tuple[float, float]:
    """The period asked for; by default the 30 days up to now. ``--until`` a date means through that day."""
    end = now if until is None else moment(until, tz)
    if until is not None and len(until) == 10:
        end = (datetime.fromtimestamp(end, tz) + timedelta(days=1)).timestamp()
    start = moment(since, tz) if since is not None else end - 30 * 86400
    if start >= end:
        raise ValueError(f"--since must be before --until ({since} … {until})")
    return start, end

