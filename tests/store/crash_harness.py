"""The crash experiment of issue 18, shared by its tests: a real ``menuflow serve`` killed mid-burst.

The npm ``smpp`` SMSC sends a burst of MOs from distinct numbers and keeps
every MO it has no OK resp for, redelivering it (tests/npm/smsc.js
``burst``). ``Burst.result`` counts what an operator would: numbers answered
at least once, answers beyond the first, MOs sent again.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from engine.backend.demo import DemoBackend
from simulator.smsc_npm import NpmSmsc

ROOT = Path(__file__).resolve().parents[2]
N, BURST_MS = 300, 1500
PREFIX = "86138"
#: Seconds each backend call takes in the killed process (see ``operator_backend``).
BACKEND_LATENCY = 0.04


def operator_backend() -> DemoBackend:
    """The demo operator answering in ``BACKEND_LATENCY`` s, as a real one does, not in microseconds.

    An answer then takes about 0.1 s (two calls for "YE"), so when the kill
    lands about 20 MOs are acknowledged and not yet answered: the MOs a
    process without the durable inbox would lose. Against the in-memory
    demo the answers caught up with the burst and the kill found next to none.
    """
    return DemoBackend(latency=BACKEND_LATENCY)


@dataclass(frozen=True)
class Outcome:
    sent: int
    #: Numbers with at least one answer; answers beyond the first; deliver_sm sent again.
    answered: int
    duplicates: int
    redelivered: int
    #: Numbers whose MO got an OK deliver_sm_resp.
    acked: int
    #: At the kill: MOs acknowledged but not yet answered (what used to be lost), and not yet sent.
    acked_unanswered_at_kill: int
    unsent_at_kill: int
    #: MOs a surviving or restarted process took over from the killed one's inbox entries.
    claimed: int


@dataclass(frozen=True)
class AtKill:
    acked: int
    answered: int
    burst_done: bool


class Serve:
    """``menuflow serve`` as a child process; ``ready`` is set when every worker serves."""

    def __init__(self, smsc_port: int, store: str, *extra: str, workers: int = 1) -> None:
        self.argv = [sys.executable, "-m", "app.cli", "serve", "--smpp", f"127.0.0.1:{smsc_port}",
                     "--smpp-system-id", "menuflow", "--smpp-password", "secret", "--store", store,
                     "--smpp-claim-idle", "1", "--smpp-tps", "0", "--smpp-window", "64",
                     "--smpp-registered-delivery", "0", "--smpp-reconnect-min", "0.1", "--smpp-reconnect-max",
                     "0.5", "--backend", "tests.store.crash_harness:operator_backend", "--log-level", "WARNING",
                     *extra]
        if workers > 1:
            self.argv += ["--workers", str(workers)]
        self.workers = workers
        self.proc: asyncio.subprocess.Process | None = None
        self.lines: list[str] = []
        self.serving = 0
        self._reader: asyncio.Task[None] | None = None
        self._changed = asyncio.Event()

    async def start(self) -> Serve:
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        # Its own process group: teardown can end the workers too, even when the supervisor is gone.
        # A worker left behind by a failed test would keep reading the shared inbox of the next one.
        self.proc = await asyncio.create_subprocess_exec(*self.argv, cwd=ROOT, env=env,
                                                         stdout=asyncio.subprocess.PIPE,
                                                         stderr=asyncio.subprocess.STDOUT,
                                                         start_new_session=True)
        self._reader = asyncio.create_task(self._read())
        try:
            await self.wait(lambda: self.serving >= self.workers, 30)
        except BaseException:  # a worker left running would keep reading the next test's inbox
            await self.stop()
            raise
        return self

    async def wait(self, predicate: object, timeout: float) -> None:
        async def loop() -> None:
            while not predicate():  # type: ignore[operator]
                assert self.proc is not None
                if self.proc.returncode is not None:
                    raise AssertionError("serve exited:\n" + "".join(self.lines[-30:]))
                self._changed.clear()
                await self._changed.wait()
        await asyncio.wait_for(loop(), timeout)

    async def _read(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        while line := await self.proc.stdout.readline():
            text = line.decode(errors="replace")
            self.lines.append(text)
            # Workers share the pipe: two announcing at once can land on one line.
            self.serving += text.count("menuflow serving")
            self._changed.set()
        self._changed.set()

    def children(self) -> list[int]:
        """The worker processes of ``--workers N``."""
        assert self.proc is not None
        path = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        return [int(p) for p in path.read_text().split()]

    def kill(self) -> None:
        """``kill -9``: no clean shutdown, no unbind, nothing flushed."""
        assert self.proc is not None
        self.proc.kill()

    async def stop(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.proc.wait(), 20)
            except TimeoutError:
                self.proc.kill()
                await self.proc.wait()
        if self.proc is not None:
            with contextlib.suppress(ProcessLookupError):  # whatever of the group is still there
                os.killpg(self.proc.pid, signal.SIGKILL)
        if self._reader is not None:
            with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                await asyncio.wait_for(self._reader, 5)


def start_burst(smsc: NpmSmsc) -> None:
    smsc.command("burst", n=N, ms=BURST_MS, text_hex=b"YE".hex(), prefix=PREFIX, retry_ms=200)


def answers(smsc: NpmSmsc) -> Counter[str]:
    return Counter(m.destination for m in smsc.messages if m.destination.startswith(PREFIX))


async def all_answered(smsc: NpmSmsc, timeout: float) -> None:
    await smsc.wait_for(lambda: len(answers(smsc)) >= N, timeout=timeout)


def acked(smsc: NpmSmsc) -> int:
    return len({e["number"] for e in smsc.events if e.get("event") == "mo_resp" and e["status"] == 0})


def at_kill(smsc: NpmSmsc) -> AtKill:
    return AtKill(acked(smsc), len(answers(smsc)), smsc.count("burst_sent") > 0)


def claimed(*serves: Serve) -> int:
    """From the WARNING each process logs when it takes over entries of a stopped one."""
    found = (re.finditer(r"answering (\d+) MO\(s\) left unanswered", line) for s in serves for line in s.lines)
    return sum(int(m.group(1)) for matches in found for m in matches)


def outcome(smsc: NpmSmsc, kill: AtKill, *serves: Serve) -> Outcome:
    got = answers(smsc)
    return Outcome(sent=N, answered=len(got), duplicates=sum(got.values()) - len(got),
                   redelivered=smsc.count("redeliver"), acked=acked(smsc),
                   acked_unanswered_at_kill=kill.acked - kill.answered, unsent_at_kill=N - kill.acked,
                   claimed=claimed(*serves))
