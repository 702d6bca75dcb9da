"""``python -m bench [--json]``: every benchmark in one go, one report.

Each module (engine, ussd, sms, ivr) runs in its own child process with a time
limit, so one that crashes or hangs is reported as ``{"error": ...}`` — with
its stderr passed through — while the others still report. Without ``--json``
the report is a table with targets and PASS/FAIL marks; with it, stdout is one
JSON object (progress goes to stderr).

HTTP figures come from wrk against real ``menuflow serve`` processes and a
bare aiohttp process (``bench/http_load.py``); when wrk cannot saturate the
bare handler on this machine, their ratios are ``null`` and a note says why.
``engine_step_ratio`` and the floor are printed for information only.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import inspect
import json
import subprocess
import sys
from typing import Any

import redis

from bench.common import Figures, checks, log, machine_info, table

MODULES = ("engine", "ussd", "sms", "ivr")
DEFAULT_REDIS = "redis://127.0.0.1:6379/0"


def redis_reachable(url: str) -> bool:
    client = redis.Redis.from_url(url, socket_connect_timeout=1.0)
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False
    finally:
        client.close()


def run_module(name: str, seconds: float, store: str | None) -> Figures:
    """In the child: import ``bench.<name>`` and call its ``run``."""
    module = importlib.import_module(f"bench.{name}")
    kwargs: dict[str, Any] = {}
    if store is not None:
        kwargs["store"] = store
    result = module.run(seconds, **kwargs)
    if inspect.iscoroutine(result):
        result = asyncio.run(result)
    return dict(result)


def in_child(name: str, seconds: float, store: str | None, limit: float) -> Figures:
    """Run one module in a child process; its failure becomes this module's figures."""
    cmd = [sys.executable, "-m", "bench", "--child", name, "--seconds", str(seconds)]
    if store is not None:
        cmd += ["--store", store]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=limit, check=False)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {limit:g} s"}
    sys.stderr.write(done.stderr)
    if done.returncode != 0:
        last = done.stderr.strip().splitlines()[-1:] or [f"exit status {done.returncode}"]
        return {"error": last[0]}
    try:
        return dict(json.loads(done.stdout.strip().splitlines()[-1]))
    except (ValueError, IndexError):
        return {"error": f"no JSON figures in output: {done.stdout[-200:]!r}"}


def plan(args: argparse.Namespace) -> list[tuple[str, str, str | None]]:
    """(report name, module, store) for every run; Redis runs only when Redis answers."""
    runs: list[tuple[str, str, str | None]] = []
    use_redis = args.redis != "none" and redis_reachable(args.redis)
    if args.redis != "none" and not use_redis:
        log(f"bench: Redis not reachable at {args.redis}: Redis figures skipped")
    for name in args.only or MODULES:
        if name in ("engine", "ussd", "sms"):
            runs.append((name, name, "memory"))
            if use_redis:
                runs.append((f"{name}_redis", name, args.redis))
        else:
            runs.append((name, name, None))
    return runs


#: The issue's named figures, flattened to the top level: (key, module, figure in that module).
SUMMARY = (
    ("engine_step_ratio", "engine", "engine_step_ratio"),  # information only: no longer a target
    ("engine_step_per_s", "engine", "engine_step_per_s"),
    ("engine_floor_ratio", "engine", "engine_floor_ratio"),
    ("raw_trigger_per_s", "engine", "raw_trigger_per_s"),
    ("session_create_per_s", "engine", "session_create_per_s"),
    ("session_bytes", "engine", "session_bytes"),
    ("http_ceiling_saturated", "ussd", "ussd_http_ceiling_saturated"),
    ("event_log_cost", "ussd", "event_log_cost"),
    ("event_log_us_per_turn", "ussd", "event_log_us_per_turn"),
    ("event_log_step_cost", "engine", "event_log_step_cost"),
    ("ussd_http_bare_req_per_s", "ussd", "ussd_http_bare_req_per_s"),
    ("ussd_http_ratio", "ussd", "ussd_http_ratio"),
    ("ussd_http_ratio_spread", "ussd", "ussd_http_ratio_spread"),
    ("ussd_http_req_per_s", "ussd", "ussd_http_req_per_s"),
    ("ussd_http_p99_ms", "ussd", "ussd_http_p99_ms"),
    ("ussd_http_10086_ratio", "ussd", "ussd_http_10086_ratio"),
    ("ussd_http_10086_ratio_spread", "ussd", "ussd_http_10086_ratio_spread"),
    ("ussd_http_10086_req_per_s", "ussd", "ussd_http_10086_req_per_s"),
    ("ussd_http_10086_p99_ms", "ussd", "ussd_http_10086_p99_ms"),
    ("ussd_http_floor_ratio", "ussd", "ussd_http_floor_ratio"),
    ("ussd_http_10086_floor_ratio", "ussd", "ussd_http_10086_floor_ratio"),
    ("ussd_http_redis_10086_floor_ratio", "ussd_redis", "ussd_http_10086_floor_ratio"),
    ("ussd_http_redis_10086_ratio", "ussd_redis", "ussd_http_10086_ratio"),
    ("ussd_http_redis_10086_req_per_s", "ussd_redis", "ussd_http_10086_req_per_s"),
    ("ussd_http_redis_10086_p99_ms", "ussd_redis", "ussd_http_10086_p99_ms"),
    ("ivr_twiml_ratio", "ivr", "ivr_twiml_ratio"),
    ("ivr_twiml_req_per_s", "ivr", "ivr_twiml_req_per_s"),
    ("ivr_twiml_floor_ratio", "ivr", "ivr_twiml_floor_ratio"),
    ("sms_ratio", "sms", "sms_ratio"),
    ("sms_roundtrips_per_s", "sms", "sms_roundtrips_per_s"),
    ("sms_raw_submit_per_s", "sms", "sms_raw_submit_per_s"),
    ("sms_serve_us_per_mo", "sms", "sms_serve_us_per_mo"),
    ("sms_redis_ratio", "sms_redis", "sms_ratio"),
    ("sms_redis_roundtrips_per_s", "sms_redis", "sms_roundtrips_per_s"),
    ("sms_redis_serve_us_per_mo", "sms_redis", "sms_serve_us_per_mo"),
    ("sms_redis_server_us_per_mo", "sms_redis", "sms_redis_server_us_per_mo"),
    ("ivr_agi_concurrent_calls", "ivr", "ivr_agi_concurrent_calls"),
    ("ivr_agi_step_p99_ms", "ivr", "ivr_agi_step_p99_ms"),
)


def summary(modules: dict[str, Figures]) -> dict[str, object]:
    """The named figures, plus what durability costs an SMS round trip: the CPU per MO of serve on
    Redis and of Redis itself, less serve's on the memory store (same run, same loop)."""
    out = {key: modules[mod][fig] for key, mod, fig in SUMMARY if fig in modules.get(mod, {})}
    parts = ("sms_redis_serve_us_per_mo", "sms_redis_server_us_per_mo", "sms_serve_us_per_mo")
    if all(isinstance(out.get(k), int | float) for k in parts):
        redis_serve, redis_server, memory = (float(out[k]) for k in parts)
        out["sms_durability_us_per_mo"] = round(redis_serve + redis_server - memory, 1)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    parser.add_argument("--seconds", type=float, default=3.0,
                        help="length of each measurement (HTTP ones: split over 3 wrk rounds of >= 1 s)")
    parser.add_argument("--only", nargs="*", choices=MODULES, help="run only these modules")
    parser.add_argument("--redis", default=DEFAULT_REDIS, help="Redis URL for the Redis runs, or 'none'")
    parser.add_argument("--limit", type=float, default=150.0, help="seconds before a module is given up")
    parser.add_argument("--child", choices=MODULES, help=argparse.SUPPRESS)
    parser.add_argument("--store", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:
        print(json.dumps(run_module(args.child, args.seconds, args.store)))
        return 0

    machine = machine_info()
    modules: dict[str, Figures] = {}
    for report, name, store in plan(args):
        log(f"bench: {report} ...")
        modules[report] = in_child(name, args.seconds, store, args.limit)
    rows = checks(modules)
    ok = all(r["ok"] for r in rows) and not any("error" in f for f in modules.values())
    if args.json:
        print(json.dumps({**summary(modules), "machine": machine, "modules": modules, "checks": rows, "ok": ok}))
    else:
        print(table(machine, modules))
        print("all targets met" if ok else "some targets missed or modules failed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
