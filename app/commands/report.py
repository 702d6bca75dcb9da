"""``menuflow report``: the e-channel KPIs for a period, as text, JSON, or one self-contained HTML page."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from datetime import datetime
from typing import Any

from app.analytics import inputs
from app.analytics.figures import AGENT_COST, Inputs, Period, compute
from app.analytics.html import render_html
from engine.events.loader import DEFAULT, open_event_store
from engine.ports.events import EventRecord


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("report", help="e-channel KPIs from the event log (text, JSON or an HTML page)")
    p.add_argument("--events", default=DEFAULT, help=f"event log: FILE.sqlite or postgresql://… (default {DEFAULT})")
    p.add_argument("--since", help="start: YYYY-MM-DD or an ISO date-time (default: 30 days before --until)")
    p.add_argument("--until", help="end, exclusive; a date means through that day (default: now)")
    p.add_argument("--other-channels", metavar="FILE.csv",
                   help="business handled in shops, by hotline agents, social outlets: 'channel,business' rows")
    p.add_argument("--subscriber-base", metavar="N|FILE.csv", help="subscribers, for penetration")
    p.add_argument("--share-target", type=float, metavar="0..1", help="e-channel share target (e.g. 0.55)")
    p.add_argument("--agent-cost", type=float, default=AGENT_COST,
                   help=f"yuan per human-agent contact (default {AGENT_COST})")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument("--output", metavar="FILE.html", help="write the HTML report there")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    tz = datetime.now().astimezone().tzinfo
    assert tz is not None
    try:
        since, until = inputs.period(args.since, args.until, time.time(), tz)
        opts = Inputs(agent_cost=args.agent_cost,
                      other_channels=inputs.other_channels(args.other_channels) if args.other_channels else None,
                      subscriber_base=inputs.subscriber_base(args.subscriber_base) if args.subscriber_base else None,
                      share_target=args.share_target)
        records = asyncio.run(_read(args.events, since, until))
    except (ValueError, OSError) as exc:
        print(f"menuflow report: {exc}", file=sys.stderr)
        return 2
    figures = compute(records, Period(since, until, tz), opts)
    if args.output:
        with open(args.output, "w", encoding="utf-8") as f:
            f.write(render_html(figures))
    if args.format == "json":
        json.dump(figures, sys.stdout, ensure_ascii=False, indent=2)
        print()
    elif not args.output:
        print(text(figures))
    return 0


async def _read(spec: str, since: float, until: float) -> list[EventRecord]:
    if spec not in ("off", "none", "") and "://" not in spec:
        open(spec, "rb").close()  # a report over a file that is not there is a typo, not an empty period
    store = open_event_store(spec)
    if store is None:
        raise ValueError("--events off: nothing to report on")
    try:
        return await store.read(since, until)
    finally:
        await store.close()


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{x * 100:.1f}%"


def _s(x: float | None) -> str:
    return "—" if x is None else f"{x:g} s"


def text(f: dict[str, Any]) -> str:
    """The headline figures for a terminal."""
    s = f["sessions"]
    lines = [
        f"business {f['business']} (queries {f['queries']} counted apart)",
        "  by channel: " + ", ".join(f"{k} {v}" for k, v in sorted(f["business_by_channel"].items())),
        "  by category: " + ", ".join(f"{k} {v}" for k, v in sorted(f["business_by_category"].items())),
        f"e-channel share {_pct(f['e_channel_share'])}" + (f" (target {_pct(f['share_target'])})"
                                                            if f["share_target"] is not None else ""),
        f"customers {f['customers']}, active {f['active_customers']}, penetration {_pct(f['penetration'])}",
        f"agent cost saved {f['agent_cost_saved_yuan']:.2f} yuan",
        f"sessions {s['started']}: completion {_pct(s['completion_rate'])}, median {_s(s['median_seconds'])}, "
        f"p95 {_s(s['p95_seconds'])}; " + ", ".join(f"{k} {v}" for k, v in s["outcomes"].items()),
    ]
    for flow, steps in f["funnels"].items():
        lost = sorted((st for st in steps if st["left"]), key=lambda st: -st["left"])[:3]
        if lost:
            lines.append(f"flow {flow} loses most at: " + ", ".join(f"{st['state']} ({st['left']})" for st in lost))
    return "\n".join(lines)
