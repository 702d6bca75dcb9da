"""``menuflow prompts export``: listing, formats, safe file names, 8 kHz WAV synthesis."""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
import shutil
import wave
from pathlib import Path

import pytest

from app.commands import prompts as cmd_prompts
from engine.flow.prompts import Prompt
from gateways.ivr.prompt_audio import resample_linear
from tests.conftest import skip_or_fail

PROMPTS = [
    Prompt("10086", "main", "welcome", "zh", "您好，欢迎致电中国移动。"),
    Prompt("10086", "main", "welcome", "en", "Welcome to China Mobile."),
    Prompt("10086", "show_balance", "10086.show_balance", "zh", "您的余额为{{ bal.balance }}元。"),
]


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="menuflow")
    cmd_prompts.register(p.add_subparsers(dest="command", required=True))
    return p


def test_csv_and_json_listing_per_locale() -> None:
    rows = cmd_prompts.collect(PROMPTS, "zh")
    assert [(r["id"], r["dynamic"]) for r in rows] == [("welcome", "no"), ("10086.show_balance", "yes")]
    out = io.StringIO()
    cmd_prompts.write_rows(rows, "csv", out)
    back = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert back[0]["text"] == "您好，欢迎致电中国移动。" and list(back[0]) == list(cmd_prompts.FIELDS)
    out = io.StringIO()
    cmd_prompts.write_rows(cmd_prompts.collect(PROMPTS, "all"), "json", out)
    assert [r["locale"] for r in json.loads(out.getvalue())] == ["zh", "en", "zh"]


def test_wav_paths_cannot_escape_the_folder(tmp_path: Path) -> None:
    assert cmd_prompts.wav_path(tmp_path, "zh", "menu/main") == tmp_path / "zh" / "menu" / "main.wav"
    assert cmd_prompts.wav_path(tmp_path, "zh", "../etc/passwd") is None
    assert cmd_prompts.wav_path(tmp_path, "zh", "/abs") is None


def test_linear_resampler_makes_8khz(tmp_path: Path) -> None:
    src, dst = tmp_path / "in.wav", tmp_path / "out.wav"
    with wave.open(str(src), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(22050)
        frames = b"".join(int(8000 * math.sin(i / 10)).to_bytes(2, "little", signed=True)
                          for i in range(22050))
        w.writeframes(frames)
    resample_linear(src, dst)
    with wave.open(str(dst), "rb") as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth(), w.getnframes()) == (8000, 1, 2, 8000)


def test_espeak_wavs_are_8khz_mono_and_dynamic_prompts_skipped(tmp_path: Path) -> None:
    if shutil.which("espeak-ng") is None:
        skip_or_fail("espeak-ng not installed (apt-get install espeak-ng sox)")
    rows = cmd_prompts.collect(PROMPTS, "all")
    made, problems = cmd_prompts.make_wavs(rows, tmp_path)
    assert (made, problems) == (2, [])
    for locale in ("zh", "en"):
        with wave.open(str(tmp_path / locale / "welcome.wav"), "rb") as w:
            assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (8000, 1, 2)
            assert w.getnframes() > 4000
    assert rows[2]["file"] == ""


def test_export_command_on_the_demo_flows(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "prompts.json"
    args = parser().parse_args(["prompts", "export", "--flows", "flows", "--locale", "zh",
                                "--format", "json", "-o", str(out)])
    assert args.func(args) == 0
    rows = json.loads(out.read_text(encoding="utf-8"))
    assert rows and {r["locale"] for r in rows} == {"zh"}
    assert any("欢迎致电" in r["text"] for r in rows)
