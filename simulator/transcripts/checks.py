"""What a transcript step may demand of a reply, a push or a backend call.

Each check returns the list of its problems in plain words, so the runner can
print "expected … / got …" without knowing what kind of check failed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from engine.ports.events import EngineEvent


def _strings(value: Any, key: str) -> tuple[str, ...]:
    if value is None:
        return ()
    items = value if isinstance(value, list) else [value]
    if any(isinstance(v, Mapping | list) for v in items):
        raise ValueError(f"'{key}' takes text or a list of texts")
    return tuple(str(v) for v in items)


@dataclass(frozen=True, slots=True)
class TextCheck:
    """``contains`` (all of), ``not_contains`` (none of), ``regex`` (search), ``exact`` (whole text)."""

    contains: tuple[str, ...] = ()
    not_contains: tuple[str, ...] = ()
    regex: str | None = None
    exact: str | None = None

    @classmethod
    def parse(cls, raw: Any, required: bool = False) -> TextCheck | None:
        """From the text keys of a step (or of a ``push:`` mapping; a bare string means contains)."""
        if isinstance(raw, str):
            raw = {"contains": raw}
        if not isinstance(raw, Mapping):
            raise ValueError("expected text, or a mapping of contains / not_contains / regex / exact")
        if required:
            unknown = sorted(set(raw) - {"contains", "not_contains", "regex", "exact"})
            if unknown:
                raise ValueError(f"unknown text check(s) {', '.join(map(str, unknown))}")
        regex = raw.get("regex")
        if regex is not None:
            re.compile(str(regex))
        exact = raw.get("exact")
        check = cls(_strings(raw.get("contains"), "contains"), _strings(raw.get("not_contains"), "not_contains"),
                    None if regex is None else str(regex), None if exact is None else str(exact))
        if check == cls() and not required:
            return None
        return check

    def problems(self, got: str) -> list[str]:
        out: list[str] = []
        for want in self.contains:
            if want not in got:
                out.append(f"expected the text to contain {want!r}")
        for unwanted in self.not_contains:
            if unwanted in got:
                out.append(f"expected the text not to contain {unwanted!r}")
        if self.regex is not None and re.search(self.regex, got) is None:
            out.append(f"expected the text to match /{self.regex}/")
        if self.exact is not None and got.strip() != self.exact.strip():
            out.append("expected exactly:\n" + self.exact.strip())
        return out


@dataclass(frozen=True, slots=True)
class CallCheck:
    """A backend call made during the step: operation, a subset of its params, success or failure."""

    op: str
    params: Mapping[str, str] = field(default_factory=dict)
    ok: bool | None = None

    @classmethod
    def parse(cls, raw: Any) -> CallCheck:
        if isinstance(raw, str):
            return cls(raw)
        if not isinstance(raw, Mapping) or "op" not in raw:
            raise ValueError("call takes an operation name or {op: NAME, params: {...}, ok: true|false}")
        unknown = sorted(set(raw) - {"op", "params", "ok"})
        if unknown:
            raise ValueError(f"call: unknown key(s) {', '.join(map(str, unknown))}")
        params = raw.get("params") or {}
        if not isinstance(params, Mapping):
            raise ValueError("call params must be a mapping")
        ok = raw.get("ok")
        if ok is not None and not isinstance(ok, bool):
            raise ValueError("call ok must be true or false")
        return cls(str(raw["op"]), {str(k): str(v) for k, v in params.items()}, ok)

    def matches(self, event: EngineEvent) -> bool:
        data = event.data
        if event.kind != "call" or data.get("op") != self.op:
            return False
        if self.ok is not None and bool(data.get("ok")) != self.ok:
            return False
        params = data.get("params") or {}
        return all(str(params.get(k)) == v for k, v in self.params.items())

    def describe(self) -> str:
        extra = f" with {dict(self.params)}" if self.params else ""
        outcome = "" if self.ok is None else (" succeeding" if self.ok else " failing")
        return f"a call to {self.op}{extra}{outcome}"
