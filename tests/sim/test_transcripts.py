"""`menuflow test`: the demo transcripts, failure diffs, JUnit XML, coverage threshold, format errors."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from app.cli import main
from engine.flow.registry import FlowRegistry
from simulator.transcripts.model import TranscriptError, load_transcript
from simulator.transcripts.suite import run_suite

FAILING = """\
name: balance that is not what we think
channel: ussd
from: "8613800138000"
steps:
  - dial:
    state: main
  - send: "1"
    exact: |
      尊敬的客户，您的账户余额为99.00元。
      1. 返回主菜单
      2. 结束
"""


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


async def test_demo_transcripts_pass_with_full_state_coverage(registry: FlowRegistry) -> None:
    result = await run_suite(["tests/transcripts"], registry)
    failed = [(o.path, o.error, o.failure) for o in result.outcomes if not o.passed]
    assert failed == []
    assert len(result.outcomes) >= 20
    assert result.coverage.state_percent >= 90
    channels = {load_transcript(o.path).channel for o in result.outcomes}
    assert channels == {"sms", "ussd", "ivr"}


def test_failing_transcript_shows_a_readable_diff(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "bad.yaml", FAILING)
    assert main(["test", path]) == 1
    out = capsys.readouterr().out
    assert f"{path}::balance that is not what we think FAILED" in out
    assert f"step 2 at {path}:7: send '1'" in out
    assert "state: 10086:main -> 10086:balance_offer" in out
    assert "-尊敬的客户，您的账户余额为99.00元。" in out
    assert "+尊敬的客户，您的账户余额为50.00元。" in out
    assert "backend: balance({}) -> ok" in out
    assert "1 failed" in out


def test_junit_xml_and_coverage_threshold(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = write(tmp_path, "bad.yaml", FAILING)
    junit = tmp_path / "out" / "junit.xml"
    code = main(["test", bad, "tests/transcripts/10086/sms_balance.yaml", "--junit", str(junit),
                 "--min-coverage", "90"])
    assert code == 1
    out = capsys.readouterr().out
    assert "FAIL: state coverage" in out and "below --min-coverage 90%" in out
    suite = ET.parse(junit).getroot()
    assert suite.tag == "testsuite" and suite.get("tests") == "2" and suite.get("failures") == "1"
    cases = {c.get("name"): c for c in suite.iter("testcase")}
    failure = cases["balance that is not what we think"].find("failure")
    assert failure is not None and failure.get("message") == "expected exactly:"
    assert "99.00" in (failure.text or "")
    assert cases["SMS balance query by keyword"].find("failure") is None
    props = {p.get("name"): float(p.get("value") or 0) for p in suite.iter("property")}
    assert 0 < props["state_coverage"] < 90


def test_coverage_threshold_passes_on_the_demo_suite(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["test", "tests/transcripts", "--min-coverage", "90", "-q"]) == 0
    out = capsys.readouterr().out
    assert "TOTAL" in out and " passed in " in out and "failed" not in out


@pytest.mark.parametrize(("text", "message"), [
    ("channel: fax\nfrom: '1'\nsteps: [{send: x}]\n", ":1: channel must be one of sms, ussd, ivr"),
    ("channel: sms\nfrom: '1'\nsteps:\n  - send: x\n  - sned: y\n", ":5: unknown key(s) sned"),
    ("channel: sms\nfrom: '1'\nsteps:\n  - {send: x, dial: y}\n", ":4: a step needs exactly one action"),
    ("channel: sms\nfrom: '1'\nsteps:\n  - send: YES\n", ":4: YAML read send's value as true/false"),
    ("channel: sms\nfrom: '1'\nsteps:\n  - {send: x, regex: '('}\n", ":4: missing ), unterminated"),
    ("channel: sms\nfrom: '1'\nfixtures: {balance: {fail: slow}}\nsteps: [{send: x}]\n",
     ":1: fixture 'balance': fail must be one of business, timeout, unavailable"),
    ("channel: sms\nfrom: '1'\nfixtures: {balance: {fail: business}}\nsteps: [{send: x}]\n",
     "a business failure needs a 'code'"),
    ("channel: sms\nfrom: '1'\nsteps: [{advance: -1}]\n", "advance takes a number of seconds > 0"),
    ("channel: ivr\nfrom: '1'\nsteps: [{agent: later}]\n",
     ":3: agent takes one of answered, timeout, full, no_agents, busy, failed, got 'later'"),
])
def test_transcript_format_errors_name_file_and_line(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, "t.yaml", text)
    with pytest.raises(TranscriptError) as err:
        load_transcript(path)
    assert str(err.value).startswith(path + ":")
    assert message in str(err.value)


async def test_runtime_errors_are_reported_per_transcript(tmp_path: Path, registry: FlowRegistry) -> None:
    write(tmp_path, "secret.yaml", "channel: sms\nfrom: '8613800138000'\nsteps:\n"
          "  - send: TC\n  - send: '1'\n  - send: {secret: nothere}\n")
    write(tmp_path, "nodial.yaml", "channel: ussd\nfrom: '8613800138000'\nsteps:\n  - send: '1'\n")
    write(tmp_path, "unknown_op.yaml", "channel: sms\nfrom: '8613800138000'\nfixtures: {nosuch: timeout}\n"
          "steps:\n  - send: YE\n")
    write(tmp_path, "broken.yaml", "channel: [\n")
    write(tmp_path, "smsagent.yaml", "channel: sms\nfrom: '8613800138000'\nsteps:\n  - agent: timeout\n")
    result = await run_suite([str(tmp_path)], registry)
    by_name = {Path(o.path).name: o for o in result.outcomes}
    secret = by_name["secret.yaml"].failure
    assert secret is not None and "MENUFLOW_SECRET_NOTHERE" in secret.problems[0]
    nodial = by_name["nodial.yaml"].failure
    assert nodial is not None and "add a `dial:` step first" in nodial.problems[0]
    assert by_name["unknown_op.yaml"].error == "fixtures for unknown operation(s): nosuch"
    assert "not valid YAML" in (by_name["broken.yaml"].error or "")
    smsagent = by_name["smsagent.yaml"].failure
    assert smsagent is not None and smsagent.problems == ["only IVR calls are transferred to agents"]


async def test_secrets_come_from_the_environment(tmp_path: Path, registry: FlowRegistry,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, "pw.yaml", "channel: sms\nfrom: '8613800138000'\nsteps:\n  - send: TC\n  - send: '1'\n"
          "  - send: {secret: password}\n    state: sub_confirm\n")
    monkeypatch.setenv("MENUFLOW_SECRET_PASSWORD", "123456")
    result = await run_suite([str(tmp_path)], registry)
    assert result.passed


async def test_call_push_and_transfer_checks_fail_when_unmet(tmp_path: Path, registry: FlowRegistry) -> None:
    write(tmp_path, "checks.yaml", "channel: ivr\nfrom: '8613800138000'\nsteps:\n  - dial:\n"
          "  - send: '1'\n    call: {op: balance, ok: false}\n    push: true\n    transfer: q\n    end: true\n")
    result = await run_suite([str(tmp_path)], registry)
    failure = result.outcomes[0].failure
    assert failure is not None
    assert failure.problems == [
        "expected the session to end",
        "expected an SMS pushed to the subscriber, none was",
        "expected a call to balance failing",
        "expected a transfer to 'q', got None",
    ]
