"""Each lint warning, on a flow written to trigger it, and a clean demo."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.backend.catalogue import OPERATIONS
from engine.flow.checks import check_paths
from engine.flow.diagnostics import format_path
from engine.states import LANGUAGE
from tests.engine.helpers import write_flow

LINTY = """\
flow: lint
title: {zh: 检查, en: Lint}
version: 1
entry: main
states:
  main:
    type: menu
    text: {zh: 请选择一个非常长的菜单选项以便测试分页功能, en: Choose}
    options:
      - {label: {zh: 第一个很长很长很长的选项名称, en: One}, goto: pay}
      - {label: {zh: 第二个很长很长很长的选项名称, en: Two}, goto: loop_a}
      - {label: {zh: 第三个很长很长很长的选项名称, en: Three}, goto: stuck}
      - {label: {zh: 第四个很长很长很长的选项名称, en: Four}, goto: unknown_op}
      - {label: {zh: 第五个很长很长很长的选项名称, en: Five}, goto: long_sms}
      - {key: "0", label: {zh: 第六个, en: Six}, goto: pay}
  pay:
    type: call
    op: subscribe
    params: {code: LL5}
    result: p
    goto: done
  done:
    type: end
    text: {zh: "好{{ mystery }}", en: OK}
  loop_a:
    type: switch
    cases: [{when: "true", goto: loop_b}]
    default: loop_b
  loop_b:
    type: set
    vars: {x: "1"}
    goto: loop_a
  stuck:
    type: menu
    text: 卡住
    options:
      - {label: {zh: 再来, en: Again}, goto: stuck}
  unknown_op:
    type: call
    op: teleport
    result: t
    goto: done
  long_sms:
    type: end
    text: {zh: "%s"}
  orphan:
    type: end
    text: {zh: 孤儿, en: Orphan}
""" % ("很长的短信" * 60)


@pytest.fixture
def warnings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    monkeypatch.chdir(tmp_path)
    write_flow(tmp_path, LINTY, "lint.yaml")
    diags = check_paths(LANGUAGE, ["lint.yaml"], OPERATIONS)
    # misspelt names and unknown operations are errors now; everything else here is a warning
    assert sorted(format_path(d.path) for d in diags if d.severity == "error") == [
        "states.done.text", "states.unknown_op.op"]
    return [str(d) for d in diags]


def _has(warnings: list[str], text: str) -> bool:
    return any(text in w for w in warnings)


def test_unreachable(warnings: list[str]) -> None:
    assert "lint.yaml:47:5: warning: states.orphan: state 'orphan' is unreachable from the entry or any trigger" \
        in warnings


def test_dead_end_and_loop(warnings: list[str]) -> None:
    assert _has(warnings, "states.stuck: dead end: no path from 'stuck' ever ends the session")
    assert _has(warnings, "states.loop_a: loop with no exit for the subscriber: loop_a → loop_b never waits")


def test_unknown_operation_and_variable(warnings: list[str]) -> None:
    assert _has(warnings, "error: states.unknown_op.op: unknown backend operation 'teleport'")
    assert _has(warnings, "error: states.done.text: unknown variable 'mystery'")


def test_paid_without_confirm(warnings: list[str]) -> None:
    assert _has(warnings, "states.pay.op: paid operation 'subscribe' can run without a confirm state before it")


def test_missing_translation(warnings: list[str]) -> None:
    assert _has(warnings, "states.long_sms.text: missing translation: en")
    assert not _has(warnings, "states.stuck.text: missing translation")  # plain strings serve every locale


def test_channel_limits(warnings: list[str]) -> None:
    assert _has(warnings, "states.main.options: IVR level has 6 options; callers remember at most 5")
    assert _has(warnings, "states.main.text: zh USSD menu is")
    assert _has(warnings, "states.long_sms.text: zh SMS text needs 5 ucs2 segments (more than 3)")
    assert _has(warnings, "states.main.options[5]: option key '0' is also a navigation key on sms")


def test_demo_flows_are_clean() -> None:
    assert [str(d) for d in check_paths(LANGUAGE, ["flows"], OPERATIONS)] == []
