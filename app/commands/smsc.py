"""``menuflow smsc``: run the SMSC simulator for demos and manual testing.

Bind ``menuflow serve --smpp 127.0.0.1:2775 ...`` to it, then type
``8613800138000 YE`` to send an MO; every MT the engine sends is printed.
Lines starting with ``!`` inject faults (``!help`` lists them).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys

from gateways.hostport import parse_host_port
from simulator.smsc import SmscSimulator
from simulator.smsc_state import Message

PASSWORD_ENV = "MENUFLOW_SMSC_PASSWORD"
FAULT_HELP = """\
  !drop            close every connection (no unbind)
  !unbind          unbind every ESME from the SMSC side
  !malformed       send each ESME an unknown and a truncated PDU
  !throttle N      answer the next N submit_sm with ESME_RTHROTTLED
  !delay SECONDS   hold every submit_sm_resp this long (0 to stop)
  !status          binds, submits and MOs so far"""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("smsc", help="run the SMSC simulator (an SMPP server to bind the SMS gateway to)")
    p.add_argument("--listen", default="127.0.0.1:2775", type=parse_host_port, metavar="HOST:PORT")
    p.add_argument("--system-id", metavar="ID", default="", help="accepted system_id (default: accept any bind)")
    p.add_argument("--password", metavar="PW", default=None, help=f"accepted password (or ${PASSWORD_ENV})")
    p.add_argument("--mo-dest", metavar="CODE", default="10086", help="destination of MOs typed on stdin")
    p.add_argument("--receipts", action="store_true", help="send delivery receipts when asked")
    p.add_argument("--throttle-ratio", metavar="RATIO", type=float, default=0.0, help="fraction of submits to throttle")
    p.add_argument("--resp-delay", metavar="SECONDS", type=float, default=0.0,
                   help="seconds to hold each submit_sm_resp")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args))
    return 0


def _print_mt(m: Message) -> None:
    print(f"MT {m.source} -> {m.destination} ({m.parts} part{'s' if m.parts > 1 else ''}): {m.text}", flush=True)


async def _serve(args: argparse.Namespace) -> None:
    host, port = args.listen
    password = args.password if args.password is not None else os.environ.get(PASSWORD_ENV, "")
    credentials = {args.system_id: password} if args.system_id else None
    sim = SmscSimulator(host, port, credentials=credentials, receipts=args.receipts)
    sim.faults.throttle_ratio = args.throttle_ratio
    sim.faults.resp_delay = args.resp_delay
    sim.on_message = _print_mt
    async with sim:
        print(f"SMSC simulator listening on {host}:{sim.port}"
              f" ({'system_id ' + args.system_id if credentials else 'any credentials'}).")
        print(f"Type 'MSISDN TEXT' to send an MO to {args.mo_dest}; '!help' for faults; Ctrl-C to stop.", flush=True)
        loop = asyncio.get_running_loop()
        while line := await loop.run_in_executor(None, sys.stdin.readline):
            print(await _command(sim, line.strip(), args.mo_dest), flush=True)
        await asyncio.Event().wait()  # stdin closed: keep serving until interrupted


async def _command(sim: SmscSimulator, line: str, dest: str) -> str:
    """Act on one typed line and say what happened."""
    if not line:
        return ""
    if not line.startswith("!"):
        msisdn, _, text = line.partition(" ")
        if not msisdn.lstrip("+").isdigit() or not text:
            return "expected: MSISDN TEXT (e.g. 8613800138000 YE)"
        await sim.deliver(msisdn.lstrip("+"), dest, text)
        return f"MO {msisdn} -> {dest}: {text}"
    word, _, arg = line[1:].partition(" ")
    if word == "drop":
        sim.drop_connections()
        return "connections dropped"
    if word == "unbind":
        return f"{await sim.unbind_all()} ESME(s) answered unbind"
    if word == "malformed":
        sim.send_malformed()
        return "malformed PDUs sent"
    if word == "throttle" and arg.isdigit():
        sim.faults.throttle_next = int(arg)
        return f"throttling the next {arg} submit_sm"
    if word == "delay":
        with contextlib.suppress(ValueError):
            sim.faults.resp_delay = float(arg)
            return f"submit_sm_resp delay {sim.faults.resp_delay}s"
    if word == "status":
        r = sim.records
        return (f"bound sessions {sim.bound_sessions}, binds {r.binds}, submits {len(r.submits)}, "
                f"messages {len(r.messages)}, MOs acked {r.mo_acked}, throttled {r.throttled}")
    return FAULT_HELP
