"""The README's worked example of a new state kind works as written: one module, one registration."""

from __future__ import annotations

import re
import sys
import types
from pathlib import Path
from typing import Any

from engine.backend.demo import DemoBackend
from engine.clock import ManualClock
from engine.flow.graph import to_mermaid
from engine.flow.language import Language
from engine.flow.registry import FlowRegistry
from engine.run.build import build_engine
from engine.states import LANGUAGE
from engine.types import Inbound

ROOT = Path(__file__).resolve().parents[2]

FLOW = """\
flow: ab
title: A/B
version: 1
entry: split_here
triggers: {ussd: [{code: "*123#"}]}
states:
  split_here: {type: split, percent: 50, to: new, goto: old}
  new: {type: message, text: new menu}
  old: {type: message, text: old menu}
"""


def readme_kind() -> Any:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### Adding a state kind"):]
    code = re.search(r"```python\n(.*?)```", section, re.S)
    assert code, "the worked example is missing"
    module = types.ModuleType("split_example")
    sys.modules[module.__name__] = module  # as an import would: pydantic resolves annotations through it
    exec(compile(code.group(1), "README.md", "exec"), module.__dict__)
    return module.KIND


async def test_the_readme_kind_registers_compiles_and_runs(tmp_path: Path) -> None:
    lang = Language((*LANGUAGE.kinds, readme_kind()))
    (tmp_path / "ab.yaml").write_text(FLOW, encoding="utf-8")
    registry = FlowRegistry(lang, [str(tmp_path)])
    registry.load()
    flow = registry.current["ab"]
    assert flow.nodes["split_here"].edges == ("new", "old")
    assert 'split_here -- "50%" --> new' in to_mermaid(flow)
    engine = build_engine(registry, DemoBackend(clock=ManualClock()), clock=ManualClock())
    seen = set()
    for n in range(40):
        reply = (await engine.handle(Inbound("ussd", f"86138{n:08d}", event="begin", session_key=f"s{n}",
                                             service_code="*123#")))[0]
        seen.add(reply.text)
        again = (await engine.handle(Inbound("ussd", f"86138{n:08d}", event="begin", session_key=f"t{n}",
                                             service_code="*123#")))[0]
        assert again.text == reply.text  # the same subscriber always lands on the same side
    assert seen == {"new menu", "old menu"}


def test_the_kind_is_in_the_schema_of_its_language() -> None:
    lang = Language((*LANGUAGE.kinds, readme_kind()))
    schema = lang.flow_model.model_json_schema()
    assert "SplitState" in schema["$defs"]
    assert "split" in lang.type_names
