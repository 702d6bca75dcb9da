"""The README's state-kind reference, written from the kinds themselves so it cannot drift.

Each kind's model docstring (summary and YAML example) and its fields (type,
default, description, as the JSON Schema sees them) become one subsection;
``menuflow reference --check`` fails CI when the README's copy is stale.
"""

from __future__ import annotations

import re
import textwrap
from typing import Any

from engine.flow.language import Language
from engine.flow.model import StateKind

BEGIN, END = "<!-- state-reference -->", "<!-- /state-reference -->"


def _type(prop: dict[str, Any]) -> str:
    """A field's type in the words of the flow language (text, state name, list of...)."""
    if "anyOf" in prop:
        parts = [_type(p) for p in prop["anyOf"] if p.get("type") != "null"]
        return " or ".join(dict.fromkeys(parts))
    if "$ref" in prop:
        return {"TextSpec": "text", "LocaleText": "text"}.get(prop["$ref"].rsplit("/", 1)[-1], "mapping")
    if "enum" in prop:
        return " \\| ".join(f"`{v}`" for v in prop["enum"])
    if prop.get("type") == "array":
        return f"list of {_type(prop.get('items', {}))}"
    if prop.get("type") == "object":
        values = prop.get("additionalProperties")
        return f"mapping to {_type(values)}" if isinstance(values, dict) else "mapping"
    if prop.get("type") == "string" and prop.get("minLength") == 1:  # StateRef is the only non-empty text
        return "state"
    return {"string": "text", "integer": "whole number", "number": "number", "boolean": "true/false"}.get(
        str(prop.get("type")), "value")


def _field_rows(kind: StateKind[Any]) -> list[str]:
    schema = kind.model.model_json_schema()
    required = set(schema.get("required", ()))
    rows = []
    for name, prop in schema["properties"].items():
        if name in ("type", "note"):
            continue
        if name in required:
            default = "required"
        elif prop.get("default") is None:
            default = "–"
        else:
            default = f"`{str(prop['default']).lower() if isinstance(prop['default'], bool) else prop['default']}`"
        desc = (prop.get("description") or "").replace("|", "\\|").replace("\n", " ")
        rows.append(f"| `{name}` | {_type(prop)} | {default} | {desc} |")
    return rows


def _doc(kind: StateKind[Any]) -> tuple[str, str]:
    doc = textwrap.dedent(kind.model.__doc__ or "").strip()
    summary = doc.partition("\n")[0].replace("``", "`")
    match = re.search(r"Example::\n\n(.*)", doc, re.S)
    example = textwrap.dedent(match.group(1)).strip() if match else ""
    return summary.strip(), example


def reference(lang: Language) -> str:
    """The Markdown between the README's state-reference markers."""
    out = [BEGIN, "", "| `type:` | what it does |", "|---|---|"]
    for kind in lang.kinds:
        summary, _ = _doc(kind)
        out.append(f"| {' / '.join(f'`{t}`' for t in kind.types)} | {summary} |")
    for kind in lang.kinds:
        summary, example = _doc(kind)
        out += ["", f"#### {' / '.join(f'`{t}`' for t in kind.types)}", "", summary, ""]
        rows = _field_rows(kind)
        if rows:
            out += ["| key | type | default | meaning |", "|---|---|---|---|", *rows, ""]
        if example:
            out += ["```yaml", example, "```"]
    out += ["", END]
    return "\n".join(out)


def replace_reference(readme: str, lang: Language) -> str:
    """``readme`` with its reference block regenerated (ValueError when the markers are missing)."""
    start, stop = readme.find(BEGIN), readme.find(END)
    if start < 0 or stop < start:
        raise ValueError(f"README has no {BEGIN} ... {END} block")
    return readme[:start] + reference(lang) + readme[stop + len(END):]
