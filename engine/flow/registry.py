"""All loaded flows and every version still in use.

Reloading adds new versions beside the old ones: a live session keeps the
version it started on; the next session starts on the newest. A reload that
has any error changes nothing.
"""

from __future__ import annotations

import os

from engine.flow.compiler import compile_file
from engine.flow.crosscheck import cross_check
from engine.flow.diagnostics import Diagnostic, FlowError
from engine.flow.language import Language
from engine.flow.model import CompiledFlow
from engine.flow.yamlpos import locate


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


class FlowRegistry:
    def __init__(self, lang: Language, paths: list[str] | None = None) -> None:
        self.lang = lang
        self.paths = list(paths or [])
        self.versions: dict[str, dict[int, CompiledFlow]] = {}
        self.current: dict[str, CompiledFlow] = {}
        #: The flows of the last load, in load order: the ones whose triggers route.
        self.live: tuple[CompiledFlow, ...] = ()
        #: Bumped by every install, so routing tables built from ``current`` know when to rebuild.
        self.generation = 0

    def load(self) -> list[Diagnostic]:
        """(Re)load every flow file; on any error nothing changes and FlowError is raised.

        Returns warnings: about the reload itself (a changed flow that kept its version) and
        across files (a shadowed USSD shortcut, no declared default with several flows).
        """
        compiled: list[CompiledFlow] = []
        diags: list[Diagnostic] = []
        for path in flow_files(self.paths):
            if os.path.basename(path) == "schema.json":
                continue
            try:
                compiled.append(compile_file(self.lang, path))
            except FlowError as exc:
                diags.extend(exc.diagnostics)
        found = cross_check(compiled)
        diags.extend(d for d in found if d.severity == "error")
        if diags:
            raise FlowError(diags)
        warnings = [d for d in found if d.severity == "warning"]
        warnings += [w for w in map(self._unbumped, compiled) if w is not None]
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

    def install(self, flows: list[CompiledFlow]) -> None:
        for f in flows:
            self.versions.setdefault(f.id, {})[f.version] = f
            self.current[f.id] = f
        self.live = tuple(flows)
        self.generation += 1

    def get(self, flow: str, version: int) -> CompiledFlow | None:
        """The pinned version, or the current one when that version is gone (restart after upgrade)."""
        versions = self.versions.get(flow)
        if versions is None:
            return None
        return versions.get(version) or self.current.get(flow)
