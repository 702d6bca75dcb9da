"""One test run: find transcript files, load them, run them all, measure coverage."""

from __future__ import annotations

import time
from dataclasses import dataclass

from engine.flow.registry import FlowRegistry
from simulator.transcripts.coverage import Coverage, Visits
from simulator.transcripts.model import Transcript, TranscriptError, find_transcripts, load_transcript
from simulator.transcripts.runner import Outcome, run_all


@dataclass(frozen=True, slots=True)
class SuiteResult:
    outcomes: list[Outcome]
    coverage: Coverage
    seconds: float

    @property
    def passed(self) -> bool:
        return all(o.passed for o in self.outcomes)


async def run_suite(paths: list[str], registry: FlowRegistry, *, jobs: int = 8, select: str = "") -> SuiteResult:
    """Run every transcript under ``paths`` (``select``: only names/paths containing it)."""
    started = time.perf_counter()
    loaded: list[Transcript] = []
    broken: list[Outcome] = []
    for path in find_transcripts(paths):
        try:
            t = load_transcript(path)
        except TranscriptError as exc:
            broken.append(Outcome(path, path, error=str(exc)))
            continue
        except OSError as exc:
            broken.append(Outcome(path, path, error=f"{path}: cannot read: {exc.strerror}"))
            continue
        if not select or select in t.name or select in path:
            loaded.append(t)
    visits = Visits(registry)
    outcomes = broken + await run_all(loaded, registry, visits, jobs)
    outcomes.sort(key=lambda o: o.path)
    return SuiteResult(outcomes, Coverage.measure(registry, visits), time.perf_counter() - started)
