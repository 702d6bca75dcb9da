"""Every state kind documents itself with a YAML example that really loads."""

from __future__ import annotations

import re
import textwrap
from typing import Any

import pytest
import yaml

from engine.flow.model import StateKind
from engine.states import LANGUAGE


@pytest.mark.parametrize("kind", LANGUAGE.kinds, ids=lambda k: type(k).__name__)
def test_state_docstring_example_is_valid(kind: StateKind[Any]) -> None:
    doc = kind.model.__doc__ or ""
    match = re.search(r"Example::\n\n(.*)", doc, re.S)
    assert match, f"{kind.model.__name__} has no YAML example"
    states = yaml.safe_load(textwrap.dedent(match.group(1)))
    assert states
    for body in states.values():
        kind.model.model_validate(body)
