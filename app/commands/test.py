"""``menuflow test``: run conversation transcripts as regression tests."""

from __future__ import annotations

import argparse
import asyncio
import sys

from app.commands.common import load_flows
from simulator.transcripts.junit import write_junit
from simulator.transcripts.report import render
from simulator.transcripts.suite import run_suite


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("test", help="run YAML conversation transcripts against the flows")
    p.add_argument("paths", nargs="*", default=["tests/transcripts"], metavar="PATH",
                   help="transcript files or directories (default: tests/transcripts)")
    p.add_argument("--flows", default="flows", help="flow directory (default: flows)")
    p.add_argument("--junit", metavar="FILE", help="also write a JUnit XML report")
    p.add_argument("--min-coverage", type=float, default=0.0, metavar="N",
                   help="fail when fewer than N percent of flow states were entered")
    p.add_argument("-j", "--jobs", type=int, default=8, help="transcripts run concurrently (default: 8)")
    p.add_argument("-k", dest="select", default="", help="only transcripts whose name or path contains this")
    p.add_argument("-q", "--quiet", action="store_true", help="one character per transcript")
    p.add_argument("--missed", action="store_true", help="list the states and options never reached")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    registry = load_flows(args.flows)
    if registry is None:
        return 2
    result = asyncio.run(run_suite(args.paths, registry, jobs=args.jobs, select=args.select))
    if not result.outcomes:
        print(f"no transcripts found in {' '.join(args.paths)}", file=sys.stderr)
        return 2
    for line in render(result.outcomes, result.seconds, verbose=not args.quiet):
        print(line)
    print()
    print("coverage (states entered, menu options taken):")
    for line in result.coverage.lines(verbose=args.missed):
        print(line)
    if args.junit:
        write_junit(args.junit, result.outcomes, result.seconds, result.coverage)
    code = 0 if result.passed else 1
    if result.coverage.state_percent < args.min_coverage:
        print(f"FAIL: state coverage {result.coverage.state_percent:.1f}% is below --min-coverage "
              f"{args.min_coverage:g}%")
        code = 1
    return code
