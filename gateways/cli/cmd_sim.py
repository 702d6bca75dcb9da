"""``menuflow sim``: talk to the flows as a subscriber would."""

from __future__ import annotations

import argparse
import asyncio
import sys

from engine.build import build_engine
from engine.diagnostics import FlowError
from engine.registry import FlowRegistry
from simulator.linemode import run_lines

DEFAULT_TO = {"sms": "10086", "ussd": "*100#", "ivr": "10086"}


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("sim", help="a phone in the terminal (line mode when stdin is not a terminal)")
    p.add_argument("--channel", choices=("sms", "ussd", "ivr"), default="sms")
    p.add_argument("--from", dest="msisdn", default="8613800138000", help="subscriber MSISDN")
    p.add_argument("--to", default=None, help="short code, USSD code or called number")
    p.add_argument("--flows", default="flows")
    p.add_argument("--backend", default="demo")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        registry = FlowRegistry([args.flows])
        registry.load()
    except FlowError as exc:
        for d in exc.diagnostics:
            print(d, file=sys.stderr)
        return 1
    to = args.to or DEFAULT_TO[args.channel]

    async def main() -> int:
        engine = build_engine(registry, args.backend)
        try:
            return await run_lines(engine, args.channel, args.msisdn, to, sys.stdin, sys.stdout)
        finally:
            await engine.backend.close()

    return asyncio.run(main())
