"""Checks that need every loaded flow at once: ids, trigger clashes, shadowed shortcuts, declared defaults.

A clash is reported in the file the author is editing — the more recently
saved of the two — and names the other file and line, so the message lands
where the fix is. Which flow answers unrecognised input is declared
(``default_for:``), never inferred from file names or load order.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

from engine.flow.diagnostics import Diagnostic, Path
from engine.flow.model import CompiledFlow
from engine.flow.spec import normalize_command
from engine.flow.yamlpos import locate

CHANNELS = ("sms", "ussd", "ivr")
#: What happens on a channel no flow declares itself the default for.
UNCLAIMED = {
    "sms": "unrecognised SMS text gets the 'no_service' reply and no menu",
    "ussd": "an unknown USSD code gets the 'no_service' reply and the session ends",
    "ivr": "a call to an unknown number hears the 'no_service' reply and is hung up",
}


def _where(flow: CompiledFlow, path: Path) -> str:
    return f"{flow.file}:{locate(flow.positions, path)[0]}"


def _diag(flow: CompiledFlow, path: Path, severity: str, message: str) -> Diagnostic:
    line, col = locate(flow.positions, path)
    return Diagnostic(flow.file, line, col, "error" if severity == "error" else "warning", path, message)


def _mtime(flow: CompiledFlow) -> float:
    try:
        return os.stat(flow.file).st_mtime
    except OSError:
        return 0.0


def _edited(a: tuple[CompiledFlow, Path], b: tuple[CompiledFlow, Path]
            ) -> tuple[tuple[CompiledFlow, Path], tuple[CompiledFlow, Path]]:
    """(the side being edited, the other side): the newer file; within one file, the later line."""
    key_a = (_mtime(a[0]), locate(a[0].positions, a[1]), a[0].file)
    key_b = (_mtime(b[0]), locate(b[0].positions, b[1]), b[0].file)
    return (a, b) if key_a >= key_b else (b, a)


def cross_check(flows: list[CompiledFlow]) -> list[Diagnostic]:
    """Errors and warnings across files; the caller refuses the load only on errors."""
    out: list[Diagnostic] = []
    out += _ids(flows)
    out += _trigger_clashes(flows)
    out += _shadowed_shortcuts(flows)
    out += _defaults(flows)
    by_id = {f.id for f in flows}
    for f in flows:
        for name, node in f.nodes.items():
            for path, other in node.kind.flows_used(name, node.spec):
                if other not in by_id:
                    known = ", ".join(sorted(by_id))
                    out.append(_diag(f, path, "error", f"unknown flow '{other}'; flows are: {known}"))
    return out


def _ids(flows: list[CompiledFlow]) -> Iterator[Diagnostic]:
    seen: dict[str, CompiledFlow] = {}
    for f in flows:
        if f.id in seen:
            (mine, _), (other, _) = _edited((f, ("flow",)), (seen[f.id], ("flow",)))
            yield _diag(mine, ("flow",), "error",
                        f"flow id '{f.id}' is also used by {_where(other, ('flow',))}; pick another id")
        else:
            seen[f.id] = f


def _trigger_clashes(flows: list[CompiledFlow]) -> Iterator[Diagnostic]:
    seen: dict[tuple[str, str], tuple[CompiledFlow, Path]] = {}
    for f in flows:
        for ch in CHANNELS:
            for i, trig in enumerate(getattr(f.spec.triggers, ch)):
                words = trig.keywords if ch == "sms" else [trig.code]
                for word in words:
                    key = (ch, normalize_command(word) if ch == "sms" else word)
                    here: tuple[CompiledFlow, Path] = (f, ("triggers", ch, i))
                    first = seen.setdefault(key, here)
                    if first is here or (first[1] == here[1] and first[0] is f):
                        continue
                    (mine, path), (other, opath) = _edited(here, first)
                    owner = "this flow" if other is mine else f"flow '{other.id}'"
                    yield _diag(mine, path, "error",
                                f"'{word}' is already a {ch} trigger of {owner} at {_where(other, opath)}; "
                                "each keyword or code may start one place only")


def _shadowed_shortcuts(flows: list[CompiledFlow]) -> Iterator[Diagnostic]:
    """``*100*5#`` in one flow takes over the star shortcut ``*100#`` + 5 of another flow."""
    codes = [(t.code, f, i) for f in flows for i, t in enumerate(f.spec.triggers.ussd)]
    for code, f, i in codes:
        parts = code.rstrip("#").split("*")
        for other_code, other, j in codes:
            if other is f:
                continue
            head = other_code.rstrip("#").split("*")
            if len(head) < len(parts) and parts[:len(head)] == head:
                inputs = ", ".join(p for p in parts[len(head):] if p)
                yield _diag(f, ("triggers", "ussd", i), "warning",
                            f"'{code}' shadows the star shortcut of flow '{other.id}' ({other_code} then {inputs}, "
                            f"{_where(other, ('triggers', 'ussd', j))}): subscribers dialling it reach this flow "
                            "instead; choose a code that is not an extension of another flow's code")


def _defaults(flows: list[CompiledFlow]) -> Iterator[Diagnostic]:
    routed = sorted((f for f in flows if any(getattr(f.spec.triggers, ch) for ch in CHANNELS)), key=lambda f: f.id)
    for ch in CHANNELS:
        declared = [f for f in flows if ch in f.spec.default_for]
        for f in declared[1:]:
            (mine, _), (other, _) = _edited((f, ("default_for",)), (declared[0], ("default_for",)))
            yield _diag(mine, ("default_for",), "error",
                        f"flow '{other.id}' is already the {ch} default ({_where(other, ('default_for',))}); "
                        "only one flow may answer unrecognised input on a channel")
        if not declared and len(routed) > 1:
            yield _diag(routed[0], ("flow",), "warning",
                        f"no flow declares `default_for: [{ch}]` while {len(routed)} flows are loaded "
                        f"({', '.join(f.id for f in routed)}): {UNCLAIMED[ch]}")
