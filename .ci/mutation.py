#!/usr/bin/env python3
"""Mutation check: mutmut over the engine core, every module at or above a score.

Fails when any module scores under the threshold (90 % by default), where
score = detected / mutants and "detected" is killed by a test, timed out or
caught by the type checker. Mutants on lines marked ``# pragma: no mutate``
(equivalent mutants, each with its reason beside it) are never generated, so
they are already out of the denominator; the count printed is of those lines.

Usage (from anywhere; it works in the repository root)::

    .venv/bin/python .ci/mutation.py            # the CI's sample, within its time budget
    .venv/bin/python .ci/mutation.py --full     # the whole engine core (~80 minutes on 2 cores)
    .venv/bin/python .ci/mutation.py --keep     # reuse mutants/ (only changed functions rerun)

Both lists live in pyproject.toml: ``[tool.mutmut]`` is the whole core and the
tests that may kill its mutants (so ``mutmut run``, ``mutmut show`` and
``mutmut browse`` see all of it); ``[tool.menuflow.mutation]`` names the CI's
sample of those modules and the fast tests that run against it. To cover a new
module, add it to ``only_mutate`` and its tests to
``pytest_add_cli_args_test_selection``; to check it in CI too, add both to the
sample.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
import tomllib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: mutmut's exit codes per verdict (mutmut/stats.py, status_by_exit_code).
DETECTED = {1: "killed", 3: "killed", 36: "timeout", -24: "timeout", 24: "timeout", 152: "timeout",
            255: "timeout", 37: "type check"}
UNDETECTED = {0: "survived", 5: "no tests", 33: "no tests", None: "not checked"}


@dataclass(frozen=True)
class Score:
    path: str
    total: int
    detected: int
    survivors: list[str]
    verdicts: Counter[str]
    equivalent_lines: int

    @property
    def percent(self) -> float:
        return 100.0 * self.detected / self.total if self.total else 100.0


def modules(patterns: list[str], where: str) -> list[Path]:
    """Every .py file the patterns name (expanded), in a stable order."""
    found: list[Path] = []
    for pattern in patterns:
        hits = sorted(p.relative_to(ROOT) for p in ROOT.glob(pattern) if p.suffix == ".py")
        if not hits:
            sys.exit(f"{where}: {pattern!r} matches no file")
        found += [h for h in hits if h not in found]
    return found


@dataclass(frozen=True)
class Scope:
    """What one run mutates and which tests may kill the mutants."""

    name: str
    patterns: list[str]
    tests: list[str]


def scope(full: bool) -> Scope:
    """The whole core (``[tool.mutmut]``) or the CI's sample of it (``[tool.menuflow.mutation]``)."""
    tool = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["tool"]
    core = tool["mutmut"]
    if full:
        return Scope("the engine core", core["only_mutate"], core["pytest_add_cli_args_test_selection"])
    ci = tool["menuflow"]["mutation"]
    whole = set(modules(core["only_mutate"], "[tool.mutmut].only_mutate"))
    outside = [str(p) for p in modules(ci["sample"], "[tool.menuflow.mutation].sample") if p not in whole]
    if outside:
        sys.exit(f"[tool.menuflow.mutation].sample: not in [tool.mutmut].only_mutate: {', '.join(outside)}")
    return Scope("the CI sample", ci["sample"], ci["tests"])


def equivalent_lines(path: Path) -> int:
    """Lines kept from mutation: each one marked ``# pragma: no mutate``, and those between a start and an end."""
    count, inside = 0, False
    for line in (ROOT / path).read_text("utf-8").splitlines():
        mark = line.partition("# pragma: no mutate")[2]
        if not line.partition("# pragma: no mutate")[1]:
            count += inside
        elif mark.startswith(" start"):
            inside = True
        elif mark.startswith(" end"):
            inside = False
        else:
            count += 1
    return count


def score(path: Path) -> Score:
    meta = ROOT / "mutants" / f"{path}.meta"
    if not meta.exists():
        sys.exit(f"{meta} missing: mutmut did not mutate {path} (is it under source_paths?)")
    codes: dict[str, int | None] = json.loads(meta.read_text("utf-8"))["exit_code_by_key"]
    verdicts: Counter[str] = Counter()
    survivors = []
    for key, code in codes.items():
        verdict = DETECTED.get(code) or UNDETECTED.get(code) or f"exit {code}"  # type: ignore[arg-type]
        verdicts[verdict] += 1
        if code not in DETECTED:
            survivors.append(key)
    marked = equivalent_lines(path)
    detected = sum(n for v, n in verdicts.items() if v in DETECTED.values())
    return Score(str(path), len(codes), detected, sorted(survivors), verdicts, marked)


#: ``mutmut run`` with the scope's modules and tests in place of [tool.mutmut]'s (through the
#: ``config()`` object mutmut itself reads, before it forks any worker).
RUN = """
import json, sys
from mutmut.__main__ import cli
from mutmut.configuration import config
settings = config()
settings.only_mutate, settings.pytest_add_cli_args_test_selection = json.loads(sys.argv[1])
sys.argv = ["mutmut", "run"]
cli()
"""


def run_mutmut(run: Scope, keep: bool, log: Path) -> int:
    if not keep:
        shutil.rmtree(ROOT / "mutants", ignore_errors=True)
    log.parent.mkdir(exist_ok=True)
    command = [sys.executable, "-c", RUN, json.dumps([run.patterns, run.tests])]
    with log.open("w") as out:
        return subprocess.run(command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT).returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threshold", type=float, default=90.0, help="minimum score per module, in %%")
    parser.add_argument("--full", action="store_true", help="the whole engine core, not the CI's sample")
    parser.add_argument("--keep", action="store_true", help="reuse mutants/ from an earlier run")
    parser.add_argument("--list-survivors", action="store_true", help="name every undetected mutant")
    args = parser.parse_args()

    run = scope(args.full)
    paths = modules(run.patterns, "mutation scope")
    log = ROOT / "mutants" / "mutation-check.log"
    started = time.monotonic()
    rc = run_mutmut(run, args.keep, log)
    elapsed = time.monotonic() - started
    if rc != 0:
        print(log.read_text("utf-8", "replace")[-4000:])
        print(f"mutmut run failed with exit code {rc} after {elapsed:.0f} s (full log: {log})")
        return 1
    scores = [score(p) for p in paths]
    width = max(len(s.path) for s in scores)
    print(f"{'module':<{width}}  score   detected/mutants  equivalent lines  undetected")
    for s in scores:
        undetected = ", ".join(f"{n} {v}" for v, n in sorted(s.verdicts.items()) if v not in DETECTED.values())
        flag = "" if s.percent >= args.threshold else "   <-- under threshold"
        print(f"{s.path:<{width}}  {s.percent:5.1f}%  {s.detected:>6}/{s.total:<8}  {s.equivalent_lines:>16}"
              f"  {undetected or '-'}{flag}")
        if args.list_survivors or flag:
            for key in s.survivors:
                print(f"    {key}   (mutmut show {key})")
    print(f"mutation check of {run.name} ({len(paths)} modules) took {elapsed:.0f} s")
    failed = [s.path for s in scores if s.percent < args.threshold]
    if failed:
        print(f"FAIL: under {args.threshold:g} %: {', '.join(failed)}")
        return 1
    print(f"OK: every module at or above {args.threshold:g} %")
    return 0


if __name__ == "__main__":
    sys.exit(main())
