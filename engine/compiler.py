"""Flow files → CompiledFlow, with every problem reported as a located diagnostic.

Two passes, as in goflow: the shape (pydantic schema) first, then meaning
(references, templates, expressions, patterns). A broken flow yields
diagnostics, never a Python traceback.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from collections import deque
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from pydantic import ValidationError
from transitions import Machine

from engine.diagnostics import Diagnostic, FlowError, Path
from engine.flow import CompiledFlow, COption, NavKeys, Node
from engine.messages import BUILTIN
from engine.schema_errors import diagnostics_from
from engine.spec import FlowSpec, InputState, Text, TextSpec
from engine.templates import LText, TemplateError, Tpl, compile_expr, compile_template, compile_text
from engine.yamlpos import Positions, YamlLoadError, load_with_positions, locate

NAV_DEFAULTS: dict[str, dict[str, list[str]]] = {
    "sms": {"main": ["0", "00"], "back": [], "repeat": [], "agent": [], "more": []},
    "ussd": {"main": ["00"], "back": ["0"], "repeat": [], "agent": [], "more": ["98"]},
    "ivr": {"main": [], "back": [], "repeat": ["*"], "agent": ["0"], "more": []},
}


class _Ctx:
    def __init__(self, file: str, positions: Positions) -> None:
        self.file = file
        self.positions = positions
        self.diags: list[Diagnostic] = []

    def error(self, path: Path, message: str) -> None:
        line, col = locate(self.positions, path)
        self.diags.append(Diagnostic(self.file, line, col, "error", path, message))


def parse_file(path: str, text: str | None = None) -> tuple[FlowSpec | None, Positions, list[Diagnostic]]:
    """Read and shape-check one flow file."""
    try:
        if text is None:
            with open(path, encoding="utf-8") as fh:
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
    try:
        return FlowSpec.model_validate(data), positions, []
    except ValidationError as exc:
        return None, positions, diagnostics_from(exc, data, positions, path)


def state_refs(spec: FlowSpec) -> Iterator[tuple[Path, str]]:
    """Every state name the document refers to, with where it does."""
    yield ("entry",), spec.entry
    for ch in ("sms", "ussd", "ivr"):
        for i, trig in enumerate(getattr(spec.triggers, ch)):
            if trig.goto:
                yield ("triggers", ch, i, "goto"), trig.goto
    for name, st in spec.states.items():
        yield from state_refs_of(name, st)


def state_refs_of(name: str, st: Any) -> Iterator[tuple[Path, str]]:
    base: Path = ("states", name)
    for attr in ("goto", "fallback", "error", "timeout", "unavailable", "cancel", "default"):
        target = getattr(st, attr, None)
        if isinstance(target, str) and not (attr == "error" and st.type == "input"):
            yield (*base, attr), target
    for i, opt in enumerate(getattr(st, "options", ())):
        yield (*base, "options", i, "goto"), opt.goto
    for i, case in enumerate(getattr(st, "cases", ())):
        yield (*base, "cases", i, "goto"), case.goto
    for code, target in getattr(st, "errors", {}).items():
        yield (*base, "errors", code), target


def iter_texts(spec: FlowSpec) -> Iterator[tuple[Path, Text]]:
    yield ("title",), spec.title
    for key, msg in spec.messages.items():
        yield ("messages", key), msg
    for name, st in spec.states.items():
        for attr in ("text", "invalid", "error"):
            value = getattr(st, attr, None)
            if value is not None and (attr != "error" or st.type == "input"):
                yield ("states", name, attr), value
        for i, opt in enumerate(getattr(st, "options", ())):
            yield ("states", name, "options", i, "label"), opt.label


def _compile_text(ctx: _Ctx, path: Path, text: Text, spec: FlowSpec) -> LText:
    try:
        lt = compile_text(text, list(spec.locales))
    except TemplateError as exc:
        ctx.error(path, str(exc))
        return LText({("", spec.locale): Tpl("")})
    if isinstance(text, TextSpec) and getattr(text, spec.locale) is None and ("", spec.locale) not in lt.by_key:
        ctx.error(path, f"no text for the default locale '{spec.locale}'; add `{spec.locale}: ...`")
    return lt


def _nav(spec: FlowSpec) -> dict[str, NavKeys]:
    out = {}
    for ch, defaults in NAV_DEFAULTS.items():
        conf = getattr(spec.navigation, ch)
        keys = {k: (getattr(conf, k) if conf is not None and getattr(conf, k) is not None else v)
                for k, v in defaults.items()}
        out[ch] = NavKeys(**{k: frozenset(v) for k, v in keys.items()})
    return out


def _node(ctx: _Ctx, spec: FlowSpec, name: str, st: Any) -> Node:
    base: Path = ("states", name)
    kind = st.type
    text = _compile_text(ctx, (*base, "text"), st.text, spec) if getattr(st, "text", None) is not None else None
    err_src = st.invalid if kind == "menu" else st.error if kind == "input" else None
    err_attr = "invalid" if kind == "menu" else "error"
    error = _compile_text(ctx, (*base, err_attr), err_src, spec) if err_src is not None else None
    options: list[COption] = []
    for i, opt in enumerate(getattr(st, "options", ())):
        when = None
        if opt.when:
            try:
                when = compile_expr(opt.when)
            except TemplateError as exc:
                ctx.error((*base, "options", i, "when"), str(exc))
        label = _compile_text(ctx, (*base, "options", i, "label"), opt.label, spec)
        chans = frozenset(opt.channels) if opt.channels else None
        options.append(COption(opt.key or str(i + 1), label, opt.goto, chans, when))
    by_channel = {ch: _number(ctx, base, st, options, ch) for ch in ("sms", "ussd", "ivr")} if options else {}
    cases = []
    for i, case in enumerate(getattr(st, "cases", ())):
        try:
            cases.append((compile_expr(case.when), case.goto))
        except TemplateError as exc:
            ctx.error((*base, "cases", i, "when"), str(exc))
    params: dict[str, Tpl] = {}
    for attr in ("params", "vars"):
        for key, value in (getattr(st, attr, None) or {}).items():
            try:
                params[key] = compile_template(value) if isinstance(value, str) else Tpl(str(value))
            except TemplateError as exc:
                ctx.error((*base, attr, key), str(exc))
    pattern = None
    if getattr(st, "pattern", None):
        try:
            pattern = re.compile(st.pattern)
        except re.error as exc:
            ctx.error((*base, "pattern"), f"invalid regular expression: {exc}")
    edges = tuple(dict.fromkeys(t for p, t in state_refs_of(name, st)))
    static = all(t.static for t in (text.by_key.values() if text else ())) and all(
        o.when is None and all(t.static for t in o.label.by_key.values()) for o in options
    )
    return Node(name, kind, st, text, tuple(options), by_channel, tuple(cases), params, pattern, error, edges,
                static)


def _number(ctx: _Ctx, base: Path, st: Any, options: list[COption], channel: str) -> tuple[COption, ...]:
    """Give options without an explicit key the next free number among those shown on ``channel``."""
    shown = [(i, o) for i, o in enumerate(options) if o.channels is None or channel in o.channels]
    explicit = {st.options[i].key for i, _ in shown if st.options[i].key is not None}
    out: list[COption] = []
    used: dict[str, int] = {}
    n = 0
    for i, opt in shown:
        key = st.options[i].key
        if key is None:
            n += 1
            while str(n) in explicit:
                n += 1
            key = str(n)
        if key in used:
            ctx.error((*base, "options", i, "key"), f"key '{key}' is already used by options[{used[key]}] on {channel}")
        used[key] = i
        out.append(replace(opt, key=key))
    return tuple(out)


def _parents(nodes: dict[str, Node], entry: str) -> dict[str, str]:
    parent: dict[str, str] = {}
    seen = {entry}
    queue: deque[tuple[str, str]] = deque([(entry, entry)])
    while queue:
        name, menu = queue.popleft()
        node = nodes.get(name)
        if node is None:
            continue
        here = name if node.kind == "menu" else menu
        for target in node.edges:
            if target not in seen and target in nodes:
                seen.add(target)
                parent[target] = here
                queue.append((target, here))
    return parent


def _machine(nodes: dict[str, Node], entry: str, parent: dict[str, str]) -> Machine:
    machine = Machine(model=None, states=list(nodes), initial=entry, auto_transitions=False,
                      send_event=False, ignore_invalid_triggers=False)
    edges: set[tuple[str, str]] = set()
    for node in nodes.values():
        for target in node.edges:
            edges.add((node.name, target))
        if node.waiting:  # global navigation: main menu, back, repeat
            edges.add((node.name, entry))
            edges.add((node.name, parent.get(node.name, entry)))
            edges.add((node.name, node.name))
    for src, dst in sorted(edges):
        if dst in nodes:
            machine.add_transition(f"{src}>{dst}", src, dst)
    return machine


def compile_spec(spec: FlowSpec, file: str, positions: Positions, source: str = "") -> CompiledFlow:
    ctx = _Ctx(file, positions)
    nodes = {name: _node(ctx, spec, name, st) for name, st in spec.states.items()}
    for path, target in state_refs(spec):
        if target not in nodes:
            hint = difflib.get_close_matches(target, list(nodes), n=1)
            did = f" (did you mean '{hint[0]}'?)" if hint else f"; states are: {', '.join(sorted(nodes))}"
            ctx.error(path, f"unknown state '{target}'{did}")
    title = _compile_text(ctx, ("title",), spec.title, spec)
    messages: dict[str, LText] = {}
    for key, texts in BUILTIN.items():
        messages[key] = compile_text(TextSpec(**texts), list(spec.locales))
    for key, value in spec.messages.items():
        if key not in BUILTIN:
            hint = difflib.get_close_matches(key, list(BUILTIN), n=1)
            ctx.error(("messages", key), f"unknown message '{key}'" + (f" (did you mean '{hint[0]}'?)" if hint else ""))
            continue
        messages[key] = _compile_text(ctx, ("messages", key), value, spec)
    if ctx.diags:
        raise FlowError(ctx.diags)
    secrets = {st.var for st in spec.states.values() if isinstance(st, InputState) and st.secret}
    secrets |= set(spec.secrets)
    parent = _parents(nodes, spec.entry)
    digest = hashlib.sha256(source.encode()).hexdigest()[:12]
    return CompiledFlow(spec, file, positions, nodes, title, messages, _nav(spec), parent,
                        frozenset(secrets), _machine(nodes, spec.entry, parent), digest)


def compile_file(path: str) -> CompiledFlow:
    try:
        with open(path, encoding="utf-8") as fh:
            source = fh.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise FlowError([Diagnostic(path, 1, 1, "error", (), f"cannot read file: {exc}")]) from None
    spec, positions, diags = parse_file(path, source)
    if diags or spec is None:
        raise FlowError(diags)
    return compile_spec(spec, path, positions, source)
