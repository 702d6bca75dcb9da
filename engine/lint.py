"""Warnings a product owner wants before go-live; the flow still runs with them.

Each check answers a question a reviewer would ask: can anyone reach this
state, can they get out, does it fit the screen or the caller's memory, is a
paid operation confirmed first.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from engine.backend.base import OperationInfo
from engine.channels import PROFILES, sms_segments
from engine.compiler import iter_texts
from engine.diagnostics import Diagnostic, Path
from engine.flow import CompiledFlow
from engine.registry import FlowRegistry
from engine.render import page_footers, paginate, render_menu, ussd_units
from engine.spec import TextSpec
from engine.templates import BUILTINS, expr_variables, template_variables
from engine.yamlpos import locate

ENGINE_VARS = frozenset({"error_code"})


def _warn(flow: CompiledFlow, path: Path, message: str) -> Diagnostic:
    line, col = locate(flow.positions, path)
    return Diagnostic(flow.file, line, col, "warning", path, message)


def _starts(flow: CompiledFlow) -> list[str]:
    starts = [flow.spec.entry]
    for ch in ("sms", "ussd", "ivr"):
        starts += [t.goto for t in getattr(flow.spec.triggers, ch) if t.goto]
    return starts


def _reach(flow: CompiledFlow, starts: list[str], skip: frozenset[str] = frozenset()) -> set[str]:
    seen: set[str] = set()
    todo = [s for s in starts if s not in skip]
    while todo:
        name = todo.pop()
        if name in seen or name not in flow.nodes:
            continue
        seen.add(name)
        todo.extend(t for t in flow.nodes[name].edges if t not in skip)
    return seen


def lint_flow(flow: CompiledFlow, operations: Mapping[str, OperationInfo] | None = None,
              known_vars: set[str] | None = None) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    reachable = _reach(flow, _starts(flow))
    for name in flow.nodes:
        if name not in reachable:
            out.append(_warn(flow, ("states", name), f"state '{name}' is unreachable from the entry or any trigger"))
    out += _dead_ends(flow)
    out += _auto_loops(flow)
    if operations is not None:
        for name, node in flow.nodes.items():
            if node.kind == "call" and node.spec.op not in operations:
                out.append(_warn(flow, ("states", name, "op"),
                                 f"unknown backend operation '{node.spec.op}'; the backend offers: "
                                 f"{', '.join(sorted(operations))}"))
        out += _unguarded_paid(flow, operations)
    if known_vars is not None:
        out += _unknown_vars(flow, known_vars)
    out += _translations(flow)
    out += _channel_fit(flow)
    return out


def _dead_ends(flow: CompiledFlow) -> Iterator[Diagnostic]:
    enders = {n for n, node in flow.nodes.items() if node.ends}
    # reverse reachability from every ending state
    preds: dict[str, set[str]] = {n: set() for n in flow.nodes}
    for node in flow.nodes.values():
        for t in node.edges:
            if t in preds:
                preds[t].add(node.name)
    alive = set(enders)
    todo = list(enders)
    while todo:
        for p in preds[todo.pop()]:
            if p not in alive:
                alive.add(p)
                todo.append(p)
    for name in flow.nodes:
        if name not in alive:
            yield _warn(flow, ("states", name),
                        f"dead end: no path from '{name}' ever ends the session (add an end, message or transfer)")


def _auto_loops(flow: CompiledFlow) -> Iterator[Diagnostic]:
    """Cycles made only of automatic states would spin without waiting for the subscriber."""
    auto = {n for n, node in flow.nodes.items() if not node.waiting and node.kind != "subflow"}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    sccs: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in flow.nodes[v].edges:
            if w not in auto:
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            sccs.append(comp)

    for v in sorted(auto):
        if v not in index:
            visit(v)
    for comp in sccs:
        if len(comp) > 1 or comp[0] in flow.nodes[comp[0]].edges:
            first = sorted(comp)[0]
            yield _warn(flow, ("states", first),
                        f"loop with no exit for the subscriber: {' → '.join(sorted(comp))} never waits for input")


def _unguarded_paid(flow: CompiledFlow, operations: Mapping[str, OperationInfo]) -> Iterator[Diagnostic]:
    confirms = frozenset(n for n, node in flow.nodes.items() if node.kind == "confirm")
    unguarded = _reach(flow, _starts(flow), confirms)
    for name, node in flow.nodes.items():
        info = operations.get(node.spec.op) if node.kind == "call" else None
        if info is not None and info.paid and name in unguarded:
            yield _warn(flow, ("states", name, "op"),
                        f"paid operation '{node.spec.op}' can run without a confirm state before it")


def defined_vars(registry: FlowRegistry) -> set[str] | None:
    """Variables any flow can set; None when a call merges unknown result keys."""
    names = set(BUILTINS) | ENGINE_VARS
    for flow in registry.current.values():
        names |= set(flow.spec.secrets)
        for node in flow.nodes.values():
            if node.kind == "input":
                names.add(node.spec.var)
            elif node.kind == "call":
                if node.spec.result is None:
                    return None
                names.add(node.spec.result)
            elif node.kind == "set":
                names |= set(node.spec.vars)
    return names


def _unknown_vars(flow: CompiledFlow, known: set[str]) -> Iterator[Diagnostic]:
    for path, text in iter_texts(flow.spec):
        sources = [text] if isinstance(text, str) else _all_sources(text)
        for src in sources:
            for var in sorted(template_variables(src) - known):
                yield _warn(flow, path, f"unknown variable '{var}' (no input, call result or set defines it)")
    for name, node in flow.nodes.items():
        for key, tpl in node.params.items():
            for var in sorted(template_variables(tpl.source) - known):
                yield _warn(flow, ("states", name, "params" if node.kind == "call" else "vars", key),
                            f"unknown variable '{var}'")
        exprs = [(("states", name, "cases", i, "when"), c.when) for i, c in enumerate(getattr(node.spec, "cases", ()))]
        exprs += [(("states", name, "options", i, "when"), o.when)
                  for i, o in enumerate(getattr(node.spec, "options", ())) if o.when]
        for path, source in exprs:
            for var in sorted(expr_variables(source) - known):
                yield _warn(flow, path, f"unknown variable '{var}'")


def _all_sources(text: TextSpec) -> list[str]:
    out = [v for v in (text.zh, text.en) if v]
    for ch in (text.sms, text.ussd, text.ivr):
        if isinstance(ch, str):
            out.append(ch)
        elif ch is not None:
            out += [v for v in (ch.zh, ch.en) if v]
    return out


def _translations(flow: CompiledFlow) -> Iterator[Diagnostic]:
    for path, text in iter_texts(flow.spec):
        if isinstance(text, str):
            continue
        missing = [loc for loc in flow.spec.locales if getattr(text, loc) is None]
        if missing:
            yield _warn(flow, path, f"missing translation: {', '.join(missing)}")


def _channel_fit(flow: CompiledFlow) -> Iterator[Diagnostic]:
    max_ivr = PROFILES["ivr"].max_ivr_options
    max_sms = PROFILES["sms"].max_sms_segments
    for name, node in flow.nodes.items():
        base: Path = ("states", name)
        if node.kind == "menu":
            ivr = node.by_channel.get("ivr", ())
            if len(ivr) > max_ivr:
                yield _warn(flow, (*base, "options"),
                            f"IVR level has {len(ivr)} options; callers remember at most {max_ivr} "
                            "(hide some with `channels:` or group them in a submenu)")
            for ch in ("sms", "ussd", "ivr"):
                nav = flow.nav[ch]
                taken = nav.main | nav.back | nav.repeat | nav.more | (nav.agent if ch == "ivr" else frozenset())
                for opt in node.by_channel.get(ch, ()):
                    if opt.key in taken:
                        yield _warn(flow, (*base, "options", node.options.index(opt)),
                                    f"option key '{opt.key}' is also a navigation key on {ch}; navigation wins")
        for loc in flow.spec.locales:
            if node.kind == "menu":
                text = render_menu(flow, node, "ussd", loc, {"locale": loc, "channel": "ussd"})
                pages = paginate(text, *page_footers(flow, loc))
                if len(pages) > 1:
                    n, limit = ussd_units(text)
                    yield _warn(flow, (*base, "text"),
                                f"{loc} USSD menu is {n} characters, a page holds {limit}: "
                                f"it will be split into {len(pages)} pages")
            own = node.text is not None and (("sms", loc) in node.text.by_key or ("", loc) in node.text.by_key)
            if node.text is not None and own and node.kind in ("message", "end", "send", "input", "confirm"):
                sms = node.text.get("sms", loc, flow.locale)
                if sms.static:
                    enc, parts = sms_segments(sms.source)
                    if parts > max_sms:
                        yield _warn(flow, (*base, "text"),
                                    f"{loc} SMS text needs {parts} {enc} segments (more than {max_sms})")
