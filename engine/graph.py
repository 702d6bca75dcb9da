"""The menu tree as a picture: Mermaid for docs and wikis, DOT for Graphviz."""

from __future__ import annotations

from engine.flow import CompiledFlow, Node

_SHAPES = {
    "menu": ("[", "]"), "input": ("[/", "/]"), "confirm": ("{{", "}}"), "call": ("[[", "]]"),
    "switch": ("{", "}"), "subflow": ("[[", "]]"), "transfer": ("([", "])"),
}


def _label(flow: CompiledFlow, node: Node) -> str:
    head = f"{node.name}: {node.kind}"
    if node.kind == "call":
        head += f" {node.spec.op}"
    elif node.kind == "subflow":
        head += f" → {node.spec.flow}"
    elif node.text is not None:
        src = node.text.get("", flow.locale, flow.locale).source.split("\n")[0]
        if src:
            head += f"\\n{src[:24]}"
    return head


def _edges(flow: CompiledFlow, node: Node) -> list[tuple[str, str]]:
    st = node.spec
    out: list[tuple[str, str]] = []
    for opt in node.options:
        label = opt.label.get("", flow.locale, flow.locale).source
        chans = f" ({','.join(sorted(opt.channels))})" if opt.channels else ""
        out.append((opt.goto, f"{opt.key} {label}{chans}"))
    for expr, case_target in node.cases:
        out.append((case_target, expr.source))
    for code, target in getattr(st, "errors", {}).items():
        out.append((target, code))
    named = {"default": "else", "fallback": "too many tries", "error": "error", "timeout": "timeout",
             "unavailable": "unavailable", "cancel": "no / expired"}
    for attr, name in named.items():
        target = getattr(st, attr, None)
        if isinstance(target, str) and not (attr == "error" and node.kind == "input"):
            out.append((target, name))
    goto = getattr(st, "goto", None)
    if goto:
        out.append((goto, "yes" if node.kind == "confirm" else "ok" if node.kind == "call" else ""))
    return out


def _mermaid_text(text: str) -> str:
    return text.replace('"', "'").replace("\\n", "<br/>")


def to_mermaid(flow: CompiledFlow) -> str:
    lines = ["flowchart TD", f'  start(("{_mermaid_text(flow.id)}")) --> {flow.spec.entry}']
    for node in flow.nodes.values():
        left, right = _SHAPES.get(node.kind, ("(", ")"))
        lines.append(f'  {node.name}{left}"{_mermaid_text(_label(flow, node))}"{right}')
    for node in flow.nodes.values():
        for target, label in _edges(flow, node):
            arrow = f' -- "{_mermaid_text(label)}" -->' if label else " -->"
            lines.append(f"  {node.name}{arrow} {target}")
    return "\n".join(lines) + "\n"


def _dot_text(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\\\\n", "\\n")


def to_dot(flow: CompiledFlow) -> str:
    shapes = {"menu": "box", "input": "parallelogram", "confirm": "diamond", "call": "box3d",
              "switch": "diamond", "subflow": "component", "transfer": "house"}
    lines = [f'digraph "{_dot_text(flow.id)}" {{', "  rankdir=LR;", '  node [fontname="Noto Sans CJK SC"];',
             f'  "__start" [shape=circle, label="{_dot_text(flow.id)}"];', f'  "__start" -> "{flow.spec.entry}";']
    for node in flow.nodes.values():
        shape = shapes.get(node.kind, "ellipse")
        lines.append(f'  "{node.name}" [shape={shape}, label="{_dot_text(_label(flow, node))}"];')
    for node in flow.nodes.values():
        for target, label in _edges(flow, node):
            lines.append(f'  "{node.name}" -> "{target}" [label="{_dot_text(label)}"];')
    lines.append("}")
    return "\n".join(lines) + "\n"
