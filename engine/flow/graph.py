"""The menu tree as a picture: Mermaid for docs and wikis, DOT for Graphviz; each kind draws its own box."""

from __future__ import annotations

from engine.flow.model import CompiledFlow


def _mermaid_text(text: str) -> str:
    return text.replace('"', "'").replace("\\n", "<br/>")


def to_mermaid(flow: CompiledFlow) -> str:
    lines = ["flowchart TD", f'  start(("{_mermaid_text(flow.id)}")) --> {flow.spec.entry}']
    for node in flow.nodes.values():
        left, right, _ = node.kind.shape
        lines.append(f'  {node.name}{left}"{_mermaid_text(node.kind.label(flow, node))}"{right}')
    for node in flow.nodes.values():
        for target, label in node.kind.graph_edges(flow, node):
            arrow = f' -- "{_mermaid_text(label)}" -->' if label else " -->"
            lines.append(f"  {node.name}{arrow} {target}")
    return "\n".join(lines) + "\n"


def _dot_text(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\\\\n", "\\n")


def to_dot(flow: CompiledFlow) -> str:
    lines = [f'digraph "{_dot_text(flow.id)}" {{', "  rankdir=LR;", '  node [fontname="Noto Sans CJK SC"];',
             f'  "__start" [shape=circle, label="{_dot_text(flow.id)}"];', f'  "__start" -> "{flow.spec.entry}";']
    for node in flow.nodes.values():
        shape = node.kind.shape[2]
        lines.append(f'  "{node.name}" [shape={shape}, label="{_dot_text(node.kind.label(flow, node))}"];')
    for node in flow.nodes.values():
        for target, label in node.kind.graph_edges(flow, node):
            lines.append(f'  "{node.name}" -> "{target}" [label="{_dot_text(label)}"];')
    lines.append("}")
    return "\n".join(lines) + "\n"
