"""``menuflow reference``: (re)write the README's state-kind reference from the state modules."""

from __future__ import annotations

import argparse

from app.commands.common import write_generated
from engine.flow.reference import replace_reference
from engine.states import LANGUAGE


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("reference", help="write the README's state-kind reference from the state kinds")
    p.add_argument("--readme", default="README.md")
    p.add_argument("--check", action="store_true", help="exit 1 if the README's reference is out of date")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    with open(args.readme, encoding="utf-8") as fh:
        current = fh.read()
    try:
        text = replace_reference(current, LANGUAGE)
    except ValueError as exc:
        print(f"{args.readme}: {exc}")
        return 1
    return write_generated(args.readme, text, current, check=args.check,
                           stale=f"{args.readme}: the state-kind reference is out of date; run `menuflow reference`")
