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


#: Bounds on one flow file, each reported where it is crossed. A flow file is edited by hand and
#: reloaded by a running server: an alias bomb (a few lines that expand to billions of values),
#: 10,000-deep nesting (PyYAML composes recursively) or a stray NUL must be an error, not an
#: out-of-memory, a RecursionError or a traceback.
MAX_DEPTH = 64
MAX_ALIASES = 100
MAX_VALUES = 200_000

_OPEN = (yaml.BlockMappingStartToken, yaml.BlockSequenceStartToken, yaml.FlowMappingStartToken,
         yaml.FlowSequenceStartToken)
_CLOSE = (yaml.BlockEndToken, yaml.FlowMappingEndToken, yaml.FlowSequenceEndToken)


def _precheck(text: str, filename: str) -> None:
    """Scan tokens (iteratively, unlike composing) for nesting and aliases past the bounds."""
    depth = aliases = 0
    try:
        for token in yaml.scan(text, Loader=_Loader):
            if isinstance(token, _OPEN):
                depth += 1
                if depth > MAX_DEPTH:
                    raise YamlLoadError(_mark(filename, token.start_mark, f"nested more than {MAX_DEPTH} levels deep"))
            elif isinstance(token, _CLOSE):
                depth -= 1
            elif isinstance(token, yaml.AliasToken):
                aliases += 1
                if aliases > MAX_ALIASES:
                    raise YamlLoadError(_mark(filename, token.start_mark, f"more than {MAX_ALIASES} aliases (*name)"))
    except yaml.reader.ReaderError as exc:
        before = text[: exc.position]
        line, col = before.count("\n") + 1, exc.position - (before.rfind("\n") + 1) + 1
        code = ord(exc.character) if isinstance(exc.character, str) else int(exc.character)
        what = f"character U+{code:04X}"
        raise YamlLoadError(Diagnostic(filename, line, col, "error", (),
                                       f"YAML syntax: {what} is not allowed in a flow file ({exc.reason})")) from None
    except yaml.MarkedYAMLError:
        return  # reported, with its position, by the full parse


def _mark(filename: str, mark: yaml.Mark, message: str) -> Diagnostic:
    return Diagnostic(filename, mark.line + 1, mark.column + 1, "error", (), f"YAML: {message}")


def load_with_positions(text: str, filename: str) -> tuple[Any, Positions]:
    """Parse one YAML document into plain data plus a path → position map."""
    _precheck(text, filename)
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        line, col, msg = explain(exc, text.splitlines())
        raise YamlLoadError(Diagnostic(filename, line, col, "error", (), f"YAML syntax: {msg}")) from None
    finally:
        loader.dispose()
    positions: Positions = {}
    if node is None:
        return None, positions
    data = _convert(node, (), positions, loader, filename, [MAX_VALUES])
    return data, positions


def explain(exc: yaml.MarkedYAMLError, lines: list[str]) -> tuple[int, int, str]:
    """PyYAML's parser jargon as plain words, at the line the author has to change."""
    mark, ctx = exc.problem_mark or exc.context_mark, exc.context_mark
    line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    problem, context = exc.problem or "", exc.context or ""
    if problem.startswith("expected <block end>") and ctx is not None:
        what = "list items" if "collection" in context else "keys"
        return line, col, (f"bad indentation: this line starts at column {col}, but the {what} of the block "
                           f"it belongs to start at column {ctx.column + 1} (line {ctx.line + 1}); "
                           "line it up with them, or with the keys of the block around it")
    if problem.startswith("mapping values are not allowed"):
        text = lines[line - 1] if 0 < line <= len(lines) else ""
        if ": " in text[: col - 1]:
            return line, col, "a text containing ': ' must be put in quotes (\"...\") when it is a value"
        return line, col, ("bad indentation: this line is indented further than the line above, so it reads as "
                           "part of that value; indent it like the keys beside it")
    if "\\t" in problem or "\t" in problem:
        return line, col, "a tab character: indent YAML with spaces only"
    if "quoted scalar" in context and ctx is not None:
        return ctx.line + 1, ctx.column + 1, "a quote opened here is never closed"
    if "flow" in context and ctx is not None and ctx.line + 1 == line:
        return line, col, ("inside {...} or [...] put texts containing ':', '?', '{', '}' or ',' in quotes; "
                           "the text here breaks the brackets")
    if "flow" in context and ctx is not None:
        return ctx.line + 1, ctx.column + 1, (
            f"the {{...}} or [...] opened here is not closed properly (at line {line}: {problem}); "
            "inside {...} or [...] put texts containing ':', '?', '{', '}' or ',' in quotes")
    return line, col, f"this cannot be read as YAML ({problem or 'invalid syntax'})"


def _convert(node: yaml.Node, path: Path, pos: Positions, loader: _Loader, filename: str,
             budget: list[int]) -> Any:
    if len(path) > MAX_DEPTH:  # an alias inside its own anchor (a: &a [*a]) nests without end
        raise YamlLoadError(_at(filename, node, path[:MAX_DEPTH], f"nested more than {MAX_DEPTH} levels deep "
                                                                  "(an alias inside its own anchor?)"))
    budget[0] -= 1
    if budget[0] < 0:  # aliases re-use nodes: a few lines can stand for billions of values
        raise YamlLoadError(_at(filename, node, path, f"the document expands to more than {MAX_VALUES} values "
                                                      "(aliases repeating aliases?)"))
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
            out[key] = _convert(value_node, (*path, key), pos, loader, filename, budget)
            pos.setdefault(("#key", *path, key), (key_node.start_mark.line + 1, key_node.start_mark.column + 1))
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_convert(item, (*path, i), pos, loader, filename, budget) for i, item in enumerate(node.value)]
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
