#!/usr/bin/env python3
"""Bounded mutation check: mutmut over the modules in [tool.mutmut].only_mutate.

Fails when any module scores under the threshold (90 % by default), where
score = detected / mutants and "detected" is killed by a test, timed out or
caught by the type checker. Mutants on lines marked ``# pragma: no mutate``
(equivalent mutants, each with its reason beside it) are never generated, so
they are already out of the denominator; the count printed is of those lines.

Usage (from anywhere; it works in the repository root)::

    .venv/bin/python .ci/mutation.py            # fresh run, as CI does
    .venv/bin/python .ci/mutation.py --keep     # reuse mutants/ (only changed functions rerun)

The module list and the tests mutmut may run live in pyproject.toml only; to
cover a new module, add it to ``only_mutate`` and its fast tests to
``pytest_add_cli_args_test_selection``.
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


def modules(config: dict[str, list[str]]) -> list[Path]:
    """Every .py file that ``only_mutate`` names (patterns expanded), in a stable order."""
    found: list[Path] = []
    for pattern in config["only_mutate"]:
        hits = sorted(p.relative_to(ROOT) for p in ROOT.glob(pattern) if p.suffix == ".py")
        if not hits:
            sys.exit(f"[tool.mutmut].only_mutate: {pattern!r} matches no file")
        found += [h for h in hits if h not in found]
    return found


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
    marked = sum("pragma: no mutate" in line for line in (ROOT / path).read_text("utf-8").splitlines())
    detected = sum(n for v, n in verdicts.items() if v in DETECTED.values())
    return Score(str(path), len(codes), detected, sorted(survivors), verdicts, marked)


def run_mutmut(keep: bool, log: Path) -> int:
    if not keep:
        shutil.rmtree(ROOT / "mutants", ignore_errors=True)
    log.parent.mkdir(exist_ok=True)
    mutmut = Path(sys.executable).with_name("mutmut")
    with log.open("w") as out:
        return subprocess.run([str(mutmut), "run"], cwd=ROOT, stdout=out, stderr=subprocess.STDOUT).returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threshold", type=float, default=90.0, help="minimum score per module, in %%")
    parser.add_argument("--keep", action="store_true", help="reuse mutants/ from an earlier run")
    parser.add_argument("--list-survivors", action="store_true", help="name every undetected mutant")
    args = parser.parse_args()

    config = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["tool"]["mutmut"]
    paths = modules(config)
    log = ROOT / "mutants" / "mutation-check.log"
    started = time.monotonic()
    rc = run_mutmut(args.keep, log)
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
    print(f"mutation check took {elapsed:.0f} s")
    failed = [s.path for s in scores if s.percent < args.threshold]
    if failed:
        print(f"FAIL: under {args.threshold:g} %: {', '.join(failed)}")
        return 1
    print(f"OK: every module at or above {args.threshold:g} %")
    return 0


if __name__ == "__main__":
    sys.exit(main())
