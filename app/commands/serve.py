"""``menuflow serve``: run the channels; ``--workers N`` runs N processes sharing ports and store."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import secrets
import signal
import subprocess
import sys

from engine.events.loader import DEFAULT as DEFAULT_EVENTS
from engine.flow.diagnostics import FlowError
from engine.store.loader import is_redis_url
from gateways.hostport import parse_host_port
from gateways.http_app import add_http_arguments
from gateways.ivr.options import add_ivr_arguments
from gateways.ratelimit import add_ratelimit_arguments
from gateways.sms.options import add_smpp_arguments
from gateways.ussd.options import add_ussd_arguments
from gateways.ussd.smpp_options import add_ussd_smpp_arguments


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("serve", help="serve SMS, USSD and IVR channels")
    g = p.add_argument_group("engine")
    g.add_argument("--flows", default="flows", help="flow files or folder (default: flows)")
    g.add_argument("--backend", default="demo", help="demo | demo:FILE.sqlite | http(s)://URL | module:factory")
    g.add_argument("--backend-timeout", type=float, default=2.0, help="seconds per backend call (default 2)")
    g.add_argument("--store", default=None, help="session store: memory (default), redis://HOST:PORT/DB or "
                   "redis+sentinel://HOST:PORT[,HOST:PORT]/SERVICE/DB or redis+cluster://HOST:PORT[,HOST:PORT]")
    g.add_argument("--demo", action="store_true",
                   help="embedded SMSC simulator + USSD/IVR HTTP on 127.0.0.1:8080 + FastAGI on 127.0.0.1:4573")
    g.add_argument("--workers", type=int, default=1, help="processes sharing the listeners (needs --store redis)")
    g.add_argument("--smpp-binds", type=int, default=1, metavar="N",
                   help="SMPP binds this process opens (each with its own outbox sender; default 1)")
    g.add_argument("--sms-session-timeout", type=float, default=600.0, metavar="SECONDS",
                   help="how long an SMS menu conversation waits for the next reply (600)")
    g.add_argument("--watch", type=float, default=0.0, metavar="SECONDS",
                   help="poll flow files and reload on change (0 = off; SIGHUP always reloads)")
    g.add_argument("--ivr-http", type=parse_host_port, metavar="HOST:PORT",
                   help="serve /ivr/twiml and /ivr/vxml (may equal --ussd-http)")
    g.add_argument("--metrics", type=parse_host_port, metavar="HOST:PORT",
                   help="serve /metrics, /healthz and /admin/reload on their own address")
    g.add_argument("--allow-unauthenticated", action="store_true",
                   help="expose webhooks beyond loopback without a token (a trusted network checks callers)")
    g.add_argument("--events", default=DEFAULT_EVENTS, metavar="FILE.sqlite|postgresql://…|off",
                   help=f"durable event log for `menuflow report` (default {DEFAULT_EVENTS})")
    g.add_argument("--events-raw-msisdn", action="store_true",
                   help="log subscribers' numbers in clear instead of a keyed hash (MENUFLOW_EVENTS_KEY)")
    g.add_argument("--log-level", default="INFO")
    g.add_argument("--reuse-port", action="store_true", help=argparse.SUPPRESS)
    add_smpp_arguments(p)
    add_ussd_arguments(p)
    add_ussd_smpp_arguments(p)
    add_ivr_arguments(p)
    add_http_arguments(p)
    add_ratelimit_arguments(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args.workers > 1:
        return _supervise(args)
    from app.serve import Server

    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    try:
        asyncio.run(Server(args).serve_forever())
    except FlowError as exc:
        for d in exc.diagnostics:
            print(d, file=sys.stderr)
        return 1
    except (ValueError, OSError) as exc:
        print(f"menuflow serve: {exc}", file=sys.stderr)
        return 2
    return 0


def _child_argv(argv: list[str]) -> list[str]:
    out: list[str] = []
    skip = False
    for item in argv:
        if skip:
            skip = False
            continue
        if item == "--workers":
            skip = True
            continue
        if item.startswith("--workers="):
            continue
        out.append(item)
    return [*out, "--reuse-port"]


def _supervise(args: argparse.Namespace) -> int:
    """Start N copies of this command with SO_REUSEPORT; forward signals.

    A worker killed by a signal (a crash, the OOM killer, ``kill -9``) is
    started again at once: the others keep serving, and the new one takes
    over what the dead one left in the shared store (stored MOs, queued MTs).
    A worker that exits by itself (a configuration error) stops them all.
    """
    if not is_redis_url(args.store):
        print("menuflow serve: --workers needs --store redis://HOST:PORT/DB (or redis+sentinel://…) so workers "
              "share sessions",
              file=sys.stderr)
        return 2
    if args.demo:
        print("menuflow serve: --demo runs one embedded SMSC; use --workers 1 with --demo", file=sys.stderr)
        return 2
    argv = _child_argv(sys.argv[1:])
    # workers fingerprint USSD progress with one key (gateways.ussd.cumulative)
    os.environ.setdefault("MENUFLOW_STATE_KEY", secrets.token_hex(32))
    cmd = [sys.executable, "-m", "app.cli", *argv]
    alive = {child.pid: child for child in (subprocess.Popen(cmd) for _ in range(args.workers))}
    stopping = False

    def forward(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = stopping or signum != signal.SIGHUP
        for child in alive.values():
            if child.poll() is None:
                child.send_signal(signum)

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, forward)
    code = 0
    while alive:
        try:
            pid, status = os.wait()
        except ChildProcessError:  # every child already reaped
            break
        if alive.pop(pid, None) is None:
            continue
        rc = os.waitstatus_to_exitcode(status)
        if rc < 0 and not stopping:
            print(f"menuflow serve: worker {pid} killed by signal {-rc}; starting another", file=sys.stderr)
            child = subprocess.Popen(cmd)
            alive[child.pid] = child
            continue
        code = code or max(rc, 0)
        forward(signal.SIGTERM, None)  # one worker gone: stop the rest, let the supervisor (systemd) restart
    return code
