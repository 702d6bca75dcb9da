"""``menuflow journey MSISDN``: one subscriber's sessions across SMS, USSD and IVR, in time order.

Support staff answer "what did I do?" with it. The log holds the subscriber
as a keyed hash, so the number is hashed with the same key (``MENUFLOW_EVENTS_KEY``
or the store's own) and looked up; numbers logged in clear are found too.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Sequence
from datetime import datetime

from app.analytics.inputs import period
from engine.events.loader import DEFAULT, hash_key, open_event_store
from engine.events.record import subscriber_hash
from engine.msisdn import normalise_msisdn
from engine.ports.events import EventRecord

#: Kinds a journey line mentions (states and inputs would drown the story).
SHOWN = ("session", "call", "confirm_answered", "transfer", "push", "offer_shown", "offer_accepted", "end")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("journey", help="one subscriber's sessions across channels, in time order")
    p.add_argument("msisdn", help="the subscriber's number (E.164 digits)")
    p.add_argument("--events", default=DEFAULT, help=f"event log: FILE.sqlite or postgresql://… (default {DEFAULT})")
    p.add_argument("--since", help="start: YYYY-MM-DD or an ISO date-time (default: 30 days before --until)")
    p.add_argument("--until", help="end, exclusive; a date means through that day (default: now)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        msisdn = normalise_msisdn(args.msisdn)
        if msisdn is None:
            raise ValueError(f"{args.msisdn!r} is not a phone number")
        tz = datetime.now().astimezone().tzinfo
        assert tz is not None
        since, until = period(args.since, args.until, time.time(), tz)
        records = asyncio.run(_journey(args.events, msisdn, since, until))
    except (ValueError, OSError) as exc:
        print(f"menuflow journey: {exc}", file=sys.stderr)
        return 2
    if not records:
        print(f"no sessions of {args.msisdn} in {args.events} in that period")
        return 1
    print("\n".join(lines(records)))
    return 0


async def _journey(spec: str, msisdn: str, since: float, until: float) -> list[EventRecord]:
    if "://" not in spec:
        open(spec, "rb").close()  # a missing file is a typo, not a subscriber without history
    store = open_event_store(spec)
    if store is None:
        raise ValueError("--events off: no event log to look in")
    try:
        hashed = await store.journey(subscriber_hash(await hash_key(store), msisdn), since, until)
        raw = await store.journey(msisdn, since, until)
    finally:
        await store.close()
    return sorted([*hashed, *raw], key=lambda r: r.at)


def _what(r: EventRecord) -> str:
    d = r.data
    if r.kind == "session":
        return f"began {r.flow} at {r.state}"
    if r.kind == "call":
        outcome = "ok" if d.get("ok") else f"failed: {d.get('failure')} {d.get('code') or ''}".rstrip()
        return f"{d.get('op')} ({d.get('category')}{', business' if d.get('business') else ''}) {outcome}"
    if r.kind == "confirm_answered":
        return f"confirmation: {d.get('answer')}"
    if r.kind == "transfer":
        return f"transferred to {d.get('target')}"
    if r.kind == "push":
        return f"SMS sent ({d.get('length')} chars)"
    if r.kind == "end":
        return f"ended: {d.get('reason')} at {r.state}"
    return f"{r.kind.replace('_', ' ')} {d.get('offer', '')}".rstrip()


def lines(records: Sequence[EventRecord]) -> list[str]:
    """One block per session: a header line, then what happened in it."""
    out: list[str] = []
    current = None
    for r in records:
        if r.kind not in SHOWN:
            continue
        if r.session != current:
            current = r.session
            out.append(f"{datetime.fromtimestamp(r.at).astimezone():%Y-%m-%d %H:%M:%S %z}  {r.channel.upper()}")
        out.append(f"  {datetime.fromtimestamp(r.at).astimezone():%H:%M:%S}  {_what(r)}")
    return out
