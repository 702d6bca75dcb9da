"""Issue 12, holes 1 and 3: authentication levels the runtime enforces, and no password at rest."""

from __future__ import annotations

from pathlib import Path

import msgpack

from engine.backend.catalogue import OPERATIONS
from engine.backend.demo import DemoBackend
from engine.clock import ManualClock
from engine.flow.checks import check_paths
from engine.ports.backend import CallContext
from engine.session import Session
from engine.states import LANGUAGE
from tests.engine.helpers import ZH, Phone, engine_for, write_flow

SKIPS_THE_CHECK = """\
flow: rogue
title: 跳过密码
version: 1
locale: zh
entry: menu
triggers:
  ussd: [{code: "*555#"}]
states:
  menu:
    type: menu
    text: 选择
    options:
      - {label: 充值, goto: fake}
  fake:
    type: set
    vars: {authenticated: true}
    goto: pay
  pay:
    type: call
    op: topup
    params: {amount: "100"}
    goto: done
  done:
    type: end
    text: 已充值
"""


async def test_topup_asks_for_the_password_first() -> None:
    """Hole 1: keys 5, 1, 100 used to reach the bank-card confirmation with no password at all."""
    engine, _, events = engine_for("flows")
    phone = Phone(engine, "ussd")
    await phone.dial()
    await phone.send("5")
    await phone.send("1")
    r = await phone.send("100")
    assert r.text == "请输入6位服务密码："
    assert not any(e.kind == "call" and e.data["op"] == "topup" for e in events)


async def test_points_redemption_asks_for_the_password_first() -> None:
    engine, _, _ = engine_for("flows")
    phone = Phone(engine, "ussd")
    await phone.dial()
    for key in ("5", "2"):
        await phone.send(key)
    r = await phone.send("1")
    assert r.text == "请输入6位服务密码："


async def test_the_engine_refuses_an_operation_whatever_the_flow_says(tmp_path: Path) -> None:
    """A flow that sets ``authenticated`` itself and calls topup gets a refusal, the backend nothing."""
    write_flow(tmp_path, SKIPS_THE_CHECK)
    demo = DemoBackend(clock=ManualClock())
    engine, _, events = engine_for(str(tmp_path), demo)
    phone = Phone(engine, "ussd", to="*555#")
    await phone.dial()
    r = await phone.send("1")
    assert r.text == "该业务需先验证服务密码，本次业务未办理。" and r.wait is None
    assert [e.data.get("refused") for e in events if e.kind == "call"] == ["auth_required"]
    assert (await demo.call("balance", {}, CallContext(ZH, "ussd", "x")))["balance"] == "50.00"


def test_the_linter_points_at_the_path_without_the_check(tmp_path: Path) -> None:
    write_flow(tmp_path, SKIPS_THE_CHECK)
    found = [str(d) for d in check_paths(LANGUAGE, [str(tmp_path)], OPERATIONS)]
    assert any("flow.yaml:20:9" in d and "operation 'topup' needs authentication 'password'" in d
               and "menu → fake → pay" in d for d in found), found


async def test_the_password_is_checked_in_its_turn_and_never_kept() -> None:
    """Hole 3: the session used to hold ``password: 123456`` for the rest of the dialog."""
    engine, clock, _ = engine_for("flows")
    phone = Phone(engine, "ussd")
    await phone.dial()
    for key in ("4", "1"):
        await phone.send(key)
    r = await phone.send("123456")
    assert "您将订购" in r.text
    session = await engine.store.get("ussd:c1")
    assert session is not None
    assert session.auth_level == "password" and session.auth_at == clock.now()
    assert b"123456" not in session.pack() and "password" not in session.vars


async def test_change_password_keeps_no_old_password_between_turns() -> None:
    engine, _, events = engine_for("flows")
    phone = Phone(engine, "sms")
    for text in ("MM", "1"):
        await phone.send(text)
    await phone.send("123456")
    session = await engine.store.get("sms:" + ZH)
    assert session is not None and b"123456" not in session.pack()
    r = await phone.send("258147")
    assert r.text == "服务密码修改成功。"
    calls = [e.data for e in events if e.kind == "call" and e.data.get("op") == "change_password"]
    assert calls[0]["params"] == {"new_password": "******", "idempotency_key": calls[0]["params"]["idempotency_key"]}


async def test_wrong_passwords_stop_the_source_before_they_lock_the_victim() -> None:
    """Hole 6: five wrong passwords from anyone locked the victim out for 24 hours."""
    demo = DemoBackend(clock=ManualClock())
    engine, _, _ = engine_for("flows", demo)
    attacker = Phone(engine, "ussd", call="a1")
    await attacker.dial()
    for key in ("4", "1", "111111", "111112", "111113"):
        r = await attacker.send(key)
    r = await attacker.send("111114")
    assert r.text == "操作过于频繁，请稍后再试。" and r.wait is None
    for i in range(3):  # new dialogs from the same source are refused before the backend is asked
        attacker = Phone(engine, "ussd", call=f"a{i + 2}")
        await attacker.dial()
        for key in ("4", "1"):
            await attacker.send(key)
        assert (await attacker.send("111115")).text == "操作过于频繁，请稍后再试。"
    # the account is not locked: the right password still works from elsewhere
    assert await demo.call("verify_password", {"password": "123456"}, CallContext(ZH, "sms", "v")) == {}


async def test_reset_codes_are_limited_per_number_per_hour() -> None:
    """Hole 6: twenty reset-code SMS reached one victim in a second."""
    engine, clock, _ = engine_for("flows")
    sent = 0
    for i in range(6):
        phone = Phone(engine, "ussd", call=f"r{i}")
        await phone.dial()
        for key in ("5", "3"):
            await phone.send(key)
        r = await phone.send("2")
        sent += len(phone.pushes)
        if i >= 3:
            assert r.text == "操作过于频繁，请稍后再试。"
    assert sent == 3
    clock.advance(3601)
    phone = Phone(engine, "ussd", call="later")
    await phone.dial()
    for key in ("5", "3", "2"):
        await phone.send(key)
    assert len(phone.pushes) == 1


async def test_a_password_saved_by_an_older_release_is_wiped_by_the_next_turn() -> None:
    engine, _, _ = engine_for("flows")
    phone = Phone(engine, "ussd")
    await phone.dial()
    session = await engine.store.get("ussd:c1")
    assert session is not None
    session.vars["password"] = "123456"  # the auth subflow's input, as releases before this one kept it
    await engine.store.put(session, 180)
    await phone.send("1")
    session = await engine.store.get("ussd:c1")
    assert session is not None and "password" not in session.vars


def test_a_session_packed_before_the_auth_slots_has_proved_nothing() -> None:
    old = Session("ussd:x", ZH, "ussd", "10086", 1, "main", "zh", 5.0)
    old.vars = {"authenticated": True, "pkg": "LL5"}
    fields = msgpack.unpackb(old.pack())[:17]  # the layout before auth_level/auth_at
    s = Session.unpack(msgpack.packb(fields))
    assert s.auth_level == "none" and s.auth_at == 0.0 and s.vars == {"pkg": "LL5"}
    s.auth_level, s.auth_at = "password", 9.0
    assert Session.unpack(s.pack()).auth_level == "password"
    again = Session.from_dict(s.to_dict())
    assert (again.auth_level, again.auth_at) == ("password", 9.0)
    older = Session.from_dict({k: v for k, v in s.to_dict().items() if k not in ("al", "at")})
    assert (older.auth_level, older.auth_at) == ("none", 0.0)
