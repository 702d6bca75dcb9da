"""Issue 13 problems 1, 4 and 7: defaults are declared, clashes land in the edited file, shortcuts shadowed."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from engine.flow.checks import check_paths
from engine.states import LANGUAGE
from tests.engine.helpers import Phone, engine_for, write_flow

DEMO = Path(__file__).resolve().parents[2] / "flows" / "10086"

LLB = """\
flow: llb
title: {zh: 流量包, en: Data packs}
version: 1
entry: menu
triggers:
  sms: [{keywords: [LLB]}]
  ussd: [{code: "*123#"}]
  ivr: [{code: "10010"}]
states:
  menu:
    type: menu
    text: {zh: 流量包：, en: "Data packs:"}
    options:
      - {label: {zh: 结束, en: Bye}, goto: bye}
  bye:
    type: end
    text: {zh: 再见, en: Bye}
"""


def _demo_plus(tmp_path: Path, name: str, text: str = LLB) -> str:
    shutil.copytree(DEMO, tmp_path / "10086")
    write_flow(tmp_path, text, name)
    return str(tmp_path)


@pytest.mark.parametrize("name", ["aa_llb.yaml", "llb.yaml", "zz_llb.yaml"])
async def test_a_new_flow_changes_nothing_the_demo_answers(tmp_path: Path, name: str) -> None:
    engine, _, _ = engine_for(_demo_plus(tmp_path, name))
    sms = await Phone(engine, "sms").send("hello")
    assert sms.meta["flow"] == "10086" and "欢迎使用10086" in sms.text
    ivr = await Phone(engine, "ivr").dial("95555")
    assert ivr.meta["flow"] == "10086"
    assert (await Phone(engine, "sms").send("LLB")).meta["flow"] == "llb"


async def test_unknown_ussd_code_goes_to_the_declared_default(tmp_path: Path) -> None:
    engine, _, _ = engine_for(_demo_plus(tmp_path, "llb.yaml"))
    r = await Phone(engine, "ussd").dial("*999#")
    assert r.meta["flow"] == "10086" and "会话已结束" not in r.text and "欢迎使用10086" in r.text


async def test_unknown_ussd_code_without_default_says_so_instead_of_session_ended(tmp_path: Path) -> None:
    engine, _, _ = engine_for(str(write_flow(tmp_path, LLB)))
    r = await Phone(engine, "ussd").dial("*999#")
    assert r.end and "会话已结束" not in r.text and r.text.startswith("未能识别")


async def test_no_default_anywhere_answers_plainly(tmp_path: Path) -> None:
    engine, _, _ = engine_for(str(write_flow(tmp_path, LLB)))
    r = await Phone(engine, "sms").send("hello")
    assert r.end and r.text.startswith("未能识别") and "流量包" not in r.text


def test_two_defaults_are_an_error_and_none_is_a_named_warning(tmp_path: Path) -> None:
    folder = _demo_plus(tmp_path, "llb.yaml", LLB.replace("entry: menu", "entry: menu\ndefault_for: [sms]"))
    diags = check_paths(LANGUAGE, [folder], None)
    errors = [d for d in diags if d.severity == "error"]
    assert len(errors) == 1 and "is already the sms default" in errors[0].message
    assert "main.yaml:" in errors[0].message and errors[0].file.endswith("llb.yaml")
    second = LLB.replace("flow: llb", "flow: llc").replace("LLB", "LLC").replace("*123#", "*124#")
    second = second.replace('"10010"', '"10011"')
    (tmp_path / "b").mkdir()
    write_flow(tmp_path / "b", LLB, "llb.yaml")
    diags = check_paths(LANGUAGE, [str(write_flow(tmp_path / "b", second, "llc.yaml").parent)], None)
    ussd = [d for d in diags if "default_for: [ussd]" in d.message]
    assert ussd and "unknown USSD code gets the 'no_service' reply" in ussd[0].message


@pytest.mark.parametrize("name", ["aa.yaml", "zz.yaml"])
def test_clash_reported_in_the_edited_file_naming_the_other(tmp_path: Path, name: str) -> None:
    folder = _demo_plus(tmp_path, name, LLB.replace("[LLB]", "[LLB, ye]"))
    mine = tmp_path / name
    os.utime(mine, (os.stat(mine).st_atime, os.stat(DEMO / "main.yaml").st_mtime + 3600))
    errors = [d for d in check_paths(LANGUAGE, [folder], None) if d.severity == "error"]
    assert len(errors) == 1
    assert errors[0].file == str(mine) and errors[0].line == 6
    assert "of flow '10086' at " in errors[0].message and "10086/main.yaml:" in errors[0].message


def test_ussd_code_shadowing_a_star_shortcut_warns(tmp_path: Path) -> None:
    folder = _demo_plus(tmp_path, "llb.yaml", LLB.replace('"*123#"', '"*100*5#"'))
    warnings = [d for d in check_paths(LANGUAGE, [folder], None) if "shadows" in d.message]
    assert len(warnings) == 1 and warnings[0].file.endswith("llb.yaml")
    assert "*100# then 5" in warnings[0].message and "main.yaml:" in warnings[0].message
