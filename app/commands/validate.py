"""``menuflow validate``: gcc-style diagnostics; exit 1 on errors, 0 with warnings only."""

from __future__ import annotations

import argparse
import sys

from engine.backend.catalogue import OPERATIONS
from engine.flow.checks import check_paths
from engine.states import LANGUAGE


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("validate", help="check flow files: errors and lint warnings")
    p.add_argument("paths", nargs="*", default=["flows"], help="flow files or folders (default: flows/)")
    p.add_argument("--strict", action="store_true", help="treat warnings as errors")
    p.add_argument("--backend", default="demo", help="backend whose operations flows may call (default: demo)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    operations = OPERATIONS
    if args.backend != "demo":
        from engine.backend.loader import load_backend

        operations = dict(load_backend(args.backend).operations())
    diags = check_paths(LANGUAGE, args.paths, operations)
    for d in diags:
        print(d, file=sys.stderr if d.severity == "error" else sys.stdout)
    errors = sum(d.severity == "error" for d in diags)
    warnings = len(diags) - errors
    print(f"{errors} error(s), {warnings} warning(s)", file=sys.stderr)
    return 1 if errors or (args.strict and warnings) else 0
