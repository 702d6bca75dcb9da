"""Issue 13 problem 9: menus whose options come from the backend's list results."""

from __future__ import annotations

import shutil
from pathlib import Path

from engine.backend.catalogue import OPERATIONS
from engine.flow.checks import check_paths
from engine.states import LANGUAGE
from tests.engine.helpers import EN, Phone, engine_for

DEMO = Path(__file__).resolve().parents[2] / "flows" / "10086"


async def test_every_backend_package_is_offered_with_its_backend_price() -> None:
    engine, _, events = engine_for(str(DEMO))
    r = await Phone(engine, "sms").send("TC")
    for line in ("1. 5元100MB流量包 5.00元/月", "2. 10元300MB流量包 10.00元/月", "3. 视频会员 15.00元/月",
                 "4. 来电显示 5.00元/月", "5. 手机报 3.00元/月", "6. 已订业务/退订"):
        assert line in r.text
    assert [e.data["op"] for e in events if e.kind == "call"] == ["packages"]


async def test_ussd_pages_a_long_list_and_any_item_stays_choosable() -> None:
    engine, _, _ = engine_for(str(DEMO))
    phone = Phone(engine, "ussd")
    await phone.dial()
    first = await phone.send("4")
    assert "98 更多" in first.text and "手机报" not in first.text
    second = await phone.send("98")
    assert "5. 手机报 3.00元/月" in second.text
    assert "服务密码" in (await phone.send("5")).text


async def test_ivr_says_four_at_a_time_and_nine_for_more() -> None:
    engine, _, _ = engine_for(str(DEMO))
    phone = Phone(engine, "ivr", EN)
    await phone.dial()
    first = await phone.send("4")
    assert "press 4" in first.text and "press 5" not in first.text and "For more options, press 9" in first.text
    second = await phone.send("9")
    assert "For Mobile news 3.00 yuan/month, press 1" in second.text and "press 9" not in second.text


def test_linter_checks_item_fields(tmp_path: Path) -> None:
    shutil.copytree(DEMO, tmp_path / "10086")
    main = tmp_path / "10086" / "main.yaml"
    text = main.read_text(encoding="utf-8").replace("{{ item.name_zh }}", "{{ item.nmae_zh }}")
    main.write_text(text.replace('"{{ chosen.code }}"', '"{{ chosen.cod }}"'), encoding="utf-8")
    out = [str(d) for d in check_paths(LANGUAGE, [str(tmp_path)], OPERATIONS)]
    assert any("states.package_list.label: no field 'nmae_zh' in 'item' (did you mean 'name_zh'?)" in m for m in out)
    assert any("states.pick_package.vars.pkg: no field 'cod' in 'chosen' (did you mean 'code'?)" in m for m in out)
