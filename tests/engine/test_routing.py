"""Which flow and state an input starts: SMS keywords, USSD codes with star shortcuts, IVR numbers."""

from __future__ import annotations

from engine.run.routing import Route, Router
from tests.engine.states.kit import compile_states, compile_text, registry_of

STATES = "main: {type: end, text: hi}\nb: {type: end, text: b}\n"


def router() -> Router:
    a = compile_states(STATES, flow="a", keyword="YE, 余额", code="*100#", number="10086")
    b = compile_states(STATES, flow="b", keyword="CX", code="*100*9#", number="10010")
    return Router(registry_of(a, b))


def test_sms_keywords_are_normalised() -> None:
    r = router()
    assert r.sms_keyword(" ｙｅ ") == Route("a", None) and r.sms_keyword("余额") == Route("a", None)
    assert r.sms_keyword("c x") == Route("b", None) and r.sms_keyword("ZZ") is None


def test_ussd_codes_and_star_shortcuts() -> None:
    r = router()
    assert r.ussd_code("*100#") == Route("a", None)
    assert r.ussd_code("*100*9#") == Route("b", None)  # a code of its own wins over a shortcut
    assert r.ussd_code("*100*2*1#") == Route("a", None, ("2", "1"))
    assert r.ussd_code("*100*9*3#") == Route("b", None, ("3",))  # the longest code that matches
    assert r.ussd_code("*100**2#") == Route("a", None, ("2",))  # empty inputs are dropped
    assert r.ussd_code("*101*2#") is None and r.ussd_code("*100") is None
    assert r.ussd_code("100*2#") is None  # the shortest prefix tried is "*100#", never "#"


def test_ivr_numbers_with_and_without_a_query() -> None:
    r = router()
    assert r.ivr_number("10086") == Route("a", None)
    assert r.ivr_number("10010?lang=en") == Route("b", None)
    assert r.ivr_number("10010?a=1?b=2") == Route("b", None)
    assert r.ivr_number("95555") is None


def test_default_is_the_flow_that_declares_it_never_the_first_loaded() -> None:
    assert router().default("sms") is None  # two flows, none declared
    a = compile_states(STATES, flow="a", keyword="YE", extra="default_for: [sms, ivr]\n")
    b = compile_states(STATES, flow="b", keyword="CX")
    r = Router(registry_of(b, a))
    assert r.default("sms") == r.default("ivr") == Route("a", None) and r.default("ussd") is None
    assert Router(registry_of()).default("sms") is None


def test_tables_are_rebuilt_after_a_reload_only() -> None:
    reg = registry_of(compile_states(STATES, flow="a", keyword="YE"))
    r = Router(reg)
    assert r.sms_keyword("YE") == Route("a", None)
    tables = r.sms
    r.refresh()
    assert r.sms is tables
    reg.install([compile_states(STATES, flow="c", keyword="NEW")])
    assert r.sms_keyword("NEW") == Route("c", None) and r.sms_keyword("YE") is None


def test_a_trigger_goto_starts_past_the_entry() -> None:
    f = compile_text("flow: g\ntitle: G\nversion: 1\nentry: main\ndefault_for: [ussd]\n"
                     "triggers:\n  sms: [{keywords: [B], goto: b}]\n"
                     "  ussd: [{code: '*5#', goto: b}]\n  ivr: [{code: '5', goto: b}]\nstates:\n"
                     "  main: {type: end, text: hi}\n  b: {type: end, text: b}\n")
    r = Router(registry_of(f))
    assert r.sms_keyword("B") == r.ussd_code("*5#") == r.ivr_number("5") == Route("g", "b")
    assert r.ussd_code("*5*1#") == Route("g", "b", ("1",))
    assert r.default("ussd") == Route("g", None)  # input no trigger claims starts at the entry


def test_an_ivr_script_name_with_a_query_is_matched_whole_first() -> None:
    a = compile_states(STATES, flow="a", keyword="A", number="menu?lang=en")
    b = compile_states(STATES, flow="b", keyword="B", number="menu")
    r = Router(registry_of(a, b))
    assert r.ivr_number("menu?lang=en") == Route("a", None)
    assert r.ivr_number("menu?lang=zh") == Route("b", None)
