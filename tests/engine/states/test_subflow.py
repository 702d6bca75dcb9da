"""``subflow`` / ``return``: the caller's place on the stack, the callee's entry, the caller's ``goto``."""

from __future__ import annotations

from engine.states import subflow
from tests.engine.helpers import EN
from tests.engine.states.kit import Kit, compile_states, errors_of, flow_text

CALLER = """
main:
  type: menu
  text: 主
  options: [{label: 验证, goto: check}]
check:
  type: subflow
  flow: auth
  goto: after
after:
  type: end
  text: "验证后{{ ok }}"
"""
AUTH = """
main:
  type: set
  vars: {ok: "yes"}
  goto: done
done:
  type: return
  text: {zh: 验证成功, en: Verified}
"""


async def test_the_subflow_runs_and_returns_to_the_callers_goto() -> None:
    kit = Kit(compile_states(CALLER), compile_states(AUTH, flow="auth", code="*2#", keyword="AU", number="2"))
    phone = kit.phone("ussd")
    await phone.dial()
    r = await phone.send("1")
    assert r.text == "验证成功\n验证后yes" and r.end
    states = [(e.flow, e.state) for e in kit.of("state")]
    assert states == [("k", "main"), ("k", "check"), ("auth", "main"), ("auth", "done"), ("k", "after")]


async def test_a_subflow_that_is_not_loaded_says_busy_and_ends() -> None:
    kit = Kit(compile_states(CALLER))  # 'auth' was never loaded (or a reload removed it)
    phone = kit.phone("ussd")
    await phone.dial()
    r = await phone.send("1")
    assert r.text == "系统繁忙，请稍后再试。" and r.end
    en = kit.phone("ussd", msisdn=EN, call="en")
    await en.dial()
    assert (await en.send("1")).text == "The system is busy, please try again later."


async def test_a_return_without_text_says_nothing() -> None:
    auth = AUTH.replace("  text: {zh: 验证成功, en: Verified}\n", "")
    kit = Kit(compile_states(CALLER), compile_states(auth, flow="auth", code="*2#", keyword="AU", number="2"))
    phone = kit.phone("ussd")
    await phone.dial()
    assert (await phone.send("1")).text == "验证后yes"


def test_an_unknown_subflow_is_reported_by_the_registry() -> None:
    from engine.flow.crosscheck import cross_check
    f = compile_states(CALLER)
    assert [str(d) for d in cross_check([f]) if d.severity == "error"] == [
        "f.yaml:16:11: error: states.check.flow: unknown flow 'auth'; flows are: k"]
    assert errors_of(flow_text("main: {type: subflow, flow: x, goto: nowhere}")) == [
        "f.yaml:10:40: error: states.main.goto: unknown state 'nowhere'; states are: main"]


def test_declarations_and_graph() -> None:
    f = compile_states(CALLER)
    n = f.nodes["check"]
    assert subflow.SUBFLOW.leaves_flow and not subflow.RETURN.leaves_flow
    assert list(subflow.SUBFLOW.flows_used("check", n.spec)) == [(("states", "check", "flow"), "auth")]
    assert subflow.SUBFLOW.label(f, n) == "check: subflow → auth"
    assert subflow.SUBFLOW.graph_edges(f, n) == [("after", "")]
    assert subflow.SUBFLOW.shape == ("[[", "]]", "component")
    assert not subflow.SUBFLOW.ends(n.spec)
    a = compile_states(AUTH, flow="auth")
    assert subflow.RETURN.ends(a.nodes["done"].spec) and a.nodes["done"].edges == ()
    assert subflow.RETURN.label(a, a.nodes["done"]) == "done: return\\n验证成功"
