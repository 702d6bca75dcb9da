"""The language the kinds make together: one kind per type name, and the flow-file model editors get.

``engine.states.LANGUAGE`` is built once at import; these build a fresh
``Language`` from the same kinds, so what they check is the construction itself.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.flow.diagnostics import Diagnostic, FlowError
from engine.flow.language import Language
from engine.states import LANGUAGE, menu

SCHEMA = Path(__file__).resolve().parents[2] / "flows" / "schema.json"


def test_a_type_name_registered_twice_is_refused() -> None:
    with pytest.raises(ValueError) as err:
        Language((*LANGUAGE.kinds, menu.KIND))
    assert str(err.value) == "state type 'menu' registered twice"


def test_the_kinds_make_the_committed_editor_schema() -> None:
    """flows/schema.json (``menuflow schema``): states by their ``type``, at least one, the file's docs."""
    schema = Language(LANGUAGE.kinds).flow_model.model_json_schema()
    committed = json.loads(SCHEMA.read_text(encoding="utf-8"))
    for key in ("$schema", "title"):  # set by the command, not by the model
        committed.pop(key)
        schema.pop(key, None)
    assert schema == committed
    states = schema["properties"]["states"]
    assert states["minProperties"] == 1
    assert states["additionalProperties"]["discriminator"]["propertyName"] == "type"


def test_one_state_is_enough_and_none_is_an_error() -> None:
    model = Language(LANGUAGE.kinds).flow_model
    head = {"flow": "x", "title": "t", "version": 1, "entry": "main"}
    assert list(model.model_validate({**head, "states": {"main": {"type": "end", "text": "bye"}}}).states) == ["main"]
    with pytest.raises(ValueError, match="at least 1 item"):
        model.model_validate({**head, "states": {}})


def test_a_flow_error_says_every_diagnostic_one_per_line() -> None:
    diags = [Diagnostic("f.yaml", 3, 5, "error", ("states", "main", "options", 0), "unknown state 'x'"),
             Diagnostic("g.yaml", 1, 1, "warning", (), "no entry")]
    err = FlowError(diags)
    assert str(err) == "f.yaml:3:5: error: states.main.options[0]: unknown state 'x'\ng.yaml:1:1: warning: no entry"
    assert err.diagnostics == diags
