"""The runtime's guard before an operation (``engine.run.guard``): the level it needs, per-number limits,
and wrong passwords counted per attempt source (channel, network origin, number)."""

from __future__ import annotations

import logging

import pytest

from engine.backend.catalogue import OPERATIONS
from engine.ports.backend import BackendTimeout
from engine.run.guard import SOURCE_TRIES, SOURCE_WINDOW, source_key
from engine.session import Session
from engine.types import Inbound
from tests.engine.helpers import EN, ZH
from tests.engine.states.kit import Kit, compile_states

CHECK = """
main:
  type: input
  text: 请输入密码
  var: pw
  secret: true
  goto: check
check:
  type: call
  op: verify_password
  params: {password: "{{ pw }}"}
  goto: ok
  errors: {WRONG_PASSWORD: wrong}
ok: {type: end, text: "通过{{ authenticated }}"}
wrong: {type: end, text: 密码错误}
"""

TOO_FREQUENT = "操作过于频繁，请稍后再试。"


async def attempt(kit: Kit, password: str, source: str = "10.0.0.1", channel: str = "ivr", msisdn: str = ZH,
                  call: str = "c") -> str:
    handle, code = kit.engine.handle, {"ivr": "10086", "ussd": "*100#"}[channel]
    await handle(Inbound(channel, msisdn, "", "begin", call, code, meta={"source": source}))  # type: ignore[arg-type]
    [r] = await handle(Inbound(channel, msisdn, password, "input", call, code,  # type: ignore[arg-type]
                               meta={"source": source}))
    return r.text


async def test_wrong_passwords_are_counted_per_source_and_forgotten_after_the_window() -> None:
    kit = Kit(compile_states(CHECK))
    assert (SOURCE_TRIES, SOURCE_WINDOW) == (3, 3600.0)
    assert [await attempt(kit, "111111") for _ in range(3)] == ["密码错误"] * 3
    assert await attempt(kit, "123456") == TOO_FREQUENT  # even the right one: the source is stopped
    assert kit.of("call")[-1].data == {"op": "verify_password", "ok": False, "refused": "too_frequent"}
    assert await attempt(kit, "123456", source="10.0.0.2") == "通过True"  # another origin is not
    assert await attempt(kit, "123456", channel="ussd") == "通过True"  # nor another channel
    kit.clock.advance(3600)
    assert await attempt(kit, "123456") == "通过True"


async def test_a_right_password_is_not_a_try() -> None:
    kit = Kit(compile_states(CHECK))
    for _ in range(3):
        assert await attempt(kit, "123456") == "通过True"
    assert await attempt(kit, "111111") == "密码错误"


async def test_without_a_known_origin_the_number_s_failures_still_add_up() -> None:
    kit = Kit(compile_states(CHECK))
    assert [await attempt(kit, "111111", source="") for _ in range(3)] == ["密码错误"] * 3
    assert await attempt(kit, "123456", source="") == TOO_FREQUENT
    assert await attempt(kit, "123456", source="-x") == "通过True"


def test_the_counter_names_the_operation_channel_origin_and_number() -> None:
    session = Session("ivr:c", ZH, "ivr", "k", 1, "main", "zh", 0.0)
    info = OPERATIONS["verify_password"]
    assert source_key(session, info, "10.0.0.1") == f"fail:verify_password:ivr:10.0.0.1:{ZH}"
    assert source_key(session, info, "") == f"fail:verify_password:ivr:-:{ZH}"


RESET = """
main:
  type: call
  op: request_reset_code
  result: reset
  goto: sent
sent: {type: end, text: 已发送}
"""


async def test_a_per_hour_limit_counts_each_number_on_its_own() -> None:
    kit = Kit(compile_states(RESET))
    for i in range(3):
        assert (await kit.phone("ussd", ZH, call=f"z{i}").dial()).text == "已发送"
    assert (await kit.phone("ussd", ZH, call="z4").dial()).text == TOO_FREQUENT
    assert (await kit.phone("ussd", EN, call="e1").dial()).text == "已发送"


async def test_an_operation_above_the_session_s_level_is_refused_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    kit = Kit(compile_states("main:\n  type: call\n  op: topup\n  params: {amount: '10'}\n  goto: done\n"
                             "done: {type: end, text: 好}\n"))
    with caplog.at_level(logging.WARNING, logger="menuflow.engine"):
        r = await kit.phone("ussd").dial()
    assert r.text == "该业务需先验证服务密码，本次业务未办理。"
    assert caplog.messages == ["topup refused for ussd:c1: needs password, session has none"]


async def test_recording_a_check_says_whether_the_session_s_level_changed() -> None:
    from engine.run import guard

    kit = Kit(compile_states(CHECK))
    world = kit.engine.world
    session = Session("ivr:c", ZH, "ivr", "k", 1, "main", "zh", 0.0)
    assert not await guard.record(world, session, OPERATIONS["balance"], True, "", 5.0)  # grants nothing
    assert not await guard.record(world, session, OPERATIONS["verify_password"], False, "", 5.0)
    assert (session.auth_level, await world.limits.used(source_key(session, OPERATIONS["verify_password"], ""),
                                                        SOURCE_WINDOW)) == ("none", 1)
    assert await guard.record(world, session, OPERATIONS["verify_password"], True, "", 7.0)
    assert (session.auth_level, session.auth_at) == ("password", 7.0)


async def test_a_password_check_that_timed_out_is_not_a_wrong_password() -> None:
    kit = Kit(compile_states(CHECK.replace("  errors: {WRONG_PASSWORD: wrong}\n",
                                           "  errors: {WRONG_PASSWORD: wrong}\n  timeout: wrong\n")))
    kit.demo.inject("verify_password", BackendTimeout("slow"))
    assert [await attempt(kit, "123456") for _ in range(3)] == ["密码错误"] * 3  # the timeout branch
    kit.demo.inject("verify_password", None)
    assert await attempt(kit, "123456") == "通过True"
