"""pytest-like console output for ``menuflow test``.

A failure shows the step and its file line, the flow state before and after,
each unmet expectation, what the subscriber actually got, and for ``exact``
checks a unified diff — enough to fix a flow or a transcript without
re-running anything by hand.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from simulator.transcripts.runner import Outcome, StepFailure


def status_line(o: Outcome) -> str:
    word = "PASSED" if o.passed else ("ERROR" if o.error else "FAILED")
    return f"{o.path}::{o.name} {word} ({o.steps} steps, {o.seconds * 1000:.0f} ms)"


def _indent(text: str, prefix: str = "    | ") -> list[str]:
    return [prefix + line for line in (text.splitlines() or [""])]


def failure_lines(f: StepFailure, path: str) -> list[str]:
    lines = [f"step {f.index} at {path}:{f.step.line}: {f.step.describe()}"]
    lines.append(f"  state: {f.before or '(no session)'} -> {f.after or '(no session)'}")
    lines.extend(f"  E {line}" if i == 0 else f"    {line}"
                 for p in f.problems for i, line in enumerate(p.splitlines()))
    lines.append("  got:")
    lines.extend(_indent(f.got))
    exact = f.step.reply.exact if f.step.reply is not None else None
    if exact is not None:
        lines.append("  diff (- expected, + got):")
        diff = difflib.unified_diff(exact.strip().splitlines(), f.got.strip().splitlines(),
                                    "expected", "got", lineterm="", n=1)
        lines.extend("    " + d for d in diff)
    for push in f.pushes:
        lines.append("  SMS pushed:")
        lines.extend(_indent(push))
    for call in f.calls:
        lines.append(f"  backend: {call}")
    return lines


def render(outcomes: Iterable[Outcome], seconds: float, verbose: bool = True) -> list[str]:
    """The whole report (without coverage): status lines, failures, the summary."""
    items = list(outcomes)
    out = [status_line(o) for o in items] if verbose else ["".join("." if o.passed else "F" for o in items)]
    bad = [o for o in items if not o.passed]
    if bad:
        out.append("=" * 30 + " FAILURES " + "=" * 30)
    for o in bad:
        out.append(f"{'_' * 10} {o.name} ({o.path}) {'_' * 10}")
        if o.error:
            out.append(f"  E {o.error}")
        elif o.failure is not None:
            out.extend(failure_lines(o.failure, o.path))
    passed = sum(o.passed for o in items)
    failed = sum(o.failure is not None for o in items)
    errors = sum(o.error is not None for o in items)
    parts = ([f"{passed} passed"] if passed or not (failed or errors) else []) + (
        [f"{failed} failed"] if failed else []) + ([f"{errors} error{'s' if errors > 1 else ''}"] if errors else [])
    out.append(f"{'=' * 20} {', '.join(parts)} in {seconds:.2f}s {'=' * 20}")
    return out
