"""Replay transcripts against a fresh in-process engine each, and judge every step.

Every transcript gets its own demo operator, store and manual clock, so
transcripts never see each other's state and can run concurrently; the
compiled flows are shared (they are immutable).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from engine.backend.demo import DemoBackend
from engine.clock import ManualClock
from engine.flow.registry import FlowRegistry
from engine.run.build import build_engine
from simulator.fixtures import FixtureBackend
from simulator.phone.device import Exchange, LocalDevice
from simulator.transcripts.coverage import Visits
from simulator.transcripts.model import Step, Transcript


@dataclass(slots=True)
class StepFailure:
    """Where a transcript went wrong, with what the subscriber actually got."""

    index: int
    step: Step
    problems: list[str]
    got: str = ""
    before: str = ""
    after: str = ""
    pushes: list[str] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Outcome:
    path: str
    name: str
    failure: StepFailure | None = None
    #: The transcript could not run at all (bad file, missing secret).
    error: str | None = None
    seconds: float = 0.0
    steps: int = 0

    @property
    def passed(self) -> bool:
        return self.failure is None and self.error is None


def _call_line(data: dict[str, object]) -> str:
    outcome = "ok" if data.get("ok") else f"{data.get('failure')} {data.get('code') or ''}".rstrip()
    return f"{data.get('op')}({data.get('params')}) -> {outcome} in {data.get('ms')} ms"


def judge(step: Step, ex: Exchange) -> list[str]:
    """Every way the exchange differs from what the step expects."""
    reply = ex.reply
    got = reply.text if reply is not None else ""
    problems = step.reply.problems(got) if step.reply is not None else []
    ended = reply is None or reply.end
    if step.end is not None and step.end != ended:
        problems.append("expected the session to end" if step.end else "expected the session to continue")
    if step.state is not None:
        after = ex.after if ":" in step.state else ex.after.partition(":")[2]
        if after != step.state:
            problems.append(f"expected to stand in state {step.state!r}, got {after or '(none)'!r}")
    pushes = [p.text for p in ex.pushes]
    if step.push is True and not pushes:
        problems.append("expected an SMS pushed to the subscriber, none was")
    elif step.push is False and pushes:
        problems.append(f"expected no SMS pushed, got {len(pushes)}")
    elif step.push is not None and not isinstance(step.push, bool):
        check = step.push
        if not any(not check.problems(p) for p in pushes):
            detail = check.problems(pushes[0]) if pushes else ["no SMS was pushed"]
            problems.extend(f"push: {d}" for d in detail)
    for call in step.calls:
        if not any(call.matches(e) for e in ex.events):
            problems.append(f"expected {call.describe()}")
    if step.transfer is not None:
        target = reply.transfer.target if reply is not None and reply.transfer is not None else None
        if target != step.transfer:
            problems.append(f"expected a transfer to {step.transfer!r}, got {target!r}")
    return problems


async def _perform(device: LocalDevice, step: Step, t: Transcript) -> Exchange | str:
    """Do the step's action; a string is a reason the step could not be done."""
    if step.action == "dial":
        if t.channel == "sms":
            return "SMS has no dial: just send"
        return await device.dial(step.value or None)
    if step.action == "send":
        text = step.value
        if step.secret is not None:
            secret = t.secret(step.secret)
            if secret is None:
                return (f"secret {step.secret!r} not given: add `secrets: {{{step.secret}: ...}}` "
                        f"or set MENUFLOW_SECRET_{step.secret.upper()}")
            text = secret
        if not device.open:
            return "the dialog is not open: add a `dial:` step first"
        return await device.send(text)
    if step.action == "noinput":
        return await device.noinput() if device.open else "the call is not open: add a `dial:` step first"
    if step.action == "agent":
        return await device.agent(step.value) if t.channel == "ivr" else "only IVR calls are transferred to agents"
    return await device.hangup()


async def run_transcript(t: Transcript, registry: FlowRegistry, visits: Visits | None = None) -> Outcome:
    """Run one transcript on its own engine; ``visits`` collects coverage (one per transcript)."""
    started = time.perf_counter()
    outcome = Outcome(t.path, t.name)
    clock = ManualClock()
    backend = FixtureBackend(DemoBackend(None, clock), t.fixtures)
    unknown = sorted({*t.fixtures, *(op for s in t.steps for op in s.fixtures)} - set(backend.operations()))
    if unknown:
        outcome.error = f"fixtures for unknown operation(s): {', '.join(unknown)}"
        await backend.close()
        return outcome
    engine = build_engine(registry, backend, clock=clock)
    if visits is not None:
        engine.observers.append(visits)
    device = LocalDevice(engine, t.channel, t.msisdn, t.to, t.locale)
    try:
        for index, step in enumerate(t.steps, 1):
            outcome.steps = index
            if step.action == "advance":
                clock.advance(step.seconds)
                continue
            if step.action == "fixtures":
                for op, fixture in step.fixtures.items():
                    backend.set(op, fixture)
                continue
            before = device.state
            ex = await _perform(device, step, t)
            if isinstance(ex, str):
                outcome.failure = StepFailure(index, step, [ex], before=before)
                break
            problems = judge(step, ex)
            if problems:
                reply = ex.reply
                outcome.failure = StepFailure(
                    index, step, problems, reply.text if reply else "", ex.before, ex.after,
                    [p.text for p in ex.pushes], [_call_line(e.data) for e in ex.events if e.kind == "call"])
                break
    finally:
        await device.close()
        await backend.close()
    outcome.seconds = time.perf_counter() - started
    return outcome


async def run_all(transcripts: list[Transcript], registry: FlowRegistry, visits: Visits,
                  jobs: int = 8) -> list[Outcome]:
    """Run transcripts concurrently (``jobs`` at a time); results keep the input order."""
    gate = asyncio.Semaphore(max(1, jobs))

    async def one(t: Transcript) -> Outcome:
        mine = Visits(registry)
        async with gate:
            outcome = await run_transcript(t, registry, mine)
        visits.merge(mine)
        return outcome

    return list(await asyncio.gather(*(one(t) for t in transcripts)))
