"""Synthetic traffic through the real engine into an event log: a sample for ``menuflow report``.

``python -m simulator.traffic --events FILE.sqlite`` walks a few hundred demo
subscribers through the 10086 flows on SMS, USSD and IVR for some days (the
engine's clock is advanced, not waited for), with the mix of errands, slips,
hang-ups and silences real channels see. The README's sample report is made
from it, and a test checks the report over it end to end.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import sys
from collections.abc import Sequence
from pathlib import Path

from engine.backend.demo import DemoBackend
from engine.clock import ManualClock
from engine.events.loader import open_event_log
from engine.run.build import build_engine
from engine.run.engine import Engine
from engine.types import Channel, Event, Inbound

#: The demo subscriber every synthetic one copies (password 123456, one subscription to cancel).
TEMPLATE = "8613800138000"
DAY = 86_400.0
#: (weight, channel, inputs); "" dials, "~" hangs up, "." stays silent until the session expires.
SCRIPTS: Sequence[tuple[int, Channel, tuple[str, ...]]] = (
    (20, "sms", ("YE",)),
    (8, "sms", ("CZ", "20", "Y")),
    (4, "sms", ("CZ", ".")),
    (3, "sms", ("0000", "1", "123456", "是")),
    (10, "ussd", ("", "1", "2")),
    (5, "ussd", ("", "1", "~")),
    (6, "ussd", ("", "3", "2")),
    (7, "ussd", ("", "4", "1", "123456", "Y", "2")),
    (4, "ussd", ("", "4", "2", "~")),
    (4, "ussd", ("", "7", "5", "1", "30", "Y", "2")),
    (2, "ussd", ("", "4", "2", "111111", "~")),
    (8, "ivr", ("", "1", "2")),
    (3, "ivr", ("", "1", "~")),
    (5, "ivr", ("", "0")),
    (3, "ivr", ("", "2", "~")),
    (4, "ivr", ("", "4", "2", "123456", "1", "2")),
)
TO = {"sms": "10086", "ussd": "*100#", "ivr": "10086"}


def add_subscribers(db_path: str, count: int) -> list[str]:
    """Copies of the template subscriber in the demo database, with their subscriptions."""
    db = sqlite3.connect(db_path)
    numbers = [f"86135{i:08d}" for i in range(count)]
    with db:
        for n in numbers:
            db.execute("INSERT OR IGNORE INTO subscribers SELECT ?, name, locale, balance, plan, data_total_mb, "
                       "data_used_mb, points, pw_salt, pw_hash, 0, 0 FROM subscribers WHERE msisdn = ?", (n, TEMPLATE))
            db.execute("INSERT OR IGNORE INTO subscriptions SELECT ?, code, since FROM subscriptions "
                       "WHERE msisdn = ?", (n, TEMPLATE))
    db.close()
    return numbers


async def walk(engine: Engine, clock: ManualClock, rng: random.Random, msisdn: str, call: int) -> None:
    _, channel, steps = rng.choices(SCRIPTS, weights=[w for w, _, _ in SCRIPTS])[0]
    key = msisdn if channel == "sms" else f"{channel}-{call}"
    for text in steps:
        clock.advance(rng.uniform(3, 25))
        if text == ".":
            clock.advance(900)  # the subscriber never answers: the session expires
            return
        event: Event = "begin" if text == "" else "end" if text == "~" else "input"
        await engine.handle(Inbound(channel, msisdn, "" if text in ("", "~") else text, event, key, TO[channel]))


async def generate(events_spec: str, *, days: int, subscribers: int, per_day: int, seed: int,
                   start: float = 1_780_000_000.0) -> int:
    """Sessions walked; the events land in ``events_spec``."""
    rng = random.Random(seed)
    clock = ManualClock(start)
    folder = Path(events_spec).parent if "://" not in events_spec else Path(".")
    demo_db = str(folder / f".traffic-demo-{seed}.sqlite")
    backend = DemoBackend(demo_db, clock=clock)
    numbers = add_subscribers(demo_db, subscribers)
    engine = build_engine("flows", backend, clock=clock)
    log = await open_event_log(events_spec)
    assert log is not None
    engine.observers.append(log)
    walked = 0
    try:
        for day in range(days):
            clock.advance(start + day * DAY - clock.now() + 8 * 3600)
            # more use as the channel grows: the operator's "growth of handling volume"
            for _ in range(int(per_day * (1 + day / max(days, 1)))):
                walked += 1
                await walk(engine, clock, rng, rng.choice(numbers), walked)
                clock.advance(rng.uniform(5, 40))
            await log.flush()
    finally:
        await log.close()
        await backend.close()
        Path(demo_db).unlink(missing_ok=True)
    return walked


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m simulator.traffic", description=__doc__.split("\n")[0])
    p.add_argument("--events", required=True, help="event log to write: FILE.sqlite or postgresql://…")
    p.add_argument("--days", type=int, default=14)
    p.add_argument("--subscribers", type=int, default=300)
    p.add_argument("--per-day", type=int, default=120, help="sessions on the first day (growing to twice that)")
    p.add_argument("--seed", type=int, default=10086)
    args = p.parse_args(argv)
    n = asyncio.run(generate(args.events, days=args.days, subscribers=args.subscribers, per_day=args.per_day,
                             seed=args.seed))
    print(f"{n} sessions written to {args.events}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
