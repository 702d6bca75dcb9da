"""Fuzz the flow loader: any text is a flow or a located FlowError — never another exception."""

from __future__ import annotations

from pathlib import Path

from hypothesis import example, given
from hypothesis import strategies as st

from engine.flow.compiler import compile_spec, parse_file
from engine.flow.diagnostics import FlowError
from engine.states import LANGUAGE

DEMO = (Path(__file__).resolve().parents[2] / "flows" / "10086" / "auth.yaml").read_text(encoding="utf-8")
YAML_BITS = st.sampled_from(["&a ", "*a", "[", "]", "{", "}", ": ", "- ", "\n  ", "\t", "\x00", "'", '"',
                             "!!python/object ", "<<: ", "? ", "|", ">", "#", "%YAML 1.1\n", "---\n", "...\n",
                             "\ufeff", "\ud7ff", "{{", "{%"])


def load(text: str) -> None:
    spec, positions, diags = parse_file(LANGUAGE, "fuzz.yaml", text)
    for d in diags:
        assert d.file == "fuzz.yaml" and d.line >= 1 and d.col >= 1, d
    if spec is not None and not diags:
        try:
            compile_spec(LANGUAGE, spec, "fuzz.yaml", positions, text)
        except FlowError as exc:
            assert all(d.line >= 1 for d in exc.diagnostics)


@given(st.text(max_size=400))
@example("a: &a [*a]")
@example("flow: x\nstates: " + "[" * 200)
@example("a: !!python/object/apply:os.system ['true']")
def test_any_text(text: str) -> None:
    load(text)


@given(st.lists(st.tuples(st.integers(0, len(DEMO)), YAML_BITS), max_size=6))
def test_mutated_demo_flow(edits: list[tuple[int, str]]) -> None:
    text = DEMO
    for at, bit in sorted(edits, reverse=True):
        text = text[:at] + bit + text[at:]
    load(text)
