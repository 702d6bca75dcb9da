"""Broken flows: each pairs with its exact located diagnostic, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.flow.checks import check_paths
from engine.states import LANGUAGE
from tests.engine.helpers import write_flow

HEAD = """\
flow: x
title: {zh: 测试, en: Test}
version: 1
entry: main
states:
"""

CASES = [
    (
        "unknown goto",
        HEAD + """\
  main:
    type: menu
    text: {zh: 菜单, en: Menu}
    options:
      - {label: {zh: 余额, en: Balance}, goto: balance}
      - {label: {zh: 账单, en: Bill}, goto: balanc}
  balance:
    type: end
    text: {zh: 好, en: OK}
""",
        "f.yaml:11:43: error: states.main.options[1].goto: unknown state 'balanc' (did you mean 'balance'?)",
    ),
    (
        "unknown state type",
        HEAD + """\
  main:
    type: meun
    text: hi
""",
        "f.yaml:7:5: error: states.main: unknown state type 'meun'; expected one of: menu, input, call, "
        "confirm, message, end, switch, subflow, return, transfer, send, set, list, offer, survey",
    ),
    (
        "misspelt key",
        HEAD + """\
  main:
    type: end
    txt: hi
""",
        "f.yaml:8:5: error: states.main.txt: unknown key 'txt' (did you mean 'text'?)",
    ),
    (
        "missing key",
        HEAD + """\
  main:
    type: input
    text: hi
    var: x
""",
        "f.yaml:7:5: error: states.main.goto: missing required key 'goto'",
    ),
    (
        "duplicate key",
        HEAD + """\
  main:
    type: end
    text: a
    text: b
""",
        "f.yaml:9:5: error: states.main.text: duplicate key 'text' (each key may appear once)",
    ),
    (
        "bad regex",
        HEAD + """\
  main:
    type: input
    text: hi
    var: x
    pattern: "[0-9"
    goto: main
""",
        "f.yaml:10:14: error: states.main.pattern: invalid regular expression: unterminated character set "
        "at position 0",
    ),
    (
        "bad template",
        HEAD + """\
  main:
    type: end
    text: "余额{{ bal.balance }元"
""",
        "f.yaml:8:11: error: states.main.text: template syntax: unexpected '}' in '余额{{ bal.balance }元'",
    ),
    (
        "missing default locale",
        HEAD + """\
  main:
    type: end
    text: {en: Hello}
""",
        "f.yaml:8:11: error: states.main.text: no text for the default locale 'zh'; add `zh: ...`",
    ),
    (
        "yaml syntax",
        HEAD + """\
  main:
    type: end
    text: {zh: 确认?, en: OK?}
""",
        "f.yaml:8:18: error: YAML syntax: inside {...} or [...] put texts containing ':', '?', '{', '}' or ',' "
        "in quotes; the text here breaks the brackets",
    ),
    (
        "wrong value type",
        HEAD + """\
  main:
    type: menu
    text: hi
    options: nothing
""",
        "f.yaml:9:14: error: states.main.options: expected a list ([a, b] or '- ' lines), got 'nothing'",
    ),
    (
        "duplicate option key",
        HEAD + """\
  main:
    type: menu
    text: hi
    options:
      - {key: "1", label: a, goto: main}
      - {key: "1", label: b, goto: main}
""",
        "f.yaml:11:15: error: states.main.options[1].key: key '1' is already used by options[0] on sms",
    ),
    (
        "agent wait threshold out of range",
        HEAD.replace("states:", "agent: {target: q1, max_wait: 601}\nstates:") + """\
  main: {type: end, text: hi}
""",
        "f.yaml:5:31: error: agent.max_wait: expected a number of at most 600, got 601",
    ),
]


@pytest.mark.parametrize(("source", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_broken_flow_reports_exact_location(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, source: str,
                                            expected: str) -> None:
    monkeypatch.chdir(tmp_path)
    write_flow(tmp_path, source, "f.yaml")
    diags = check_paths(LANGUAGE, ["f.yaml"], None)
    errors = [str(d) for d in diags if d.severity == "error"]
    assert expected in errors, errors


def test_unknown_subflow_and_duplicate_trigger(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write_flow(tmp_path, """\
flow: a
title: A
version: 1
entry: s
triggers:
  sms: [{keywords: [YE]}]
states:
  s: {type: subflow, flow: nope, goto: e}
  e: {type: end, text: x}
""", "a.yaml")
    write_flow(tmp_path, """\
flow: b
title: B
version: 1
entry: e
triggers:
  sms: [{keywords: [ye]}]
states:
  e: {type: end, text: x}
""", "b.yaml")
    got = [str(d) for d in check_paths(LANGUAGE, ["."], None)]
    assert "./a.yaml:8:28: error: states.s.flow: unknown flow 'nope'; flows are: a, b" in got
    assert any(m.startswith("./b.yaml:6:9: error: triggers.sms[0]: 'ye' is already a sms trigger") for m in got)


def test_not_a_mapping(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write_flow(tmp_path, "- just\n- a list\n", "f.yaml")
    assert [str(d) for d in check_paths(LANGUAGE, ["f.yaml"], None)] == [
        "f.yaml:1:1: error: a flow file must be a mapping with flow:, states:"
    ]


def test_a_flow_file_up_to_the_size_limit_compiles_and_one_character_more_is_refused(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from engine.flow import compiler
    from engine.flow.diagnostics import FlowError

    text = HEAD + "  main: {type: end, text: 好}\n"
    monkeypatch.setattr(compiler, "MAX_FLOW_BYTES", len(text) + 10)
    exact = write_flow(tmp_path, text + "#" * 9 + "\n", "exact.yaml")
    assert compiler.compile_file(LANGUAGE, str(exact)).id == "x"
    over = write_flow(tmp_path, text + "#" * 10 + "\n", "over.yaml")
    with pytest.raises(FlowError) as err:
        compiler.compile_file(LANGUAGE, str(over))
    assert str(err.value) == f"{over}:1:1: error: file larger than {len(text) + 10} characters"


def test_a_file_that_cannot_be_read_is_one_located_error(tmp_path: Path) -> None:
    from engine.flow.compiler import compile_file
    from engine.flow.diagnostics import FlowError

    for path, reason in ((tmp_path / "missing.yaml", "No such file"), (tmp_path / "latin1.yaml", "codec")):
        if path.name == "latin1.yaml":
            path.write_bytes(HEAD.encode() + "  main: {type: end, text: caf\xe9}\n".encode("latin-1"))
        with pytest.raises(FlowError) as err:
            compile_file(LANGUAGE, str(path))
        [diag] = err.value.diagnostics
        assert (diag.file, diag.line, diag.col, diag.severity, diag.path) == (str(path), 1, 1, "error", ())
        assert diag.message.startswith("cannot read file: ") and reason in diag.message


def errors(text: str) -> list[str]:
    from tests.engine.states.kit import errors_of
    return [e.split(": error: ", 1)[1] for e in errors_of(text)]


def test_unknown_states_named_anywhere_are_located_with_a_hint_or_the_list() -> None:
    head = HEAD.replace("entry: main\n", "entry: mian\ntriggers: {ussd: [{code: '*1#', goto: bey}]}\n")
    assert errors(head + "  main: {type: end, text: x}\n  bye: {type: end, text: y}\n") == [
        "entry: unknown state 'mian' (did you mean 'main'?)",
        "triggers.ussd[0].goto: unknown state 'bey' (did you mean 'bye'?)",
    ]
    assert errors(HEAD + "  main: {type: message, text: x, goto: zzz}\n  bye: {type: end, text: y}\n") == [
        "states.main.goto: unknown state 'zzz'; states are: bye, main"]


def test_messages_a_flow_may_override_and_its_title_are_checked_where_written() -> None:
    assert errors(HEAD.replace("title: {zh: 测试, en: Test}", "title: '{{ x'") + "  main: {type: end, text: x}\n"
                  )[0].startswith("title: template syntax")
    assert errors(HEAD + "  main: {type: end, text: x}\nmessages: {bussy: 忙, zzz: z}\n") == [
        "messages.bussy: unknown message 'bussy' (did you mean 'busy'?)", "messages.zzz: unknown message 'zzz'"]


def test_the_title_is_compiled_per_language() -> None:
    from tests.engine.states.kit import compile_text
    flow = compile_text(HEAD + "  main: {type: end, text: x}\n")
    assert (flow.title.render("", "zh", "zh", {}), flow.title.render("", "en", "zh", {})) == ("测试", "Test")


def test_every_mistake_in_the_overrides_is_reported_where_it_is() -> None:
    found = errors(HEAD + "  main: {type: end, text: x}\nmessages: {zzz: z, busy: '{{ y'}\n")
    assert found[0] == "messages.zzz: unknown message 'zzz'" and found[1].startswith("messages.busy: template syntax")


def test_a_file_is_read_when_no_text_is_given(tmp_path: Path) -> None:
    from engine.flow.compiler import parse_file
    path = write_flow(tmp_path, HEAD + "  main: {type: end, text: 好}\n")
    spec, positions, diags = parse_file(LANGUAGE, str(path))
    assert spec is not None and spec.flow == "x" and diags == [] and positions
    spec, _, [diag] = parse_file(LANGUAGE, str(tmp_path / "none.yaml"))
    assert spec is None and str(diag).startswith(f"{tmp_path / 'none.yaml'}:1:1: error: cannot read file: ")
