"""``menuflow`` entry point: each subcommand lives in its own module under ``app.commands``."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

#: Subcommand modules, each with ``register(subparsers)`` setting ``func``.
COMMANDS = (
    "app.commands.validate",
    "app.commands.graph",
    "app.commands.schema",
    "app.commands.sim",
    "app.commands.test",
    "app.commands.serve",
    "app.commands.smsc",
    "app.commands.prompts",
    "app.commands.reference",
    "app.commands.preview",
    "app.commands.report",
    "app.commands.journey",
    "app.commands.campaign",
)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="menuflow", description="Operator self-service channels from YAML menu trees")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS:
        importlib.import_module(name).register(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        code: int = args.func(args)
    except KeyboardInterrupt:
        code = 130
    except BrokenPipeError:  # `menuflow ... | head`: the reader left, which is not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = 0
    return code


if __name__ == "__main__":
    sys.exit(main())
