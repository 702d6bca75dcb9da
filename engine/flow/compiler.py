"""Flow files → CompiledFlow, with every problem reported as a located diagnostic.

Two passes, as in goflow: the shape (pydantic schema) first, then meaning
(references, templates, expressions, patterns), each state's part by its own
kind. A broken flow yields diagnostics, never a Python traceback.
"""

from __future__ import annotations

import difflib
import hashlib
from collections import deque
from collections.abc import Iterator
from typing import Any

from pydantic import ValidationError

from engine.flow.building import Building
from engine.flow.diagnostics import Diagnostic, FlowError, Path
from engine.flow.language import Language
from engine.flow.machine import FlowMachine
from engine.flow.messages import BUILTIN
from engine.flow.model import CompiledFlow, NavKeys, Node
from engine.flow.schema_errors import diagnostics_from
from engine.flow.spec import FlowSpec, TextSpec
from engine.flow.templates import LText, compile_text
from engine.flow.yamlpos import Positions, YamlLoadError, load_with_positions

NAV_DEFAULTS: dict[str, dict[str, list[str]]] = {
    "sms": {"main": ["0", "00"], "back": [], "repeat": [], "agent": [], "more": []},
    "ussd": {"main": ["00"], "back": ["0"], "repeat": [], "agent": [], "more": ["98"]},
    "ivr": {"main": [], "back": [], "repeat": ["*"], "agent": ["0"], "more": []},
}


def parse_file(lang: Language, path: str, text: str | None = None
               ) -> tuple[FlowSpec | None, Positions, list[Diagnostic]]:
    """Read and shape-check one flow file."""
    try:
        if text is None:
            with open(path, encoding="utf-8") as fh:  # pragma: no mutate (equivalent here: codec case, a UTF-8 locale)
                text = fh.read()
    except (OSError, UnicodeDecodeError) as exc:
        return None, {}, [Diagnostic(path, 1, 1, "error", (), f"cannot read file: {exc}")]
    try:
        data, positions = load_with_positions(text, path)
    except YamlLoadError as exc:
        return None, {}, [exc.diagnostic]
    if not isinstance(data, dict):
        problem = "a flow file must be a mapping with flow:, states:"
        return None, positions, [Diagnostic(path, 1, 1, "error", (), problem)]
    if "flow" not in data and "steps" in data:
        problem = ("this is a transcript (it has `steps:`), not a flow; flow folders are read recursively, "
                   "so keep transcripts outside them (e.g. tests/transcripts/) and run them with `menuflow test`")
        return None, positions, [Diagnostic(path, 1, 1, "error", (), problem)]
    try:
        return lang.flow_model.model_validate(data), positions, []
    except ValidationError as exc:
        return None, positions, diagnostics_from(exc, data, positions, path, lang)


def state_refs(lang: Language, spec: FlowSpec) -> Iterator[tuple[Path, str]]:
    """Every state name the document refers to, with where it does."""
    yield ("entry",), spec.entry
    for ch in ("sms", "ussd", "ivr"):
        for i, trig in enumerate(getattr(spec.triggers, ch)):
            if trig.goto:
                yield ("triggers", ch, i, "goto"), trig.goto
    for name, st in spec.states.items():
        for edge in lang.kind(st).edges(name, st):
            yield edge.path, edge.target


def _nav(spec: FlowSpec) -> dict[str, NavKeys]:
    out = {}
    for ch, defaults in NAV_DEFAULTS.items():
        conf = getattr(spec.navigation, ch)
        keys = {k: (getattr(conf, k) if conf is not None and getattr(conf, k) is not None else v)
                for k, v in defaults.items()}
        out[ch] = NavKeys(**{k: frozenset(v) for k, v in keys.items()})
    return out


def _parents(nodes: dict[str, Node[Any]], entry: str) -> dict[str, str]:
    parent: dict[str, str] = {}
    seen = {entry}
    queue: deque[tuple[str, str]] = deque([(entry, entry)])
    while queue:
        name, menu = queue.popleft()
        node = nodes.get(name)
        if node is None:
            continue  # pragma: no mutate (equivalent: every target walked to is a state, the entry too)
        here = name if node.kind.menu_level else menu
        for target in node.edges:
            if target not in seen and target in nodes:
                seen.add(target)
                parent[target] = here
                queue.append((target, here))
    return parent


def _machine(nodes: dict[str, Node[Any]], entry: str, parent: dict[str, str]) -> FlowMachine:
    edges: set[tuple[str, str]] = set()
    for node in nodes.values():
        for target in node.edges:
            edges.add((node.name, target))
        if node.waiting:  # global navigation: main menu, back, repeat
            edges.add((node.name, entry))
            edges.add((node.name, parent.get(node.name, entry)))
            edges.add((node.name, node.name))
    return FlowMachine(nodes, entry, edges)  # pragma: no mutate (equivalent: a machine without a model has no start)


def _reserved_names(lang: Language, b: Building, spec: FlowSpec) -> None:
    """Variables starting with ``_`` would collide with nothing today but are kept for the engine."""
    for name, st in spec.states.items():
        for path, var in lang.kind(st).defines(name, st):
            if var.startswith("_"):
                b.error(path, f"variable '{var}' starts with '_', which is reserved for the engine; "
                              f"rename it (e.g. '{var.lstrip('_') or 'value'}')")
    for i, var in enumerate(spec.secrets):
        if var.startswith("_"):
            b.error(("secrets", i), f"variable '{var}' starts with '_', which is reserved for the engine")


# pragma: no mutate start (equivalent: without a source, any constant gives every version the same digest)
def compile_spec(lang: Language, spec: FlowSpec, file: str, positions: Positions, source: str = "") -> CompiledFlow:
    # pragma: no mutate end
    b = Building(file, positions, spec)
    nodes: dict[str, Node[Any]] = {name: lang.kind(st).compile(b, name, st) for name, st in spec.states.items()}
    _reserved_names(lang, b, spec)
    for path, target in state_refs(lang, spec):
        if target not in nodes:
            hint = difflib.get_close_matches(target, list(nodes), n=1)  # pragma: no mutate (only the best is shown)
            did = f" (did you mean '{hint[0]}'?)" if hint else f"; states are: {', '.join(sorted(nodes))}"
            b.error(path, f"unknown state '{target}'{did}")
    title = b.text(("title",), spec.title)
    messages: dict[str, LText] = {}
    for key, texts in BUILTIN.items():
        messages[key] = compile_text(TextSpec(**texts), list(spec.locales))  # pragma: no mutate (locales named)
    for key, value in spec.messages.items():
        if key not in BUILTIN:
            hint = difflib.get_close_matches(key, list(BUILTIN), n=1)  # pragma: no mutate (only the best is shown)
            b.error(("messages", key), f"unknown message '{key}'" + (f" (did you mean '{hint[0]}'?)" if hint else ""))
            continue
        messages[key] = b.text(("messages", key), value)
    if b.diags:
        raise FlowError(b.diags)
    secrets = {var for st in spec.states.values() for var in lang.kind(st).secret_vars(st)}
    secrets |= set(spec.secrets)
    parent = _parents(nodes, spec.entry)
    digest = hashlib.sha256(source.encode()).hexdigest()[:12]  # pragma: no mutate (equivalent: only compared)
    return CompiledFlow(spec, file, positions, nodes, title, messages, _nav(spec), parent,
                        frozenset(secrets), _machine(nodes, spec.entry, parent), digest)


#: A flow file is a few tens of kilobytes; past this it is a mistake or an attack, not a menu.
MAX_FLOW_BYTES = 1_000_000


def compile_file(lang: Language, path: str) -> CompiledFlow:
    try:
        with open(path, encoding="utf-8") as fh:  # pragma: no mutate (equivalent here: codec case, a UTF-8 locale)
            source = fh.read(MAX_FLOW_BYTES + 1)  # pragma: no mutate (equivalent: reading more refuses alike)
        if len(source) > MAX_FLOW_BYTES:
            raise FlowError([Diagnostic(path, 1, 1, "error", (), f"file larger than {MAX_FLOW_BYTES} characters")])
    except (OSError, UnicodeDecodeError) as exc:
        raise FlowError([Diagnostic(path, 1, 1, "error", (), f"cannot read file: {exc}")]) from None
    # pragma: no mutate start (equivalent: without the text the file is read again; diags come exactly without a spec)
    spec, positions, diags = parse_file(lang, path, source)
    if diags or spec is None:
        raise FlowError(diags)
    # pragma: no mutate end
    return compile_spec(lang, spec, path, positions, source)
