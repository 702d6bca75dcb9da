"""Each state kind's docstring carries a YAML example, and the example stays valid.

(Import rules are not tested here: they are import-linter contracts in pyproject.toml,
proved in tests/test_import_contracts.py.)
"""

from __future__ import annotations

import re
import textwrap

import pytest
import yaml

from engine import spec

KINDS = [spec.MenuState, spec.InputState, spec.CallState, spec.ConfirmState, spec.MessageState, spec.SwitchState,
         spec.SubflowState, spec.TransferState, spec.SendState, spec.SetState]


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.__name__)
def test_state_docstring_example_is_valid(kind: type) -> None:
    doc = kind.__doc__ or ""
    match = re.search(r"Example::\n\n(.*)", doc, re.S)
    assert match, f"{kind.__name__} has no YAML example"
    states = yaml.safe_load(textwrap.dedent(match.group(1)))
    for body in states.values():
        kind.model_validate(body)
