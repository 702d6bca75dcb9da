"""Result shapes: which fields a variable holds, so ``{{ sub.balanse }}`` is caught before go-live.

A call's result takes its shape from the operation's declaration in the
backend catalogue (``OperationInfo.result`` / ``result_items``); a list
menu's chosen item takes the shape of the list's items. Templates are read
through Jinja2's own parser, so ``x.f``, ``x['f']``, ``for i in x.list`` and
``x.list[n].f`` are all checked the way they will be evaluated.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from jinja2 import nodes

from engine.flow.templates import ENV
from engine.ports.backend import OperationInfo


@dataclass(frozen=True)
class Shape:
    """A dict with known ``fields`` (None: any), some of them lists of ``lists[name]``-shaped items."""

    fields: frozenset[str] | None = None
    lists: Mapping[str, Shape] = field(default_factory=dict)
    #: Where the shape comes from, for messages: "operation 'packages'".
    source: str = ""
    #: Set when the value is itself a list: the shape of its items.
    element: Shape | None = None

    @classmethod
    def of(cls, info: OperationInfo) -> Shape | None:
        if info.result is None:
            return None
        source = f"operation '{info.name}'"
        lists = {name: cls(frozenset(item), source=f"items of {info.name}.{name}")
                 for name, item in info.result_items}
        return cls(frozenset(info.result), lists, source)

    def merged(self, other: Shape | None) -> Shape | None:
        """Two states fill one variable: only fields both declare are certain; unknown wins."""
        if other is None or self.fields is None or other.fields is None:
            return None
        return Shape(self.fields | other.fields, {**other.lists, **self.lists},
                     f"{self.source} or {other.source}")


Env = Mapping[str, "Shape | None"]


def _field(node: nodes.Node) -> str | None:
    if isinstance(node, nodes.Getattr):
        return node.attr
    if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str):
        return node.arg.value
    return None


class _Checker:
    def __init__(self) -> None:
        self.problems: list[str] = []

    def resolve(self, node: nodes.Node, env: Env) -> Shape | None:
        """The shape of an expression, reporting unknown fields on the way."""
        if isinstance(node, nodes.Name):
            return env.get(node.name)
        if isinstance(node, (nodes.Getattr, nodes.Getitem)):
            name = _field(node)
            base = self.resolve(node.node, env)
            if name is None:  # x[expr]: an item of a list
                assert isinstance(node, nodes.Getitem)
                self.visit(node.arg, env)
                return base.element if base is not None else None
            if base is None or base.element is not None or base.fields is None:
                return None
            if name not in base.fields:
                hint = difflib.get_close_matches(name, sorted(base.fields), n=1)
                did = f" (did you mean '{hint[0]}'?)" if hint else ""
                self.problems.append(f"no field '{name}' in {_shown(node.node)}{did}; {base.source} gives: "
                                     f"{', '.join(sorted(base.fields)) or 'no fields'}")
                return None
            item = base.lists.get(name)
            return Shape(element=item) if item is not None else None
        self.visit(node, env)
        return None

    def visit(self, node: nodes.Node, env: Env) -> None:
        if isinstance(node, nodes.For):
            shape = self.resolve(node.iter, env)
            inner = dict(env)
            if isinstance(node.target, nodes.Name):
                inner[node.target.name] = shape.element if shape is not None else None
            for child in (*node.body, *node.else_):
                self.visit(child, inner)
            if node.test is not None:
                self.visit(node.test, inner)
            return
        for child in node.iter_child_nodes():
            if isinstance(child, (nodes.Name, nodes.Getattr, nodes.Getitem)):
                self.resolve(child, env)
            else:
                self.visit(child, env)


def _shown(node: nodes.Node) -> str:
    if isinstance(node, nodes.Name):
        return f"'{node.name}'"
    name = _field(node)
    inner = getattr(node, "node", None)
    if name is not None and inner is not None:
        return f"{_shown(inner)[:-1]}.{name}'"
    return "an item" if inner is None else f"{_shown(inner)[:-1]}[...]'"


def field_problems(source: str, env: Env) -> Iterator[str]:
    """Unknown fields a template reads from variables of known shape."""
    if ("{{" not in source and "{%" not in source) or not any(env.values()):
        return iter(())
    checker = _Checker()
    checker.visit(ENV.parse(source), env)
    return iter(checker.problems)


def expr_shape(source: str, env: Env) -> tuple[Shape | None, list[str]]:
    """The shape an expression evaluates to (a list menu's ``items:``) and unknown fields it reads."""
    checker = _Checker()
    tree = ENV.parse("{{ " + source + " }}")
    output = tree.body[0] if tree.body else None
    if not isinstance(output, nodes.Output) or len(output.nodes) != 1:
        return None, []
    return checker.resolve(output.nodes[0], env), checker.problems
