"""Issue 13 problems 3 and 5: a transcript in the flows folder, YAML and schema mistakes in plain words."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from engine.flow.checks import check_paths
from engine.states import LANGUAGE
from tests.engine.helpers import write_flow

ROOT = Path(__file__).resolve().parents[2]

HEAD = """\
flow: x
title: X
version: 1
entry: main
states:
  main:
    type: menu
    text: hi
"""


def _errors(path: Path) -> list[str]:
    return [str(d) for d in check_paths(LANGUAGE, [str(path)], None) if d.severity == "error"]


def test_transcript_in_the_flows_folder_is_one_clear_error(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "flows" / "10086", tmp_path / "10086")
    shutil.copy(ROOT / "tests" / "transcripts" / "10086" / "sms_balance.yaml", tmp_path / "10086" / "t.yaml")
    errors = _errors(tmp_path)
    assert len(errors) == 1
    assert "t.yaml:1:1: error: this is a transcript (it has `steps:`), not a flow" in errors[0]
    assert "read recursively" in errors[0] and "tests/transcripts/" in errors[0]


@pytest.mark.parametrize(("tail", "expected"), [
    ("     options:\n      - {label: a, goto: main}\n",
     "f.yaml:9:13: error: YAML syntax: bad indentation: this line is indented further than the line above"),
    ("    options:\n      - {label: a, goto: main}\n   invalid: x\n",
     "f.yaml:11:4: error: YAML syntax: bad indentation: this line starts at column 4, but the keys of the block "
     "it belongs to start at column 3 (line 6)"),
    ("    invalid: a: b\n    options: [{label: a, goto: main}]\n",
     "f.yaml:9:15: error: YAML syntax: a text containing ': ' must be put in quotes"),
    ("    invalid: 'oops\n    options: [{label: a, goto: main}]\n",
     "f.yaml:9:14: error: YAML syntax: a quote opened here is never closed"),
    ("    options: [{label: a, goto: main}\n    invalid: x\n",
     "f.yaml:9:14: error: YAML syntax: the {...} or [...] opened here is not closed properly"),
])
def test_yaml_mistakes_on_the_right_line_in_plain_words(tmp_path: Path, tail: str, expected: str,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write_flow(tmp_path, HEAD + tail, "f.yaml")
    errors = _errors(Path("f.yaml"))
    assert len(errors) == 1 and errors[0].startswith(expected), errors
    assert "<block" not in errors[0] and "while parsing" not in errors[0]


def test_schema_mistakes_never_show_pydantic_text(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write_flow(tmp_path, HEAD.replace("version: 1", "version: 0").replace("text: hi", "text: [a, b]")
               + "    options: []\n", "f.yaml")
    errors = _errors(Path("f.yaml"))
    assert "f.yaml:3:10: error: version: expected a number of at least 1, got 0" in errors
    assert any("states.main.text: expected a mapping (key: value lines), got ['a', 'b']" in e for e in errors)
    assert any("states.main.options: expected at least 1 item(s), got []" in e for e in errors)
    assert not any("Input should" in e for e in errors)
