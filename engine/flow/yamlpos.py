"""Safe YAML loading that remembers where every value came from.

PyYAML's composed nodes carry marks; we keep a map from document path to
(line, col) so schema errors point at the exact spot a product owner typed.
Booleans are only ``true``/``false``: YAML 1.1's ``yes``/``no``/``on``/``off``
are kept as strings because confirmation tokens like ``Y`` and ``no`` are data.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from engine.flow.diagnostics import Diagnostic, Path

Positions = dict[Path, tuple[int, int]]


class _Loader(yaml.SafeLoader):
    pass


_Loader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:bool"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
for _first in "tTfF":
    _Loader.yaml_implicit_resolvers.setdefault(_first, []).append(
        ("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"))
    )


class YamlLoadError(Exception):
    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(str(diagnostic))
        self.diagnostic = diagnostic


def load_with_positions(text: str, filename: str) -> tuple[Any, Positions]:
    """Parse one YAML document into plain data plus a path → position map."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        msg = f"{exc.problem or 'invalid YAML'}" + (f" ({exc.context})" if exc.context else "")
        if exc.context and "flow" in exc.context:
            msg += "; inside {...} or [...] put texts containing ':', '?', '{', '}' or ',' in quotes"
        raise YamlLoadError(Diagnostic(filename, line, col, "error", (), f"YAML syntax: {msg}")) from None
    finally:
        loader.dispose()
    positions: Positions = {}
    if node is None:
        return None, positions
    data = _convert(node, (), positions, loader, filename)
    return data, positions


def _convert(node: yaml.Node, path: Path, pos: Positions, loader: _Loader, filename: str) -> Any:
    pos[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise YamlLoadError(_at(filename, key_node, path, "mapping keys must be plain text"))
            key = str(key_node.value)
            if key == "<<":
                raise YamlLoadError(_at(filename, key_node, path, "merge keys (<<) are not supported"))
            if key in out:
                raise YamlLoadError(
                    _at(filename, key_node, (*path, key), f"duplicate key '{key}' (each key may appear once)")
                )
            out[key] = _convert(value_node, (*path, key), pos, loader, filename)
            pos.setdefault(("#key", *path, key), (key_node.start_mark.line + 1, key_node.start_mark.column + 1))
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_convert(item, (*path, i), pos, loader, filename) for i, item in enumerate(node.value)]
    try:
        return loader.construct_object(node, deep=True)
    except yaml.constructor.ConstructorError as exc:
        raise YamlLoadError(_at(filename, node, path, f"cannot read value: {exc.problem}")) from None


def _at(filename: str, node: yaml.Node, path: Path, message: str) -> Diagnostic:
    return Diagnostic(filename, node.start_mark.line + 1, node.start_mark.column + 1, "error", path, message)


def locate(positions: Positions, path: Path) -> tuple[int, int]:
    """Position of ``path``, or of its nearest ancestor that exists in the file."""
    p = tuple(path)
    while p:
        if p in positions:
            return positions[p]
        p = p[:-1]
    return positions.get((), (1, 1))
