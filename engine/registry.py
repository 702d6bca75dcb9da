"""All loaded flows, every version still in use, and the trigger indexes.

Reloading adds new versions beside the old ones: a live session keeps the
version it started on; the next session starts on the newest.
"""

from __future__ import annotations

import os
import unicodedata
from dataclasses import dataclass

from engine.compiler import compile_file
from engine.diagnostics import Diagnostic, FlowError
from engine.flow import CompiledFlow
from engine.yamlpos import locate


def normalize_command(text: str) -> str:
    """Full-width → half-width, case folded, inner spaces dropped: how SMS commands match."""
    return "".join(unicodedata.normalize("NFKC", text).split()).upper()


def flow_files(paths: list[str]) -> list[str]:
    out: list[str] = []
    for p in paths:
        if os.path.isdir(p):
            for root, dirs, files in os.walk(p):
                dirs.sort()
                out.extend(os.path.join(root, f) for f in sorted(files) if f.endswith((".yaml", ".yml")))
        else:
            out.append(p)
    return out


@dataclass(frozen=True, slots=True)
class Route:
    flow: str
    state: str | None
    #: For USSD star shortcuts: inputs to replay after the entry (*100*2*1# → ("2", "1")).
    path: tuple[str, ...] = ()


class FlowRegistry:
    def __init__(self, paths: list[str] | None = None) -> None:
        self.paths = list(paths or [])
        self.versions: dict[str, dict[int, CompiledFlow]] = {}
        self.current: dict[str, CompiledFlow] = {}
        self.sms: dict[str, Route] = {}
        self.ussd: dict[str, Route] = {}
        self.ivr: dict[str, Route] = {}
        self.warnings: list[Diagnostic] = []

    def load(self) -> list[Diagnostic]:
        """(Re)load every flow file; on any error nothing changes and FlowError is raised.

        Returns warnings about the reload itself (a changed flow that kept its version).
        """
        compiled: list[CompiledFlow] = []
        diags: list[Diagnostic] = []
        for path in flow_files(self.paths):
            if os.path.basename(path) == "schema.json":
                continue
            try:
                compiled.append(compile_file(path))
            except FlowError as exc:
                diags.extend(exc.diagnostics)
        diags.extend(self._cross_check(compiled))
        if diags:
            raise FlowError(diags)
        warnings = [w for w in map(self._unbumped, compiled) if w is not None]
        self.install(compiled)
        return warnings

    def _unbumped(self, flow: CompiledFlow) -> Diagnostic | None:
        """A changed file that kept its version: live sessions on that version see the new content."""
        old = self.versions.get(flow.id, {}).get(flow.version)
        if old is None or old.digest == flow.digest:
            return None
        line, col = locate(flow.positions, ("version",))
        return Diagnostic(flow.file, line, col, "warning", ("version",),
                          f"flow '{flow.id}' changed but is still version {flow.version}: live sessions on it "
                          "switch to the new content; bump `version:` to keep them on the old one")

    def _cross_check(self, flows: list[CompiledFlow]) -> list[Diagnostic]:
        out: list[Diagnostic] = []
        by_id: dict[str, CompiledFlow] = {}
        seen_triggers: dict[tuple[str, str], str] = {}
        for f in flows:
            if f.id in by_id:
                line, col = locate(f.positions, ("flow",))
                out.append(Diagnostic(f.file, line, col, "error", ("flow",),
                                      f"flow id '{f.id}' is also used by {by_id[f.id].file}"))
            by_id[f.id] = f
        for f in flows:
            for ch in ("sms", "ussd", "ivr"):
                for i, trig in enumerate(getattr(f.spec.triggers, ch)):
                    words = trig.keywords if ch == "sms" else [trig.code]
                    for word in words:
                        key = (ch, normalize_command(word) if ch == "sms" else word)
                        if key in seen_triggers and seen_triggers[key] != f.id + str(i):
                            line, col = locate(f.positions, ("triggers", ch, i))
                            out.append(Diagnostic(f.file, line, col, "error", ("triggers", ch, i),
                                                  f"'{word}' is already a {ch} trigger of another entry"))
                        seen_triggers[key] = f.id + str(i)
            for name, node in f.nodes.items():
                if node.kind == "subflow" and node.spec.flow not in by_id:
                    path = ("states", name, "flow")
                    line, col = locate(f.positions, path)
                    out.append(Diagnostic(f.file, line, col, "error", path,
                                          f"unknown flow '{node.spec.flow}'; flows are: {', '.join(sorted(by_id))}"))
        return out

    def install(self, flows: list[CompiledFlow]) -> None:
        sms: dict[str, Route] = {}
        ussd: dict[str, Route] = {}
        ivr: dict[str, Route] = {}
        for f in flows:
            self.versions.setdefault(f.id, {})[f.version] = f
            self.current[f.id] = f
            for trig in f.spec.triggers.sms:
                for word in trig.keywords:
                    sms[normalize_command(word)] = Route(f.id, trig.goto)
            for t in f.spec.triggers.ussd:
                ussd[t.code] = Route(f.id, t.goto)
            for t in f.spec.triggers.ivr:
                ivr[t.code] = Route(f.id, t.goto)
        self.sms, self.ussd, self.ivr = sms, ussd, ivr

    def get(self, flow: str, version: int) -> CompiledFlow | None:
        """The pinned version, or the current one when that version is gone (restart after upgrade)."""
        versions = self.versions.get(flow)
        if versions is None:
            return None
        return versions.get(version) or self.current.get(flow)

    def route_ussd(self, code: str) -> Route | None:
        """``*100#`` → entry; ``*100*2*1#`` → entry, then inputs 2 and 1."""
        if code in self.ussd:
            return self.ussd[code]
        body = code.rstrip("#")
        parts = body.split("*")
        for cut in range(len(parts) - 1, 1, -1):
            base = "*".join(parts[:cut]) + "#"
            route = self.ussd.get(base)
            if route is not None:
                return Route(route.flow, route.state, tuple(p for p in parts[cut:] if p))
        return None

    def route_ivr(self, number: str) -> Route | None:
        return self.ivr.get(number) or self.ivr.get(number.split("?", 1)[0])

    def default_route(self, channel: str) -> Route | None:
        table = {"sms": self.sms, "ussd": self.ussd, "ivr": self.ivr}[channel]
        first = next(iter(table.values()), None)
        return Route(first.flow, None) if first else None
