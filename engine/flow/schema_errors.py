"""Turn pydantic's validation errors into located, human diagnostics.

pydantic reports locations that include union member names and
discriminator tags; we walk the actual document to keep only the parts a
product owner typed, then look up the line and column of that path.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from engine.flow.diagnostics import Diagnostic, Path
from engine.flow.language import Language
from engine.flow.yamlpos import Positions, locate

_UNION_MEMBERS = frozenset({"str", "int", "float", "bool", "list", "dict"})


def doc_path(data: Any, loc: tuple[str | int, ...]) -> Path:
    """Keep the loc elements that exist in the document; drop pydantic's union tags."""
    out: list[str | int] = []
    cur = data
    for part in loc:
        in_dict = isinstance(cur, dict) and isinstance(part, str) and part in cur
        in_list = isinstance(cur, list) and isinstance(part, int) and 0 <= part < len(cur)
        if in_dict or in_list:
            out.append(part)
            cur = cur[part]
        elif (
            isinstance(cur, dict)
            and isinstance(part, str)
            and part[:1].islower()
            and part not in _UNION_MEMBERS
            and part != cur.get("type")
        ):
            # a missing or extra key: keep it when it names a field, not a union member
            out.append(part)
            cur = None
    return tuple(out)


def _message(err: Any, data: Any, path: Path, lang: Language) -> str:
    kind = err["type"]
    if kind == "missing":
        return f"missing required key '{path[-1]}'"
    if kind == "extra_forbidden":
        hint = difflib.get_close_matches(str(path[-1]), lang.vocabulary, n=1, cutoff=0.6)
        did = f" (did you mean '{hint[0]}'?)" if hint else ""
        return f"unknown key '{path[-1]}'{did}"
    if kind == "union_tag_invalid":
        return f"unknown state type {err['input'].get('type')!r}; expected one of: {lang.type_names}"
    if kind == "union_tag_not_found":
        return f"missing 'type'; write one of: {lang.type_names}"
    if kind in _PLAIN:
        return _PLAIN[kind](err.get("ctx") or {}) + f", got {_shown(err.get('input'))}"
    if kind in ("string_type", "model_type", "dict_type", "list_type", "int_type", "float_type", "bool_type",
                "model_attributes_type"):
        expected = {
            "string_type": "text",
            "model_type": "a mapping (key: value lines)",
            "model_attributes_type": "a mapping (key: value lines)",
            "dict_type": "a mapping (key: value lines)",
            "list_type": "a list ([a, b] or '- ' lines)",
            "int_type": "a whole number",
            "float_type": "a number",
            "bool_type": "true or false",
        }[kind]
        return f"expected {expected}, got {_shown(err.get('input'))}"
    msg = str(err["msg"])
    return f"not accepted here: {msg[:1].lower()}{msg[1:]} (got {_shown(err.get('input'))})"


#: pydantic error types worded for a flow author (ctx holds the limit that was broken).
_PLAIN: dict[str, Callable[[dict[str, Any]], str]] = {
    "literal_error": lambda c: f"expected one of {c.get('expected', '')}",
    "string_pattern_mismatch": lambda c: f"expected text of the form {c.get('pattern', '')!r}",
    "string_too_short": lambda c: "expected a text that is not empty",
    "too_short": lambda c: f"expected at least {c.get('min_length', 1)} item(s)",
    "too_long": lambda c: f"expected at most {c.get('max_length', '')} item(s)",
    "greater_than_equal": lambda c: f"expected a number of at least {c.get('ge', '')}",
    "less_than_equal": lambda c: f"expected a number of at most {c.get('le', '')}",
    "greater_than": lambda c: f"expected a number above {c.get('gt', '')}",
    "less_than": lambda c: f"expected a number below {c.get('lt', '')}",
    "int_parsing": lambda c: "expected a whole number",
    "int_from_float": lambda c: "expected a whole number",
    "float_parsing": lambda c: "expected a number",
    "bool_parsing": lambda c: "expected true or false",
}


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def diagnostics_from(exc: ValidationError, data: Any, positions: Positions, filename: str, lang: Language
                     ) -> list[Diagnostic]:
    """One diagnostic per document path, preferring the most specific message."""
    by_path: dict[Path, Diagnostic] = {}
    for err in exc.errors():
        path = doc_path(data, tuple(err["loc"]))
        line, col = locate(positions, ("#key", *path)) if err["type"] == "extra_forbidden" else locate(
            positions, path
        )
        diag = Diagnostic(filename, line, col, "error", path, _message(err, data, path, lang))
        known = by_path.get(path)
        # for `str | mapping` unions pydantic reports both arms: keep the mapping's deeper error
        if known is None or known.message.startswith("expected text"):
            by_path[path] = diag
    # drop a parent's "expected text" when a child was reported (the mapping arm was meant)
    paths = list(by_path)
    for p in paths:
        if by_path[p].message.startswith("expected text") and any(q[: len(p)] == p and q != p for q in paths):
            del by_path[p]
    return sorted(by_path.values(), key=lambda d: (d.line, d.col))
