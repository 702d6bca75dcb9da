"""Issue 13 problem 2: misspelt variables and result fields fail ``validate --strict``, path by path."""

from __future__ import annotations

import shutil
from pathlib import Path

from engine.backend.catalogue import OPERATIONS
from engine.flow.checks import check_paths
from engine.states import LANGUAGE
from tests.engine.helpers import write_flow

DEMO = Path(__file__).resolve().parents[2] / "flows" / "10086"

FLOW = """\
flow: v
title: {zh: 变量, en: Vars}
version: 1
entry: ask
triggers:
  sms: [{keywords: [V]}]
states:
  ask:
    type: input
    text: {zh: 姓名, en: Name}
    var: name
    goto: check
  check:
    type: call
    op: verify_password
    params: {password: "{{ name }}"}
    goto: buy
  buy:
    type: call
    op: subscribe
    params: {code: "{{ cdoe }}"}
    result: sub
    goto: done
    error: failed
  done:
    type: end
    text: {zh: "{{ nmae }}好，余额{{ sub.balanse }}", en: "{{ name }} {{ sub.balance }}"}
  failed:
    type: end
    text: {zh: "失败{{ error_code }}{{ sub.balance }}", en: "Failed {{ error_code }}"}
"""


def _messages(folder: str | Path) -> list[str]:
    return [str(d) for d in check_paths(LANGUAGE, [str(folder)], OPERATIONS)]


def test_misspelt_names_are_errors_even_beside_a_call_without_result(tmp_path: Path) -> None:
    out = _messages(write_flow(tmp_path, FLOW))
    assert any("error: states.buy.params.code: unknown variable 'cdoe'" in m for m in out)
    assert any("error: states.done.text: unknown variable 'nmae' (did you mean 'name'?)" in m for m in out)
    assert any("no field 'balanse' in 'sub' (did you mean 'balance'?); operation 'subscribe' gives:" in m
               for m in out)


def test_a_result_read_on_its_failure_branch_may_be_unset(tmp_path: Path) -> None:
    out = _messages(write_flow(tmp_path, FLOW))
    assert any("warning: states.failed.text: variable 'sub' may be unset here" in m for m in out)
    assert not any("error_code" in m for m in out)


def test_demo_typo_in_balance_text_is_caught(tmp_path: Path) -> None:
    shutil.copytree(DEMO, tmp_path / "10086")
    main = tmp_path / "10086" / "main.yaml"
    main.write_text(main.read_text(encoding="utf-8").replace("{{ bal.balance }}元", "{{ bla.balance }}元"),
                    encoding="utf-8")
    out = _messages(tmp_path)
    assert any("states.show_balance.text: unknown variable 'bla' (did you mean 'bal'?)" in m for m in out)


def test_loop_item_fields_are_checked(tmp_path: Path) -> None:
    shutil.copytree(DEMO, tmp_path / "10086")
    main = tmp_path / "10086" / "main.yaml"
    main.write_text(main.read_text(encoding="utf-8").replace("{{ i.name_zh }}", "{{ i.nam_zh }}", 1),
                    encoding="utf-8")
    out = _messages(tmp_path)
    assert any("no field 'nam_zh' in an item (did you mean 'name_zh'?); items of bill.items gives" in m
               or "no field 'nam_zh'" in m for m in out)


def test_subflow_results_count_only_when_set_on_every_path(tmp_path: Path) -> None:
    assert _messages(DEMO) == []
