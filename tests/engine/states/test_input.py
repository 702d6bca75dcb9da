"""``input``: validation per kind at each boundary, the IVR's digit counts, secrets, lint, graph."""

from __future__ import annotations

import pytest

from engine.ports.events import MASK
from engine.states import input as input_kind
from engine.states.input import DEFAULT_DIGITS, PHONE_DIGITS, validate_input, wait_for
from tests.engine.states.kit import Kit, compile_states


def node(fields: str):  # type: ignore[no-untyped-def]
    f = compile_states(f"main:\n  type: input\n  text: 请输入\n  var: v\n  goto: main\n{fields}")
    return f.nodes["main"]


@pytest.mark.parametrize(("fields", "raw", "value"), [
    ("", " 你好 ", "你好"),
    ("", "ｈｉ", "hi"),  # NFKC
    ("  kind: digits\n", "０１２", "012"),
    ("  kind: digits\n", "12a", None),
    ("  kind: digits\n", "", None),
    ("  kind: digits\n  min: 10\n  max: 20\n", "10", "10"),
    ("  kind: digits\n  min: 10\n  max: 20\n", "9", None),
    ("  kind: digits\n  min: 10\n  max: 20\n", "20", "20"),
    ("  kind: digits\n  min: 10\n  max: 20\n", "21", None),
    ("  kind: digits\n  max: 20\n", "5", "5"),
    ("  kind: digits\n  max: 20\n", "21", None),
    ("  kind: digits\n  min: 10\n", "500", "500"),
    ("  kind: digits\n  min: 10\n", "9", None),
    ("  kind: phone\n", "13800138000", "8613800138000"),
    ("  kind: phone\n", "+86 138-0013-8000", "8613800138000"),
    ("  kind: phone\n", "8613800138000", "8613800138000"),
    ("  kind: phone\n", "12800138000", None),  # no mobile number starts 12
    ("  kind: phone\n", "1380013800", None),  # 10 digits
    ("  kind: phone\n", "138001380001", None),  # 12 digits
    ("  kind: phone\n", "x13800138000", None),
    ("  kind: amount\n  min: 1\n  max: 500\n", "1", "1.00"),
    ("  kind: amount\n  min: 1\n  max: 500\n", "0.99", None),
    ("  kind: amount\n  min: 1\n  max: 500\n", "500", "500.00"),
    ("  kind: amount\n  min: 1\n  max: 500\n", "500.01", None),
    ("  kind: amount\n  min: 1\n  max: 500\n", "12.5", "12.50"),
    ("  kind: amount\n", "1.234", None),  # at most two decimals
    ("  kind: amount\n", "1.", None),
    ("  kind: amount\n", "-5", None),
    ("  kind: amount\n  min: 1\n", "100000", "100000.00"),
    ("  kind: amount\n  max: 5\n", "0", "0.00"),
    ("  min_length: 2\n  max_length: 3\n", "ab", "ab"),
    ("  min_length: 2\n  max_length: 3\n", "a", None),
    ("  min_length: 2\n  max_length: 3\n", "abc", "abc"),
    ("  min_length: 2\n  max_length: 3\n", "abcd", None),
    ("  pattern: '[A-Z]{2}[0-9]'\n", "AB1", "AB1"),
    ("  pattern: '[A-Z]{2}[0-9]'\n", "AB12", None),  # the whole input must match
    ("  pattern: '[A-Z]{2}[0-9]'\n", "xAB1", None),
])
def test_validation_at_each_boundary(fields: str, raw: str, value: str | None) -> None:
    assert validate_input(node(fields), raw) == value


def test_digit_counts_default_to_11_for_a_phone_and_20_otherwise() -> None:
    assert (PHONE_DIGITS, DEFAULT_DIGITS) == (11, 20)
    assert wait_for(node("  kind: phone\n").spec).max_digits == 11
    for kind in ("digits", "amount", "text"):
        assert wait_for(node(f"  kind: {kind}\n").spec).max_digits == 20
    assert wait_for(node("  kind: phone\n  max_length: 13\n").spec).max_digits == 13
    assert wait_for(node("  kind: phone\n  max_length: 13\n  max_digits: 4\n").spec).max_digits == 4


def test_wait_kind_and_secrecy() -> None:
    assert [wait_for(node(f"  kind: {k}\n").spec).kind for k in ("text", "digits", "phone", "amount")] == [
        "text", "digits", "digits", "digits"]
    assert wait_for(node("  secret: true\n").spec).secret
    assert not wait_for(node("").spec).secret


INPUT = """
main:
  type: input
  text: {zh: 请输入手机号码, en: "Phone number?"}
  var: number
  kind: phone
  error: {zh: 号码不对, en: Bad number}
  retries: 2
  fallback: gave_up
  goto: said
said:
  type: end
  text: {zh: "号码{{ number }}", en: "Number {{ number }}"}
gave_up:
  type: end
  text: {zh: 放弃了, en: Gave up}
"""


async def test_input_through_the_engine() -> None:
    kit = Kit(compile_states(INPUT))
    ivr = kit.phone("ivr")
    r = await ivr.dial()
    assert r.text == "请输入手机号码" and r.wait is not None
    assert (r.wait.kind, r.wait.max_digits, r.wait.secret) == ("digits", 11, False)
    r = await ivr.send("123")
    assert r.text == "号码不对请输入手机号码" and r.audio == ("k/main/error", "k/main")
    r = await ivr.send("13900139000")
    assert r.text == "号码8613900139000" and r.end
    session_vars = kit.of("state")
    assert session_vars[-1].state == "said"


async def test_too_many_invalid_inputs_go_to_the_fallback() -> None:
    kit = Kit(compile_states(INPUT))
    phone = kit.phone("sms")
    await phone.send("GO")
    assert (await phone.send("1")).text == "号码不对\n请输入手机号码"
    assert (await phone.send("1")).text == "放弃了"


async def test_without_fallback_the_sms_says_too_many_tries() -> None:
    kit = Kit(compile_states("main:\n  type: input\n  text: 金额\n  var: a\n  kind: amount\n  goto: main\n",
                             extra="retries: 1\n"))
    phone = kit.phone("sms")
    await phone.send("GO")
    assert (await phone.send("x")).text == "输入错误次数过多，再见。"


async def test_without_error_text_the_builtin_hint_is_used() -> None:
    kit = Kit(compile_states("main:\n  type: input\n  text: 金额\n  var: a\n  kind: amount\n  goto: main\n"))
    phone = kit.phone("sms")
    await phone.send("GO")
    assert (await phone.send("x")).text == "输入有误，请重新输入。\n金额"


async def test_an_sms_keyword_typed_into_an_input_is_input() -> None:
    kit = Kit(compile_states("main:\n  type: input\n  text: 名字\n  var: who\n  goto: said\n"
                             "said: {type: end, text: '你好{{ who }}'}\n"))
    phone = kit.phone("sms")
    await phone.send("GO")
    assert (await phone.send("GO")).text == "你好GO"


SECRET = """
main:
  type: input
  text: 请输入密码
  var: pin
  kind: digits
  secret: true
  goto: said
said:
  type: message
  text: "收到{{ pin|length }}位"
  goto: main
"""


async def test_a_secret_input_takes_navigation_keys_as_input_and_is_masked() -> None:
    kit = Kit(compile_states(SECRET))
    phone = kit.phone("ussd")
    r = await phone.dial()
    assert r.wait is not None and r.wait.secret
    r = await phone.send("00")
    assert r.text.startswith("收到2位")
    r = await phone.send("0")  # "back" would otherwise act here
    assert r.text.startswith("收到1位")
    assert [e.data["text"] for e in kit.of("input")] == [MASK, MASK]


async def test_a_plain_input_shows_its_input_and_obeys_navigation() -> None:
    kit = Kit(compile_states(SECRET.replace("  secret: true\n", "")))
    phone = kit.phone("ussd")
    await phone.dial()
    await phone.send("12")
    assert [e.data["text"] for e in kit.of("input")] == ["12"]
    r = await phone.send("00")  # the main menu key: back to the entry, which is this input
    assert r.text == "请输入密码"


def test_declarations_lint_and_graph() -> None:
    f = compile_states(INPUT)
    n = f.nodes["main"]
    k = input_kind.KIND
    assert k.waiting and k.holds_text and not k.menu_level
    assert k.retries(n.spec) == 2 and k.fallback_state(n.spec) == "gave_up"
    assert list(k.defines("main", n.spec)) == [(("states", "main", "var"), "number")]
    assert list(k.secret_vars(n.spec)) == []
    assert list(k.secret_vars(compile_states(SECRET).nodes["main"].spec)) == ["pin"]
    assert [p for p, _ in k.texts("main", n.spec)] == [("states", "main", "text"), ("states", "main", "error")]
    assert k.graph_edges(f, n) == [("gave_up", "too many tries"), ("said", "")]
    assert k.label(f, n) == "main: input\\n请输入手机号码"
    assert k.shape == ("[/", "/]", "parallelogram")
    assert k.ivr_text(f, n, "en") == "Phone number?"
    assert k.shown_input(n, "138") == "138"
    assert k.navigable(n) and not k.navigable(compile_states(SECRET).nodes["main"])
    assert n.static and not compile_states(SECRET).nodes["said"].static


def test_lint_warns_of_an_input_prompt_longer_than_three_sms() -> None:
    f = compile_states(f"main:\n  type: input\n  text: {{zh: {'长' * 202}, en: short}}\n  var: v\n  goto: main\n")
    n = f.nodes["main"]
    assert [str(d) for d in n.kind.lint(f, n)] == [
        "f.yaml:12:11: warning: states.main.text: zh SMS text needs 4 ucs2 segments (more than 3)"]
    f = compile_states(f"main:\n  type: input\n  text: {{zh: {'长' * 201}, en: short}}\n  var: v\n  goto: main\n")
    assert list(f.nodes["main"].kind.lint(f, f.nodes["main"])) == []
