"""``menuflow preview``: a local page to see and walk flows while editing them."""

from __future__ import annotations

import argparse

from aiohttp import web

from simulator.preview.server import LOOPBACK, make_app


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("preview", help="a local web page showing each state per channel; refreshes on save")
    p.add_argument("paths", nargs="*", default=["flows"], help="flow files or folders (default: flows/)")
    p.add_argument("--port", type=int, default=8765, help="port on 127.0.0.1 (default: 8765)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    print(f"menuflow preview on http://{LOOPBACK}:{args.port}/ (Ctrl-C to stop)")
    web.run_app(make_app(list(args.paths)), host=LOOPBACK, port=args.port, print=None)
    return 0
