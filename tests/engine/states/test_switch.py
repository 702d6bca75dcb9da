"""``switch``: the first true case wins, a failing condition is false, else ``default``."""

from __future__ import annotations

from engine.states import switch
from tests.engine.states.kit import Kit, compile_states

SWITCH = """
main:
  type: set
  vars: {n: "{{ msisdn[-1] }}"}
  goto: pick
pick:
  type: switch
  cases:
    - {when: "n == '0'", goto: zero}
    - {when: "n|int < 5", goto: low}
    - {when: "undefined_thing.attr.deeper > 1", goto: low}
    - {when: "true", goto: any}
  default: never
zero: {type: end, text: 零}
low: {type: end, text: 小}
any: {type: end, text: 其他}
never: {type: end, text: 不会}
"""


async def test_first_true_case_wins() -> None:
    kit = Kit(compile_states(SWITCH))
    assert (await kit.phone("sms").send("GO")).text == "零"  # 8613800138000: both the first and "true" hold
    assert (await kit.phone("sms", msisdn="8613800138003").send("GO")).text == "小"
    assert (await kit.phone("sms", msisdn="8613800138009").send("GO")).text == "其他"


async def test_default_when_no_case_holds_and_a_failing_case_is_false() -> None:
    states = "main:\n  type: switch\n  cases:\n    - {when: \"1 / 0\", goto: a}\n    - {when: \"false\", goto: a}\n" \
             "  default: b\na: {type: end, text: A}\nb: {type: end, text: B}\n"
    kit = Kit(compile_states(states))
    assert (await kit.phone("sms").send("GO")).text == "B"


def test_declarations_and_graph() -> None:
    f = compile_states(SWITCH)
    n = f.nodes["pick"]
    k = switch.KIND
    assert len(n.cases) == 4 and n.static
    assert next(iter(k.expressions("pick", n.spec))) == (("states", "pick", "cases", 0, "when"), "n == '0'")
    assert k.graph_edges(f, n) == [("zero", "n == '0'"), ("low", "n|int < 5"),
                                   ("low", "undefined_thing.attr.deeper > 1"), ("any", "true"), ("never", "else")]
    assert n.edges == ("never", "zero", "low", "any")
    assert k.shape == ("{", "}", "diamond") and k.label(f, n) == "pick: switch"


def test_unknown_targets_and_broken_conditions_are_located() -> None:
    from tests.engine.states.kit import errors_of, flow_text
    text = flow_text("main:\n  type: switch\n  cases:\n    - {when: 'a ==', goto: main}\n"
                     "    - {when: 'true', goto: nowhere}\n  default: elsewhere\n")
    assert errors_of(text) == [
        "f.yaml:13:16: error: states.main.cases[0].when: expression syntax: unexpected 'end of template' in 'a =='",
        "f.yaml:15:14: error: states.main.default: unknown state 'elsewhere'; states are: main",
        "f.yaml:14:30: error: states.main.cases[1].goto: unknown state 'nowhere'; states are: main",
    ]
