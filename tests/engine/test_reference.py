"""The README's state-kind reference is written from the kinds and cannot drift."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.cli import main
from engine.flow.reference import BEGIN, END, reference, replace_reference
from engine.states import LANGUAGE

ROOT = Path(__file__).resolve().parents[2]


def test_readme_reference_is_current() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert replace_reference(readme, LANGUAGE) == readme, "run `menuflow reference`"


def test_every_kind_and_field_is_listed() -> None:
    text = reference(LANGUAGE)
    for kind in LANGUAGE.kinds:
        for name in kind.types:
            assert f"`{name}`" in text
        for field in kind.model.model_fields:
            if field not in ("type", "note"):
                assert f"| `{field}` |" in text, f"{kind.model.__name__}.{field} missing"


def test_check_fails_on_a_stale_readme_and_rewrite_fixes_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                                             ) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(f"# Manual\n\n{BEGIN}\nold table\n{END}\n\nmore\n", encoding="utf-8")
    assert main(["reference", "--readme", str(readme), "--check"]) == 1
    assert "out of date" in capsys.readouterr().out
    assert main(["reference", "--readme", str(readme)]) == 0
    assert main(["reference", "--readme", str(readme), "--check"]) == 0
    text = readme.read_text(encoding="utf-8")
    assert text.startswith("# Manual\n\n") and text.endswith("\n\nmore\n") and "#### `confirm`" in text


def test_missing_markers_are_an_error(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text("# Manual\n", encoding="utf-8")
    assert main(["reference", "--readme", str(readme), "--check"]) == 1
