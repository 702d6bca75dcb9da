"""Sessions pin the flow version they started on; reloading never breaks them."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.flow.diagnostics import FlowError
from tests.engine.helpers import Phone, engine_for, write_flow

V = """\
flow: r
title: R
version: {v}
entry: main
triggers:
  ussd: [{{code: "*1#"}}]
states:
  main:
    type: menu
    text: 版本{v}
    options:
      - {{label: 下一步, goto: next}}
  next:
    type: end
    text: 结束于版本{v}
"""


async def test_live_session_keeps_its_version(tmp_path: Path) -> None:
    write_flow(tmp_path, V.format(v=1), "r.yaml")
    engine, _, _ = engine_for(str(tmp_path))
    old = Phone(engine, "ussd", to="*1#", call="old")
    assert (await old.dial()).text.startswith("版本1")
    write_flow(tmp_path, V.format(v=2), "r.yaml")
    engine.registry.load()
    new = Phone(engine, "ussd", to="*1#", call="new")
    assert (await new.dial()).text.startswith("版本2")
    assert (await old.send("1")).text == "结束于版本1"
    assert (await new.send("1")).text == "结束于版本2"


async def test_broken_reload_keeps_serving(tmp_path: Path) -> None:
    write_flow(tmp_path, V.format(v=1), "r.yaml")
    engine, _, _ = engine_for(str(tmp_path))
    write_flow(tmp_path, "flow: r\nstates: [", "r.yaml")
    with pytest.raises(FlowError):
        engine.registry.load()
    assert (await Phone(engine, "ussd", to="*1#").dial()).text.startswith("版本1")


async def test_session_of_unloaded_version_moves_to_current(tmp_path: Path) -> None:
    write_flow(tmp_path, V.format(v=1), "r.yaml")
    engine, _, _ = engine_for(str(tmp_path))
    phone = Phone(engine, "ussd", to="*1#")
    await phone.dial()
    del engine.registry.versions["r"][1]  # as after a restart on new files
    write_flow(tmp_path, V.format(v=2), "r.yaml")
    engine.registry.load()
    assert (await phone.send("1")).text == "结束于版本2"


async def test_changed_flow_without_version_bump_is_reported(tmp_path: Path) -> None:
    write_flow(tmp_path, V.format(v=1), "r.yaml")
    engine, _, _ = engine_for(str(tmp_path))
    assert engine.registry.load() == []  # same content: nothing to say
    write_flow(tmp_path, V.format(v=1).replace("结束于版本1", "改过了"), "r.yaml")
    [warning] = engine.registry.load()
    assert str(warning) == f"{tmp_path / 'r.yaml'}:3:10: warning: version: flow 'r' changed but is still version 1: " \
        "live sessions on it switch to the new content; bump `version:` to keep them on the old one"


def test_yml_files_are_flows_too_and_the_editor_schema_is_not_one(tmp_path: Path) -> None:
    from engine.flow.registry import FlowRegistry
    from engine.states import LANGUAGE

    write_flow(tmp_path, V.format(v=1), "r.yml")
    schema = write_flow(tmp_path, "{}", "schema.json")
    (tmp_path / "more").mkdir()
    other = write_flow(tmp_path / "more", V.format(v=1).replace("flow: r", "flow: s").replace("*1#", "*2#"), "s.yaml")
    registry = FlowRegistry(LANGUAGE, [str(schema), str(tmp_path / "r.yml"), str(other)])
    registry.load()
    assert set(registry.current) == {"r", "s"}
    registry = FlowRegistry(LANGUAGE, [str(tmp_path)])
    registry.load()
    assert set(registry.current) == {"r", "s"}


def test_a_load_returns_the_warnings_across_files(tmp_path: Path) -> None:
    from engine.flow.registry import FlowRegistry
    from engine.states import LANGUAGE

    write_flow(tmp_path, V.format(v=1), "r.yaml")
    write_flow(tmp_path, V.format(v=1).replace("flow: r", "flow: s").replace('"*1#"', '"*1*1#"'), "s.yaml")
    warnings = FlowRegistry(LANGUAGE, [str(tmp_path)]).load()
    assert {w.severity for w in warnings} == {"warning"}
    assert any("*1*1#" in w.message for w in warnings)
