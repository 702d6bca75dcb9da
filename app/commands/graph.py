"""``menuflow graph FLOW_FILE --format mermaid|dot``."""

from __future__ import annotations

import argparse
import sys

from engine.flow.compiler import compile_file
from engine.flow.diagnostics import FlowError
from engine.flow.graph import to_dot, to_mermaid
from engine.states import LANGUAGE


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("graph", help="draw a flow's menu tree (Mermaid or Graphviz DOT)")
    p.add_argument("flow_file")
    p.add_argument("--format", choices=("mermaid", "dot"), default="mermaid")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        flow = compile_file(LANGUAGE, args.flow_file)
    except FlowError as exc:
        for d in exc.diagnostics:
            print(d, file=sys.stderr)
        return 1
    sys.stdout.write(to_mermaid(flow) if args.format == "mermaid" else to_dot(flow))
    return 0
