"""The engine around the turn: lock, load, route, save and the reply, including every way an input is refused.

Each test drives ``Engine.handle`` with real parts (compiler, stores, demo backend);
a store that fails is a real one that cannot answer (a lock held elsewhere, a
session that expired mid-turn, a record that is not a session).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator

import pytest
import redis.asyncio

from engine.ports.backend import BackendUnavailable
from engine.ports.events import EngineEvent
from engine.store.memory import MemoryStore
from engine.store.redis import RedisStore
from engine.types import Inbound
from tests.conftest import skip_or_fail
from tests.engine.helpers import EN, ZH
from tests.engine.states.kit import Kit, compile_states

MENU = """
main:
  type: menu
  text: {zh: 主菜单, en: Main}
  options:
    - {label: {zh: 输入, en: Type}, goto: ask}
    - {label: {zh: 结束, en: Done}, goto: done}
ask:
  type: input
  text: {zh: 请输入, en: Type it}
  var: said
  goto: echo
echo: {type: end, text: {zh: "收到{{ said }}", en: "Got {{ said }}"}}
done: {type: end, text: {zh: 再见, en: Bye}}
"""

#: The channel's default flow words "busy" and "session expired" per channel: the engine must use them.
OWN_WORDS = """\
default_for: [sms, ussd, ivr]
messages:
  busy: {zh: 忙, en: Busy, ussd: {zh: USSD忙, en: USSD busy}}
  session_expired: {zh: 已结束, en: Ended, ussd: {zh: USSD已结束, en: USSD ended}}
"""


def kit(extra: str = "") -> Kit:
    return Kit(compile_states(MENU, extra=extra))


def failed(k: Kit) -> list[tuple[str, str, str, dict[str, object], str, float]]:
    return [(e.session_key, e.channel, e.msisdn, e.data, e.flow, e.at) for e in k.of("failed")]


@pytest.fixture
async def redis_url() -> AsyncIterator[str]:
    url = "redis://127.0.0.1:6379/0"
    client = redis.asyncio.Redis.from_url(url, socket_connect_timeout=1.0)
    try:
        await client.ping()
    except redis.RedisError:
        skip_or_fail("Redis not reachable on 127.0.0.1:6379")
    finally:
        await client.aclose()
    yield url


# -- refused inputs: "busy" in the words of the channel's default flow, a "failed" event, a log line ----

async def test_a_session_locked_elsewhere_is_busy(redis_url: str, caplog: pytest.LogCaptureFixture) -> None:
    k = kit(OWN_WORDS)
    store = k.engine.store = RedisStore(redis_url, prefix=f"mftest:{uuid.uuid4().hex}:", wait_timeout=0.05)
    async with store.lock("ussd:c1"):  # another input for this session is still being handled
        with caplog.at_level(logging.WARNING, logger="menuflow.engine"):
            [r] = await k.engine.handle(Inbound("ussd", EN, "", "begin", "c1", "*100#", locale="en"))
    assert (r.channel, r.msisdn, r.text, r.locale, r.end) == ("ussd", EN, "USSD busy", "en", True)
    assert failed(k) == [("ussd:c1", "ussd", EN, {"reason": "busy"}, "", k.clock.now())]
    assert caplog.messages[-1].startswith("ussd input for ussd:c1 not applied: SessionBusy: ussd:c1")


async def test_a_session_that_expired_while_its_input_ran_is_stale(caplog: pytest.LogCaptureFixture) -> None:
    k = kit(OWN_WORDS)
    phone = k.phone("sms")
    await phone.send("GO")

    def slow_turn(event: EngineEvent) -> None:  # the input takes longer than the session may live
        if event.kind == "input":
            k.clock.advance(10_000)

    k.engine.observers.append(slow_turn)
    with caplog.at_level(logging.WARNING, logger="menuflow.engine"):
        r = await phone.send("1")  # the input state waits: the session is saved, and it is gone
    assert (r.channel, r.text, r.locale, r.end) == ("sms", "忙", "zh", True)  # SMS: no USSD wording
    assert [f[3] for f in failed(k)] == [{"reason": "stale"}]
    assert caplog.messages[-1] == "sms input for sms:8613800138000 not applied: StaleSession: " \
        "sms:8613800138000: stored rev 0, writer read rev 1"


async def test_a_record_that_is_not_a_session_is_an_error_the_log_explains(
        redis_url: str, caplog: pytest.LogCaptureFixture) -> None:
    k = kit()
    store = k.engine.store = RedisStore(redis_url, prefix=f"mftest:{uuid.uuid4().hex}:")
    await store.redis.hset(store.session_key("ivr:c1"), mapping={"e": 9e9, "d": b"\xff not a session", "r": 1})
    with caplog.at_level(logging.ERROR, logger="menuflow.engine"):
        [r] = await k.engine.handle(Inbound("ivr", ZH, "1", "input", "c1", "10086"))
    assert (r.channel, r.msisdn, r.text, r.end) == ("ivr", ZH, "系统繁忙，请稍后再试。", True)
    assert [f[3] for f in failed(k)] == [{"reason": "error"}]
    [record] = caplog.records
    assert record.getMessage() == "failed to handle ivr input for ivr:c1" and record.exc_info is not None
    await store.redis.delete(store.session_key("ivr:c1"))


async def test_without_a_default_flow_busy_is_the_built_in_text_in_the_inbound_language(redis_url: str) -> None:
    k = kit()
    store = k.engine.store = RedisStore(redis_url, prefix=f"mftest:{uuid.uuid4().hex}:", wait_timeout=0.05)
    async with store.lock("ussd:c1"):
        [r] = await k.engine.handle(Inbound("ussd", EN, "", "begin", "c1", "*100#", locale="en"))
        [zh] = await k.engine.handle(Inbound("ussd", EN, "", "begin", "c1", "*100#"))
    assert (r.text, r.locale, zh.text, zh.locale) == (
        "The system is busy, please try again later.", "en", "系统繁忙，请稍后再试。", "zh")


async def test_input_from_another_number_cannot_continue_or_end_a_session(caplog: pytest.LogCaptureFixture) -> None:
    k = kit(OWN_WORDS)
    owner = k.phone("ussd", ZH, call="c1")
    await owner.dial()
    with caplog.at_level(logging.WARNING, logger="menuflow.engine"):
        [r] = await k.engine.handle(Inbound("ussd", EN, "2", "input", "c1", "*100#"))
        [en] = await k.engine.handle(Inbound("ussd", EN, "", "end", "c1", "*100#", locale="en"))
    assert (r.channel, r.msisdn, r.text, r.locale, r.end) == ("ussd", EN, "USSD已结束", "zh", True)
    assert (en.text, en.locale) == ("USSD ended", "en")
    foreign = ("ussd:c1", "ussd", {"reason": "foreign"})
    assert [(e.session_key, e.channel, e.data) for e in k.of("failed")] == [foreign, foreign]
    assert caplog.messages == ["ussd input for ussd:c1 from another number refused"] * 2
    assert (await owner.send("2")).text == "再见"  # the owner's session went on untouched


# -- the end of a dialog, and a new dial over an old one ---------------------------------------------

async def test_an_end_event_closes_the_session_quietly() -> None:
    k = kit()
    await k.phone("ivr", EN).dial()
    [r] = await k.engine.handle(Inbound("ivr", EN, "", "end", "c1", "10086"))
    assert (r.channel, r.msisdn, r.text, r.locale, r.end) == ("ivr", EN, "", "en", True)
    assert await k.engine.store.get("ivr:c1") is None
    [end] = k.of("end")
    assert (end.session_key, end.state, end.data, end.msisdn) == ("ivr:c1", "main", {"reason": "abort"}, EN)
    [r] = await k.engine.handle(Inbound("ivr", EN, "", "end", "gone", "10086"))  # nothing to close
    assert (r.text, r.locale, r.end) == ("", "zh", True) and len(k.of("end")) == 1


async def test_a_new_dial_replaces_the_open_session() -> None:
    k = kit()
    phone = k.phone("ussd")
    await phone.dial()
    await phone.send("1")
    k.clock.advance(5)
    r = await phone.dial()
    assert r.text == "主菜单\n1. 输入\n2. 结束" and not r.end
    [end] = k.of("end")
    assert (end.state, end.data, end.at) == ("ask", {"reason": "replaced"}, k.clock.now())
    assert (await phone.send("2")).text == "再见"


# -- SMS: keywords start flows, except while a state waits for typed text ------------------------------

async def test_sms_keyword_while_text_is_awaited_is_the_text() -> None:
    k = kit()
    phone = k.phone("sms")
    await phone.send("GO")
    assert (await phone.send("1")).text == "请输入"
    assert (await phone.send("GO")).text == "收到GO"  # the input state took the keyword as its answer
    assert not k.of("end")[:-1]


async def test_sms_keyword_at_a_menu_restarts_and_the_store_accepts_the_restart() -> None:
    k = kit()
    phone = k.phone("sms")
    await phone.send("GO")
    k.clock.advance(3)
    r = await phone.send("GO")
    assert r.text == "主菜单\n1. 输入\n2. 结束" and not r.end
    assert [(e.state, e.data, e.at) for e in k.of("end")] == [("main", {"reason": "replaced"}, k.clock.now())]
    assert (await phone.send("2")).text == "再见" and not k.of("failed")


async def test_sms_without_a_keyword_continues_the_open_session() -> None:
    k = kit()
    phone = k.phone("sms")
    await phone.send("GO")
    assert (await phone.send("2")).text == "再见"


async def test_sms_unknown_text_gets_the_default_flow_with_its_own_prefix() -> None:
    k = kit("default_for: [sms]\n"
            "messages: {unknown_command: {zh: 不认识, sms: 短信不认识}, no_pending: {zh: 无, sms: 无待办}}\n")
    assert (await k.phone("sms").send("HELLO")).text == "短信不认识\n主菜单\n1. 输入\n2. 结束"
    assert (await k.phone("sms", EN).send("y")).text == "无待办\nMain\n1. Type\n2. Done"
    assert [e.at for e in k.of("session")] == [k.clock.now()] * 2


# -- USSD and IVR begins ---------------------------------------------------------------------------

async def test_ussd_input_without_a_session_says_it_ended_in_the_ussd_words() -> None:
    k = kit(OWN_WORDS)
    [r] = await k.engine.handle(Inbound("ussd", EN, "1", "input", "x", "*100#"))
    assert (r.channel, r.msisdn, r.text, r.locale, r.end) == ("ussd", EN, "USSD ended", "en", True)
    [r] = await k.engine.handle(Inbound("ussd", ZH, "", "input", "y", "*100#"))  # no text: a begin after all
    assert r.text == "主菜单\n1. 输入\n2. 结束"


async def test_an_ivr_call_without_a_called_number_goes_to_the_default() -> None:
    k = Kit(compile_states(MENU, extra="default_for: [ivr]\n"), compile_states(MENU, flow="other", number="95555"))
    [r] = await k.engine.handle(Inbound("ivr", ZH, "", "begin", "c1", ""))
    assert r.meta["flow"] == "k"
    [r] = await k.engine.handle(Inbound("ivr", ZH, "", "begin", "c2", "95555"))
    assert r.meta["flow"] == "other"


# -- a session whose flow went away (the store outlived a restart on other flow files) ------------------

def restarted(k: Kit, *flows: str) -> Kit:
    """A new engine on other flow files that finds the old engine's sessions in the same store."""
    after = Kit(*(compile_states(MENU.replace("ask:", "asked:").replace("goto: ask", "goto: asked"), flow=f,
                                 extra="default_for: [ussd]\n" if f == "k" else "") for f in flows))
    after.engine.store = k.engine.store
    after.clock.advance(k.clock.now() - after.clock.now() + 1)
    return after


async def test_a_session_on_a_flow_or_state_that_went_away_starts_over_at_the_default() -> None:
    before = Kit(compile_states(MENU, flow="old", keyword="OLD", code="*200#"), compile_states(MENU))
    await before.engine.handle(Inbound("ussd", ZH, "", "begin", "c1", "*200#"))
    await before.engine.handle(Inbound("ussd", ZH, "", "begin", "c2", "*100#"))
    await before.engine.handle(Inbound("ussd", ZH, "1", "input", "c2", "*100#"))  # now in "ask"
    old = await before.engine.store.get("ussd:c1")
    assert old is not None and old.flow == "old"
    after = restarted(before, "k")  # "old" is gone, and "k" has no state "ask" any more
    for key in ("c1", "c2"):
        [r] = await after.engine.handle(Inbound("ussd", ZH, "2", "input", key, "*100#"))
        assert r.text == "主菜单\n1. 输入\n2. 结束" and r.meta == {"flow": "k", "version": 1, "state": "main"}
    assert [(e.session_key, e.flow, e.state, e.data, e.at) for e in after.of("end")] == [
        ("ussd:c1", "old", "main", {"reason": "replaced"}, after.clock.now()),
        ("ussd:c2", "k", "ask", {"reason": "replaced"}, after.clock.now())]
    assert [e.at for e in after.of("session")] == [after.clock.now()] * 2


async def test_a_session_on_a_flow_that_went_away_without_a_default_is_told_so() -> None:
    before = Kit(compile_states(MENU, flow="old"))
    await before.phone("ussd").dial()
    after = restarted(before, "new")
    [r] = await after.engine.handle(Inbound("ussd", ZH, "2", "input", "c1", "*100#"))
    assert (r.channel, r.msisdn, r.text, r.end) == ("ussd", ZH, "未能识别您的指令或号码，请核对后重试。", True)
    assert await after.engine.store.get("ussd:c1") is None


# -- events, navigation, the reply --------------------------------------------------------------------

async def test_the_input_event_names_where_it_landed_and_when() -> None:
    k = kit()
    phone = k.phone("ussd", EN)
    t0 = k.clock.now()
    await phone.dial()
    k.clock.advance(2)
    await phone.send("1")
    [event] = k.of("input")
    assert (event.session_key, event.channel, event.flow, event.version, event.state) == (
        "ussd:c1", "ussd", "k", 1, "main")
    assert (event.data, event.msisdn, event.at, event.started) == ({"text": "1", "event": "input"}, EN, t0 + 2, t0)
    [begin] = k.of("session")
    assert (begin.state, begin.at, begin.started) == ("main", t0, t0)
    assert (await phone.send("x")).end
    [end] = k.of("end")
    assert (end.session_key, end.channel, end.flow, end.version, end.state, end.data, end.msisdn, end.at,
            end.started) == ("ussd:c1", "ussd", "k", 1, "echo", {"reason": "done"}, EN, t0 + 2, t0)


async def test_back_at_the_entry_stays_at_the_entry() -> None:
    k = kit()
    phone = k.phone("ussd")
    await phone.dial()
    assert (await phone.send("0")).text == "主菜单\n1. 输入\n2. 结束"


async def test_the_session_lives_as_long_as_its_channel_allows() -> None:
    k = Kit(compile_states(MENU))
    k.engine.ttl["ussd"] = 30.0
    phone = k.phone("ussd")
    await phone.dial()
    k.clock.advance(29)
    assert (await phone.send("1")).text == "请输入"
    k.clock.advance(31)
    assert (await phone.send("x")).text == "会话已结束，请重新拨打。"


def test_time_to_live_per_channel_and_the_call_deadline() -> None:
    k = kit()
    assert k.engine.ttl == {"sms": 600.0, "ussd": 180.0, "ivr": 600.0}
    assert k.engine.call_timeout == 2.0
    k.engine.call_timeout = 0.5
    assert k.engine.world.call_timeout == 0.5
    engine = type(k.engine)(k.registry, k.backend, MemoryStore(k.clock), k.clock, ttl={"ussd": 60})
    assert engine.ttl == {"sms": 600.0, "ussd": 60, "ivr": 600.0}


# -- the subscriber's language: the channel's hint, else the profile (cached, and skipped while slow) ---

SWITCH = MENU.replace("goto: done}", "goto: to_zh}") + """
to_zh:
  type: set
  vars: {locale: zh}
  goto: done
"""


async def test_the_profile_language_is_asked_once_per_number_until_a_flow_switches_it() -> None:
    k = Kit(compile_states(SWITCH))
    assert (await k.phone("ussd", EN, call="a").dial()).text.startswith("Main")
    k.demo.inject("profile", BackendUnavailable("down"))
    assert (await k.phone("ussd", EN, call="b").dial()).locale == "en"  # remembered, not asked again
    assert (await k.phone("ussd", EN, call="b").send("2")).text == "再见"  # the flow switched it to Chinese
    assert (await k.phone("ussd", EN, call="c").dial()).locale == "zh"  # asked again: down, so the flow's
    k.demo.inject("profile", None)
    assert (await k.phone("ussd", EN, call="d").dial()).locale == "zh"  # and that answer is remembered


async def test_the_channel_s_language_hint_wins_when_the_flow_has_that_language() -> None:
    k = Kit(compile_states(MENU))
    [r] = await k.engine.handle(Inbound("ivr", ZH, "", "begin", "c1", "10086", locale="en"))
    assert r.locale == "en"
    [r] = await k.engine.handle(Inbound("ivr", EN, "", "begin", "c2", "10086", locale="fr"))
    assert r.locale == "en"  # not a language of the flow: the profile decides


async def test_a_slow_profile_is_skipped_for_a_while(caplog: pytest.LogCaptureFixture) -> None:
    k = Kit(compile_states(MENU))
    k.demo.inject("profile", None, delay=0.3)
    with caplog.at_level(logging.WARNING, logger="menuflow.engine"):
        assert (await k.phone("ussd", EN, call="a").dial()).locale == "zh"  # waited 150 ms, no longer
    assert caplog.messages == ["profile look-up over 150 ms: skipped for 30 s"]
    k.demo.inject("profile", None)
    k.clock.advance(29.9)
    assert (await k.phone("ussd", EN, call="b").dial()).locale == "zh"  # not asked while paused
    k.clock.advance(0.1)
    assert (await k.phone("ussd", EN, call="c").dial()).locale == "en"


async def test_the_profile_wait_is_the_shorter_of_its_own_and_the_call_deadline() -> None:
    k = Kit(compile_states(MENU))
    k.engine.call_timeout = 0.05
    k.demo.inject("profile", None, delay=0.1)
    assert (await k.phone("ussd", EN).dial()).locale == "zh"


# -- more ways an input arrives ------------------------------------------------------------------------

async def test_an_sms_session_answers_by_the_version_it_started_on() -> None:
    k = kit()
    phone = k.phone("sms")
    await phone.send("GO")
    await phone.send("1")  # v1 waits for typed text at "ask"
    v2 = MENU.replace("ask:\n  type: input\n  text: {zh: 请输入, en: Type it}\n  var: said\n  goto: echo\n",
                      "ask:\n  type: menu\n  text: 选\n  options: [{label: 甲, goto: echo}]\n")
    k.registry.install([compile_states(v2, version=2)])
    assert (await phone.send("GO")).text == "收到GO"  # v1's input state takes the keyword as text


async def test_an_sms_on_a_session_whose_flow_went_away_can_start_anew() -> None:
    before = Kit(compile_states(MENU, flow="old", keyword="OLD"))
    await before.phone("sms").send("OLD")
    after = Kit(compile_states(MENU))
    after.engine.store = before.engine.store
    assert (await after.phone("sms").send("GO")).text == "主菜单\n1. 输入\n2. 结束"


async def test_the_unknown_command_prefix_is_rendered_without_session_variables() -> None:
    k = kit("default_for: [sms]\nmessages: {unknown_command: \"{% if true %}不认识{% endif %}\"}\n")
    assert (await k.phone("sms").send("HELLO")).text == "不认识\n主菜单\n1. 输入\n2. 结束"


async def test_a_first_message_that_carries_text_still_begins() -> None:
    k = kit()
    [r] = await k.engine.handle(Inbound("ussd", ZH, "*100#", "begin", "u1", "*100#"))
    assert r.text == "主菜单\n1. 输入\n2. 结束"
    [r] = await k.engine.handle(Inbound("ivr", ZH, "5", "input", "i1", "10086"))  # a key before the call began
    assert r.text.startswith("主菜单")


async def test_a_language_without_built_in_words_gets_the_chinese_ones(redis_url: str) -> None:
    k = kit()
    store = k.engine.store = RedisStore(redis_url, prefix=f"mftest:{uuid.uuid4().hex}:", wait_timeout=0.05)
    async with store.lock("ussd:c1"):
        [r] = await k.engine.handle(Inbound("ussd", EN, "", "begin", "c1", "*100#", locale="fr"))
    assert (r.text, r.locale) == ("系统繁忙，请稍后再试。", "fr")
