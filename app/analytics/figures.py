"""Every figure of ``menuflow report``, computed from event records for one period.

Definitions follow the operator's planning documents (see DOMAIN.md, "How the
operator measures success"):

- *business*: a successful backend operation the catalogue marks ``business``
  (subscribe, cancel, top up, redeem, change the password, complain...);
  *queries* (balance, bill, usage) are counted apart, and the password check on
  the way is neither;
- *e-channel share*: e-channel business ÷ (e-channel business + the other
  channels' business the operator exports: shops, hotline agents, social outlets);
- *customers*: distinct subscribers with any event; *active*: with ≥ 1 business;
  *penetration*: customers ÷ subscriber base;
- *agent cost saved*: business × the cost of one agent contact;
- session outcomes, lengths and funnels come from ``sessions.rebuild``.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import Any

from app.analytics.sessions import DEFAULT_TTL, SessionView, rebuild
from engine.ports.events import EventRecord

#: Yuan one human-agent contact costs (the documents' figure).
AGENT_COST = 0.77
#: Invalid inputs listed per state.
TOP_INVALID = 5


@dataclass(frozen=True)
class Period:
    since: float
    until: float
    #: Days in the volume chart are calendar days in this zone.
    tz: tzinfo = UTC


@dataclass(frozen=True)
class Inputs:
    agent_cost: float = AGENT_COST
    #: Business handled elsewhere in the period: channel → count (None: not given).
    other_channels: Mapping[str, int] | None = None
    subscriber_base: int | None = None
    #: The e-channel share the operator is asked to reach (0..1).
    share_target: float | None = None
    ttl: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_TTL))


def percentile(values: Sequence[float], p: float) -> float | None:
    """Nearest-rank percentile (the value at rank ⌈p·n⌉), None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(1, math.ceil(p / 100 * len(ordered))) - 1]


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 1)


def _ratio(a: float, b: float) -> float | None:
    return round(a / b, 4) if b else None


def compute(records: Sequence[EventRecord], period: Period, inputs: Inputs = Inputs()) -> dict[str, Any]:
    calls = [r for r in records if r.kind == "call"]
    done = [r for r in calls if r.data.get("ok")]
    business = [r for r in done if r.data.get("business")]
    queries = [r for r in done if r.data.get("category") == "query"]
    sessions = rebuild(records, period.until, inputs.ttl)
    figures: dict[str, Any] = {
        "period": {"since": period.since, "until": period.until},
        "business": len(business),
        "queries": len(queries),
        "business_by_channel": dict(Counter(r.channel for r in business)),
        "business_by_category": dict(Counter(str(r.data.get("category", "other")) for r in business)),
        "queries_by_channel": dict(Counter(r.channel for r in queries)),
        "agent_cost_saved_yuan": round(len(business) * inputs.agent_cost, 2),
        "agent_cost_yuan": inputs.agent_cost,
        **_share(len(business), inputs),
        **_customers(records, business, inputs.subscriber_base),
        "sessions": _sessions(sessions),
        "funnels": _funnels(sessions),
        "invalid_inputs": _invalid(records),
        "operations": _operations(calls),
        "confirmations": _confirmations(records),
        "offers": _offers(records),
        "satisfaction": _satisfaction(records),
        "sms_sent": sum(1 for r in records if r.kind == "push"),
        "transfers": sum(1 for r in records if r.kind == "transfer"),
        "agents_unreached": dict(Counter(str(r.data.get("reason", "failed"))
                                         for r in records if r.kind == "agent_unavailable")),
        "timeline": _timeline(business, period),
    }
    return figures


def _share(business: int, inputs: Inputs) -> dict[str, Any]:
    others = dict(inputs.other_channels) if inputs.other_channels is not None else None
    share = _ratio(business, business + sum(others.values())) if others is not None else None
    return {"other_channels": others, "e_channel_share": share, "share_target": inputs.share_target}


def _customers(records: Sequence[EventRecord], business: Sequence[EventRecord], base: int | None) -> dict[str, Any]:
    per_channel: dict[str, set[str]] = defaultdict(set)
    for r in records:
        if r.subscriber:
            per_channel[r.channel].add(r.subscriber)
    everyone = set().union(*per_channel.values()) if per_channel else set()
    active = {r.subscriber for r in business if r.subscriber}
    return {
        "customers": len(everyone),
        "customers_by_channel": {ch: len(subs) for ch, subs in sorted(per_channel.items())},
        "active_customers": len(active),
        "subscriber_base": base,
        "penetration": _ratio(len(everyone), base) if base else None,
        "active_rate": _ratio(len(active), base) if base else None,
    }


def _sessions(sessions: Sequence[SessionView]) -> dict[str, Any]:
    outcomes = Counter(s.outcome for s in sessions)
    finished = [s for s in sessions if s.outcome != "open"]
    lengths = [s.seconds for s in finished]
    return {
        "started": len(sessions),
        "by_channel": dict(Counter(s.channel for s in sessions)),
        "outcomes": {k: outcomes.get(k, 0) for k in ("completed", "abandoned", "timed_out", "transferred", "open")},
        "completion_rate": _ratio(outcomes["completed"], len(finished)),
        "median_seconds": _round(percentile(lengths, 50)),
        "p95_seconds": _round(percentile(lengths, 95)),
    }


def _funnels(sessions: Sequence[SessionView]) -> dict[str, list[dict[str, Any]]]:
    """Per flow and state: sessions that entered it, and sessions lost there (abandoned or timed out)."""
    entered: dict[str, Counter[str]] = defaultdict(Counter)
    left: dict[str, Counter[str]] = defaultdict(Counter)
    for s in sessions:
        for flow, state in set(s.states):
            entered[flow][state] += 1
        if s.outcome in ("abandoned", "timed_out") and s.states:
            flow, state = s.states[-1]
            left[flow][state] += 1
    return {
        flow: [{"state": st, "entered": n, "left": left[flow][st]}
               for st, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]
        for flow, counts in sorted(entered.items())
    }


def _invalid(records: Sequence[EventRecord]) -> list[dict[str, Any]]:
    per_state: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for r in records:
        if r.kind == "invalid":
            per_state[(r.flow, r.state)][str(r.data.get("text", ""))] += 1
    rows = [{"flow": f, "state": s, "count": sum(c.values()),
             "top": [{"text": t, "count": n} for t, n in c.most_common(TOP_INVALID)]}
            for (f, s), c in per_state.items()]
    return sorted(rows, key=lambda row: (-row["count"], row["flow"], row["state"]))


def _operations(calls: Sequence[EventRecord]) -> dict[str, dict[str, Any]]:
    by_op: dict[str, list[EventRecord]] = defaultdict(list)
    for r in calls:
        by_op[str(r.data.get("op", ""))].append(r)
    out: dict[str, dict[str, Any]] = {}
    for op, rs in sorted(by_op.items()):
        failures = Counter(str(r.data.get("failure", "")) for r in rs if not r.data.get("ok"))
        n = len(rs)
        out[op] = {
            "category": str(rs[0].data.get("category", "other")),
            "business": bool(rs[0].data.get("business")),
            "calls": n,
            "ok": n - sum(failures.values()),
            "refused": failures["business"],
            "timeouts": failures["timeout"],
            "errors": failures["unavailable"],
            "timeout_rate": _ratio(failures["timeout"], n),
            "error_rate": _ratio(failures["unavailable"], n),
            "p95_ms": percentile([float(r.data.get("ms", 0.0)) for r in rs], 95),
        }
    return out


def _confirmations(records: Sequence[EventRecord]) -> dict[str, Any]:
    asked = sum(1 for r in records if r.kind == "confirm_asked")
    answers = Counter(str(r.data.get("answer", "")) for r in records if r.kind == "confirm_answered")
    return {"asked": asked, "answers": dict(answers), "yes_rate": _ratio(answers["yes"], asked)}


def _offers(records: Sequence[EventRecord]) -> dict[str, dict[str, Any]]:
    shown: Counter[str] = Counter()
    taken: Counter[str] = Counter()
    for r in records:
        if r.kind == "offer_shown":
            shown[str(r.data.get("offer", ""))] += 1
        elif r.kind == "offer_accepted":
            taken[str(r.data.get("offer", ""))] += 1
    return {o: {"shown": shown[o], "accepted": taken[o], "take_up": _ratio(taken[o], shown[o])}
            for o in sorted(set(shown) | set(taken))}


def _satisfaction(records: Sequence[EventRecord]) -> dict[str, dict[str, Any]]:
    scores: dict[str, list[float]] = defaultdict(list)
    for r in records:
        if r.kind == "rating":
            scores[str(r.data.get("survey", ""))].append(float(r.data.get("score", 0)))
    return {name: {"answers": len(v), "mean": round(sum(v) / len(v), 2)} for name, v in sorted(scores.items())}


def _timeline(business: Sequence[EventRecord], period: Period) -> dict[str, Any]:
    """Business per calendar day and channel (every day of the period, zeros included)."""
    first = datetime.fromtimestamp(period.since, period.tz).date()
    last = datetime.fromtimestamp(max(period.since, period.until - 1e-6), period.tz).date()
    days = [first.fromordinal(d) for d in range(first.toordinal(), last.toordinal() + 1)]
    index = {d: i for i, d in enumerate(days)}
    series: dict[str, list[int]] = defaultdict(lambda: [0] * len(days))
    for r in business:
        day = datetime.fromtimestamp(r.at, period.tz).date()
        if day in index:
            series[r.channel][index[day]] += 1
    return {"days": [d.isoformat() for d in days], "business": dict(sorted(series.items()))}
