"""``call``: parameters, results, every failure branch, idempotency keys, secrets, graph."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from engine.backend.demo import DemoBackend
from engine.clock import ManualClock
from engine.ports.backend import CallContext, OperationInfo
from engine.ports.events import MASK
from engine.states import call
from engine.types import Channel
from tests.engine.helpers import EN
from tests.engine.states.kit import Kit, compile_states

CALL = """
main:
  type: call
  op: bill
  params: {month: "{{ m }}", fixed: 3}
  result: b
  goto: ok
  errors: {NO_BILL: no_bill}
  error: other
  timeout: slow
  unavailable: down
ok:
  type: end
  text: "账单{{ b.total }}"
no_bill: {type: end, text: "无账单{{ error_code }}"}
other: {type: end, text: "其他{{ error_code }}"}
slow: {type: end, text: "超时{{ error_code }}"}
down: {type: end, text: "故障{{ error_code }}"}
"""


async def said(states: str, fixture: Any = None, op: str = "bill", extra: str = "") -> tuple[str, Kit]:
    kit = Kit(compile_states(states, extra=extra), fixtures={op: fixture} if fixture is not None else None)
    r = await kit.phone("sms").send("GO")
    return r.text, kit


async def test_success_stores_the_result_and_reports_the_call() -> None:
    text, kit = await said(CALL, {"result": {"total": "88.00"}})
    assert text == "账单88.00"
    [ev] = kit.of("call")
    assert ev.data["op"] == "bill" and ev.data["ok"] is True and isinstance(ev.data["ms"], float)
    assert ev.data["params"] == {"month": "", "fixed": "3"} and ev.data["result"] == {"total": "88.00"}


@pytest.mark.parametrize(("fixture", "text"), [
    ({"fail": "business", "code": "NO_BILL"}, "无账单NO_BILL"),
    ({"fail": "business", "code": "OTHER"}, "其他OTHER"),
    ("timeout", "超时timeout"),
    ("unavailable", "故障unavailable"),
])
async def test_each_failure_takes_its_branch(fixture: Any, text: str) -> None:
    assert (await said(CALL, fixture))[0] == text


async def test_a_timeout_without_its_branch_takes_unavailable() -> None:
    states = CALL.replace("  timeout: slow\n", "")
    assert (await said(states, "timeout"))[0] == "故障timeout"


@pytest.mark.parametrize(("fixture", "text"), [
    ("timeout", "系统繁忙，请稍后再试。"),
    ("unavailable", "系统繁忙，请稍后再试。"),
    ({"fail": "business", "code": "E42"}, "业务办理失败（E42）。"),
])
async def test_without_branches_the_subscriber_hears_busy_or_the_business_error(fixture: Any, text: str) -> None:
    bare = "main:\n  type: call\n  op: bill\n  goto: ok\nok: {type: end, text: ok}\n"
    got, kit = await said(bare, fixture)
    assert got == text and not kit.of("failed")  # said by the state, not by the crash handler
    [ev] = kit.of("call")
    assert ev.data["ok"] is False and ev.data["op"] == "bill" and isinstance(ev.data["ms"], float)
    assert (ev.data["failure"], ev.data["code"]) == (
        (fixture, "") if isinstance(fixture, str) else ("business", fixture["code"]))


async def test_without_result_the_data_is_merged_into_the_variables() -> None:
    states = "main:\n  type: call\n  op: bill\n  goto: ok\nok: {type: end, text: '{{ total }}/{{ n }}'}\n"
    assert (await said(states, {"result": {"total": "1.00", "n": 2}}))[0] == "1.00/2"


async def test_a_transaction_gets_an_idempotency_key_per_attempt() -> None:
    states = "main:\n  type: call\n  op: complaint\n  params: {category: x}\n  result: t\n  goto: ok\n" \
             "ok: {type: end, text: ok}\n"
    _, kit = await said(states, {"result": {}}, op="complaint")
    [ev] = kit.of("call")
    key = f"sms:8613800138000:{int(kit.clock.now() * 1000)}:0:main"  # session, its start, revision, state
    assert ev.data["params"] == {"category": "x", "idempotency_key": key}


async def test_an_idempotent_operation_or_an_explicit_key_gets_none_added() -> None:
    states = "main:\n  type: call\n  op: complaint\n  params: {category: x, idempotency_key: mine}\n  goto: ok\n" \
             "ok: {type: end, text: ok}\n"
    _, kit = await said(states, {"result": {}}, op="complaint")
    assert kit.of("call")[0].data["params"] == {"category": "x", "idempotency_key": "mine"}
    _, kit = await said("main:\n  type: call\n  op: unknown_op\n  goto: ok\nok: {type: end, text: ok}\n")
    assert kit.of("call")[0].data["params"] == {}
    _, kit = await said(CALL, {"result": {"total": "1"}})
    assert "idempotency_key" not in kit.of("call")[0].data["params"]


async def test_secret_params_and_results_are_masked_and_not_kept() -> None:
    states = """
main:
  type: input
  text: 密码
  var: pw
  secret: true
  goto: verify
verify:
  type: call
  op: verify_password
  params: {password: "{{ pw }}", note: "x{{ pw }}"}
  goto: again
again:
  type: call
  op: verify_password
  params: {password: "654321"}
  goto: code
code:
  type: call
  op: request_reset_code
  result: otp
  goto: ok
ok: {type: end, text: "ok"}
"""
    kit = Kit(compile_states(states), fixtures={"verify_password": {"result": {}},
                                                "request_reset_code": {"result": {"code": "246810", "n": 1}}})
    phone = kit.phone("sms")
    await phone.send("GO")
    await phone.send("123456")
    verify, again, code = kit.of("call")
    assert verify.data["params"] == {"password": MASK, "note": MASK}
    assert again.data["params"] == {"password": MASK}  # declared secret by the operation, not by the flow
    assert code.data["result"] == {"code": MASK, "n": 1}
    assert all("246810" not in str(e.data) and "123456" not in str(e.data) for e in kit.events)


async def test_a_secret_result_without_result_var_is_wiped_too() -> None:
    states = "main:\n  type: call\n  op: request_reset_code\n  goto: ask\n" \
             "ask: {type: input, text: '码', var: c, goto: ask}\n"
    kit = Kit(compile_states(states), fixtures={"request_reset_code": {"result": {"code": "975310"}}})
    await kit.phone("sms").send("GO")
    session = await kit.engine.store.get("sms:8613800138000")
    assert session is not None and "code" not in session.vars


def test_declarations_and_graph() -> None:
    f = compile_states(CALL)
    n = f.nodes["main"]
    k = call.KIND
    assert not k.waiting and k.operation(n.spec) == "bill"
    assert list(k.defines("main", n.spec)) == [(("states", "main", "result"), "b")]
    assert list(k.templates("main", n.spec)) == [(("states", "main", "params", "month"), "{{ m }}")]
    assert k.label(f, n) == "main: call bill"
    assert k.graph_edges(f, n) == [("no_bill", "NO_BILL"), ("other", "error"), ("slow", "timeout"),
                                   ("down", "unavailable"), ("ok", "ok")]
    bare = compile_states("main:\n  type: call\n  op: bill\n  goto: ok\nok: {type: end, text: ok}\n")
    assert list(k.defines("main", bare.nodes["main"].spec)) == []
    assert k.graph_edges(bare, bare.nodes["main"]) == [("ok", "ok")]
    assert k.shape == ("[[", "]]", "box3d")


# -- what observers hear: refusals, failures by category, receipts ---------------------------------------

async def test_a_successful_call_names_its_category_and_whether_it_was_business() -> None:
    states = "main:\n  type: call\n  op: complaint\n  params: {category: x}\n  goto: ok\nok: {type: end, text: ok}\n"
    _, kit = await said(states, {"result": {"ticket": "T1"}}, op="complaint")
    [ev] = kit.of("call")
    assert (ev.data["category"], ev.data["business"], ev.data["ok"]) == ("complaint", True, True)
    assert ev.data["ms"] == round(ev.data["ms"], 2)
    _, kit = await said(CALL, {"result": {"total": "1"}})
    assert (kit.of("call")[0].data["category"], kit.of("call")[0].data["business"]) == ("query", False)


async def test_a_refused_call_is_reported_as_refused_not_as_a_failure() -> None:
    states = "main:\n  type: call\n  op: topup\n  params: {amount: '10'}\n  goto: ok\nok: {type: end, text: ok}\n"
    text, kit = await said(states)
    assert text == "该业务需先验证服务密码，本次业务未办理。"
    assert [e.data for e in kit.of("call")] == [{"op": "topup", "ok": False, "refused": "auth_required"}]


@pytest.mark.parametrize(("op", "category", "business"), [("bill", "query", False), ("unknown_op", "other", False),
                                                          ("complaint", "complaint", True)])
async def test_a_failed_call_names_its_category_and_whether_it_was_business(op: str, category: str,
                                                                            business: bool) -> None:
    states = f"main:\n  type: call\n  op: {op}\n  goto: ok\nok: {{type: end, text: ok}}\n"
    _, kit = await said(states, "unavailable", op=op)
    [ev] = kit.of("call")
    ms = ev.data.pop("ms")
    assert ev.data == {"op": op, "category": category, "business": business, "params": ev.data["params"],
                       "ok": False, "failure": "unavailable", "code": ""}
    assert isinstance(ms, float) and ms == round(ms, 2)  # milliseconds to two decimals


class ReceiptBackend(DemoBackend):
    """The demo operator plus one business operation with an SMS receipt, as a configured backend may declare."""

    def __init__(self, receipt: dict[str, str], result: dict[str, Any] | None = None) -> None:
        super().__init__(clock=ManualClock())
        self.receipt = receipt
        self.result = {"order": "A7", "item": "流量包"} if result is None else result

    def operations(self) -> Mapping[str, OperationInfo]:
        return {**super().operations(), "order": OperationInfo("order", receipt=self.receipt, business=True)}

    async def call(self, operation: str, params: Mapping[str, Any], ctx: CallContext) -> dict[str, Any]:
        if operation == "order":
            return dict(self.result)
        return await super().call(operation, params, ctx)


ORDER = "main:\n  type: call\n  op: order\n  result: o\n  goto: ok\nok: {type: end, text: 好}\n"


@pytest.mark.parametrize("channel", ["ussd", "ivr"])
async def test_a_receipt_by_sms_after_business_elsewhere_in_the_subscriber_s_language(channel: Channel) -> None:
    receipt = {"zh": "订单{{ order }}：{{ item }}，{{ msisdn }}经{{ channel }}"}  # no English: the Chinese one
    kit = Kit(compile_states(ORDER), backend=ReceiptBackend(receipt))
    phone = kit.phone(channel, EN)
    await phone.dial()
    assert [(p.channel, p.msisdn, p.text) for p in phone.pushes] == [("sms", EN, f"订单A7：流量包，{EN}经{channel}")]
    assert [e.data for e in kit.of("receipt")] == [{"op": "order", "ok": True, "order": "A7"}]


async def test_the_receipt_in_english_for_an_english_subscriber_and_without_an_order_number() -> None:
    receipt = {"zh": "订单{{ order }}", "en": "Done{% if order %}, order {{ order }}{% endif %}."}
    kit = Kit(compile_states(ORDER), backend=ReceiptBackend(receipt, {"item": "x"}))
    phone = kit.phone("ivr", EN)
    await phone.dial()
    assert [p.text for p in phone.pushes] == ["Done."]
    assert [e.data for e in kit.of("receipt")] == [{"op": "order", "ok": True, "order": ""}]


async def test_no_receipt_on_sms_where_the_answer_is_one() -> None:
    kit = Kit(compile_states(ORDER), backend=ReceiptBackend({"zh": "订单{{ order }}"}))
    await kit.phone("sms").send("GO")
    assert not kit.phone("sms").pushes and not kit.of("receipt")


async def test_a_receipt_that_renders_empty_sends_nothing() -> None:
    kit = Kit(compile_states(ORDER), backend=ReceiptBackend({"zh": "{% if none %}x{% endif %}  "}))
    phone = kit.phone("ussd")
    await phone.dial()
    assert phone.pushes == [] and not kit.of("receipt")


async def test_a_broken_receipt_template_does_not_undo_the_business() -> None:
    kit = Kit(compile_states(ORDER), backend=ReceiptBackend({"zh": "订单{{ order"}))
    phone = kit.phone("ussd")
    assert (await phone.dial()).text == "好" and phone.pushes == []
    assert [e.data for e in kit.of("receipt")] == [{"op": "order", "ok": False, "error": "TemplateError"}]


def test_what_each_way_out_sets_and_the_shapes_the_linter_checks_fields_against() -> None:
    from engine.backend.catalogue import OPERATIONS
    from engine.flow.shapes import Shape

    k = call.KIND
    with_result = compile_states("main:\n  type: call\n  op: bill\n  result: b\n  goto: ok\n  error: ok\n"
                                 "ok: {type: end, text: ok}\n").nodes["main"].spec
    merged = compile_states("main:\n  type: call\n  op: packages\n  goto: ok\n  error: ok\n"
                            "ok: {type: end, text: ok}\n").nodes["main"].spec
    unknown = compile_states("main:\n  type: call\n  op: nope\n  goto: ok\n"
                             "ok: {type: end, text: ok}\n").nodes["main"].spec
    ok, error = list(k.edges("main", with_result))
    assert list(k.defines_along("main", with_result, ok, OPERATIONS)) == ["b"]
    assert list(k.defines_along("main", with_result, error, OPERATIONS)) == ["error_code"]
    ok, _ = list(k.edges("main", merged))
    assert list(k.defines_along("main", merged, ok, OPERATIONS)) == ["packages", "count"]
    assert list(k.defines_along("main", unknown, next(k.edges("main", unknown)), OPERATIONS)) == []
    assert dict(k.shapes("main", with_result, OPERATIONS, {})) == {"b": Shape.of(OPERATIONS["bill"])}
    items = Shape(frozenset(dict(OPERATIONS["packages"].result_items)["packages"]), source="items of packages.packages")
    assert dict(k.shapes("main", merged, OPERATIONS, {})) == {"packages": Shape(element=items), "count": None}
    assert dict(k.shapes("main", unknown, OPERATIONS, {})) == {}
    assert dict(k.shapes("main", with_result, {}, {})) == {"b": None}
