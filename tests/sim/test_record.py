"""`menuflow sim --record`: a walk-through in the real app becomes a transcript that passes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from engine.flow.registry import FlowRegistry
from simulator.transcripts.recorder import Recorder
from simulator.transcripts.suite import run_suite
from tests.sim.conftest import Driver, F


async def test_recorded_session_replays_as_a_passing_transcript(
        phone: Callable[..., Driver], registry: FlowRegistry, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    d = phone("sms")
    d.model.recorder = Recorder(str(tmp_path / "walk.yaml"))
    await d.line("TC")
    await d.line("1")
    await d.line("123456")
    await d.keys(F["f8"])  # confirm window passes
    await d.line("Y")
    await d.command("/fail balance timeout")
    await d.line("YE")
    await d.keys(F["f2"])  # USSD: a second transcript
    await d.keys("\r", answers=2)
    await d.line("2")
    paths = d.model.recorder.save()
    assert paths == [str(tmp_path / "walk.yaml"), str(tmp_path / "walk-2.yaml")]
    text = (tmp_path / "walk.yaml").read_text(encoding="utf-8")
    assert "123456" not in text and "MENUFLOW_SECRET_PASSWORD" in text
    doc = yaml.safe_load(text)
    assert doc["channel"] == "sms" and doc["from"] == "8613800138000"
    assert {"send": {"secret": "password"}, "regex": r"您将订购5元100MB流量包，\d+(?:\.\d+)?元/月，次月自动续订。",
            "state": "10086:sub_confirm", "end": False} in doc["steps"]
    assert {"advance": 301.0} in doc["steps"]
    assert {"fixtures": {"balance": {"fail": "timeout"}}} in doc["steps"]
    second = yaml.safe_load((tmp_path / "walk-2.yaml").read_text(encoding="utf-8"))
    assert second["channel"] == "ussd" and second["steps"][0]["dial"] == "*100#"

    monkeypatch.setenv("MENUFLOW_SECRET_PASSWORD", "123456")
    result = await run_suite([str(tmp_path)], registry)
    assert [(o.name, o.error, o.failure) for o in result.outcomes if not o.passed] == []
    assert len(result.outcomes) == 2


async def test_a_wrong_password_is_recorded_under_its_own_name_and_replays(
        phone: Callable[..., Driver], registry: FlowRegistry, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 12, hole 8: a wrong try was written as ``{secret: password}``, so the replay typed the right one."""
    d = phone("sms")
    d.model.recorder = Recorder(str(tmp_path / "wrong.yaml"))
    await d.line("TC")
    await d.line("1")
    await d.line("111111")
    await d.line("123456")
    d.model.recorder.save()
    text = (tmp_path / "wrong.yaml").read_text(encoding="utf-8")
    assert "111111" not in text and "123456" not in text
    sends = [s["send"] for s in yaml.safe_load(text)["steps"] if isinstance(s.get("send"), dict)]
    assert sends == [{"secret": "password"}, {"secret": "password_2"}]
    monkeypatch.setenv("MENUFLOW_SECRET_PASSWORD", "111111")
    monkeypatch.setenv("MENUFLOW_SECRET_PASSWORD_2", "123456")
    result = await run_suite([str(tmp_path)], registry)
    assert [(o.name, o.error, o.failure) for o in result.outcomes if not o.passed] == []


async def test_an_agent_report_is_recorded_and_replays(phone: Callable[..., Driver], registry: FlowRegistry,
                                                       tmp_path: Path) -> None:
    d = phone("ivr")
    d.model.recorder = Recorder(str(tmp_path / "agents.yaml"))
    await d.keys("\r", answers=2)
    await d.keys("0", answers=3)
    await d.keys("/agent busy\r", answers=4)
    [path] = d.model.recorder.save()
    steps = yaml.safe_load(Path(path).read_text(encoding="utf-8"))["steps"]
    assert steps[-1] == {"agent": "busy", "contains": "坐席繁忙，已短信告知您自助办理方式，再见。",
                         "state": "10086:main", "end": True, "push": True}
    result = await run_suite([str(tmp_path)], registry)
    assert result.passed and result.outcomes[0].steps == 3
