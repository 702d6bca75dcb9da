"""Variables starting with ``_`` are the engine's: every place a flow names one gets a located error."""

from __future__ import annotations

import pytest

from tests.engine.states.kit import errors_of, flow_text

RESERVED = "which is reserved for the engine"


@pytest.mark.parametrize(("states", "extra", "error"), [
    ("main: {type: input, text: 输入, var: _pg, goto: main}", "",
     f"f.yaml:10:38: error: states.main.var: variable '_pg' starts with '_', {RESERVED}; rename it (e.g. 'pg')"),
    ("main: {type: call, op: balance, result: _pe, goto: main}", "",
     f"f.yaml:10:43: error: states.main.result: variable '_pe' starts with '_', {RESERVED}; rename it (e.g. 'pe')"),
    ("main: {type: set, vars: {ok: '1', _x: '2'}, goto: main}", "",
     f"f.yaml:10:41: error: states.main.vars._x: variable '_x' starts with '_', {RESERVED}; rename it (e.g. 'x')"),
    ("main: {type: set, vars: {__: '2'}, goto: main}", "",
     f"f.yaml:10:32: error: states.main.vars.__: variable '__' starts with '_', {RESERVED}; "
     "rename it (e.g. 'value')"),
    ("main: {type: end, text: hi}", "secrets: [pin, _otp]\n",
     f"f.yaml:9:16: error: secrets[1]: variable '_otp' starts with '_', {RESERVED}"),
])
def test_a_variable_starting_with_underscore_is_a_located_error(states: str, extra: str, error: str) -> None:
    assert errors_of(flow_text(states, extra=extra)) == [error]
