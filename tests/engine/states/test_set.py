"""``set``: templates into variables, true/false as booleans, ``locale`` switching the language."""

from __future__ import annotations

import pytest

from engine.states import set as set_kind
from engine.states.set import typed
from tests.engine.states.kit import Kit, compile_states


@pytest.mark.parametrize(("text", "value"), [
    ("true", True), ("True", True), ("false", False), ("False", False),
    ("TRUE", "TRUE"), ("no", "no"), ("", ""), ("0", "0"),
])
def test_typed(text: str, value: object) -> None:
    assert typed(text) == value and type(typed(text)) is type(value)


SET = """
main:
  type: set
  vars:
    big: "{{ 2 > 1 }}"
    small: "{{ 1 > 2 }}"
    literal: false
    number: 5
    name: "用户{{ msisdn[-4:] }}"
  goto: check
check:
  type: switch
  cases:
    - {when: "small == false and big == true and literal == false", goto: ok}
  default: wrong
ok: {type: end, text: "{{ name }}/{{ number }}"}
wrong: {type: end, text: "错: {{ small }} {{ big }} {{ literal }}"}
"""


async def test_rendered_false_is_a_boolean_false() -> None:
    kit = Kit(compile_states(SET))
    assert (await kit.phone("sms").send("GO")).text == "用户8000/5"


async def test_a_later_assignment_sees_an_earlier_one_in_the_next_state() -> None:
    states = "main:\n  type: set\n  vars: {a: '1'}\n  goto: two\n" \
             "two:\n  type: set\n  vars: {b: '{{ a }}2'}\n  goto: said\nsaid: {type: end, text: '{{ b }}'}\n"
    kit = Kit(compile_states(states))
    assert (await kit.phone("sms").send("GO")).text == "12"


async def test_locale_switches_the_language_and_is_not_a_variable() -> None:
    states = "main:\n  type: set\n  vars: {locale: en, after: x}\n  goto: said\n" \
             "said: {type: end, text: {zh: '中文{{ locale }}', en: 'English {{ locale }} {{ after }}'}}\n"
    kit = Kit(compile_states(states))
    r = await kit.phone("sms").send("GO")
    assert r.text == "English en x" and r.locale == "en"
    assert kit.engine.world.locale_changed == {"8613800138000"}


async def test_an_unknown_locale_is_ignored() -> None:
    states = "main:\n  type: set\n  vars: {locale: fr}\n  goto: said\n" \
             "said: {type: end, text: {zh: 中文, en: English}}\n"
    kit = Kit(compile_states(states))
    r = await kit.phone("sms").send("GO")
    assert r.text == "中文" and r.locale == "zh"


def test_declarations() -> None:
    f = compile_states(SET)
    n = f.nodes["main"]
    k = set_kind.KIND
    assert [v for _, v in k.defines("main", n.spec)] == ["big", "small", "literal", "number", "name"]
    assert [p for p, _ in k.templates("main", n.spec)] == [
        ("states", "main", "vars", "big"), ("states", "main", "vars", "small"), ("states", "main", "vars", "name")]
    assert n.params["literal"].source == "False" and n.params["number"].source == "5"
    assert k.label(f, n) == "main: set" and k.graph_edges(f, n) == [("check", "")]


def test_a_broken_template_is_located_at_its_variable() -> None:
    from tests.engine.states.kit import errors_of, flow_text
    [error] = errors_of(flow_text("main:\n  type: set\n  vars: {a: '1', b: '{{ x'}\n  goto: done\n"
                                  "done: {type: end, text: x}\n"))
    assert error.startswith("f.yaml:12:23: error: states.main.vars.b: template syntax: ")
