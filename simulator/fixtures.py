"""Canned backend answers for transcripts and the simulator.

A transcript must be able to say "the balance system is down" or "the top-up
times out" without a real outage, and to pin an answer (an OTP) a flow needs
to continue. ``FixtureBackend`` wraps any Backend and answers the operations a
transcript names itself; every other operation goes to the wrapped backend
(the seeded demo operator), so fixtures stay small.

A timeout is raised as ``BackendTimeout`` at once: what the engine does once its
deadline passes is what a test wants to see, not the wall-clock wait.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from engine.ports.backend import (
    Backend,
    BackendFailure,
    BackendTimeout,
    BackendUnavailable,
    BusinessError,
    CallContext,
    OperationInfo,
)

FAILURES: dict[str, type[BackendFailure]] = {
    "business": BusinessError,
    "timeout": BackendTimeout,
    "unavailable": BackendUnavailable,
}
KEYS = frozenset({"result", "fail", "code", "message", "details", "times"})


class FixtureError(ValueError):
    """A fixture that cannot mean anything; the message names the operation and key."""


@dataclass(frozen=True, slots=True)
class Fixture:
    """One operation's canned answer: a result, or a failure of a kind (with a code)."""

    result: Mapping[str, Any] | None = None
    fail: str | None = None
    code: str = ""
    message: str = ""
    details: Mapping[str, Any] = field(default_factory=dict)
    #: Answer only the first N calls, then let the wrapped backend answer (None: always).
    times: int | None = None

    def failure(self) -> BackendFailure | None:
        if self.fail is None:
            return None
        return FAILURES[self.fail](self.message, self.code, self.details)


def parse_fixture(op: str, raw: object) -> Fixture:
    """``{fail: business, code: X}``, ``{fail: timeout}``, ``{result: {...}}``, or ``fail`` as a bare string."""
    if isinstance(raw, str):
        raw = {"fail": raw}
    if not isinstance(raw, Mapping):
        raise FixtureError(f"fixture '{op}' must be a mapping, got {type(raw).__name__}")
    unknown = sorted(set(raw) - KEYS)
    if unknown:
        raise FixtureError(f"fixture '{op}': unknown key(s) {', '.join(map(str, unknown))}; "
                           f"known: {', '.join(sorted(KEYS))}")
    fail = raw.get("fail")
    if fail is not None and fail not in FAILURES:
        raise FixtureError(f"fixture '{op}': fail must be one of {', '.join(FAILURES)}, got {fail!r}")
    result = raw.get("result")
    if result is not None and not isinstance(result, Mapping):
        raise FixtureError(f"fixture '{op}': result must be a mapping")
    if (fail is None) == (result is None):
        raise FixtureError(f"fixture '{op}' needs exactly one of 'result' or 'fail'")
    if fail == "business" and not raw.get("code"):
        raise FixtureError(f"fixture '{op}': a business failure needs a 'code' the flow can branch on")
    times = raw.get("times")
    if times is not None and (not isinstance(times, int) or times < 1):
        raise FixtureError(f"fixture '{op}': times must be a positive integer")
    details = raw.get("details") or {}
    if not isinstance(details, Mapping):
        raise FixtureError(f"fixture '{op}': details must be a mapping")
    return Fixture(dict(result) if result is not None else None, fail, str(raw.get("code") or ""),
                   str(raw.get("message") or ""), dict(details), times)


def parse_fixtures(raw: object, operations: Mapping[str, OperationInfo] | None = None) -> dict[str, Fixture]:
    """Parse a ``fixtures:`` block; with ``operations``, unknown operation names are an error."""
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise FixtureError("fixtures must map operation names to fixtures")
    out: dict[str, Fixture] = {}
    for op, value in raw.items():
        if operations is not None and op not in operations:
            raise FixtureError(f"fixture '{op}': not an operation of the backend "
                               f"(known: {', '.join(sorted(operations))})")
        out[str(op)] = parse_fixture(str(op), value)
    return out


class FixtureBackend:
    """A Backend answering fixture operations itself and everything else through ``inner``."""

    def __init__(self, inner: Backend, fixtures: Mapping[str, Fixture] | None = None) -> None:
        self.inner = inner
        self._fixtures: dict[str, Fixture] = dict(fixtures or {})
        self._used: dict[str, int] = {}

    def set(self, operation: str, fixture: Fixture | None) -> None:
        """Install (or with None remove) the fixture of one operation; its use count restarts."""
        self._used.pop(operation, None)
        if fixture is None:
            self._fixtures.pop(operation, None)
        else:
            self._fixtures[operation] = fixture

    def operations(self) -> Mapping[str, OperationInfo]:
        return self.inner.operations()

    async def call(self, operation: str, params: Mapping[str, Any], ctx: CallContext) -> dict[str, Any]:
        fixture = self._fixtures.get(operation)
        used = self._used.get(operation, 0)
        if fixture is None or (fixture.times is not None and used >= fixture.times):
            return await self.inner.call(operation, params, ctx)
        self._used[operation] = used + 1
        failure = fixture.failure()
        if failure is not None:
            raise failure
        return dict(fixture.result or {})

    async def close(self) -> None:
        await self.inner.close()
