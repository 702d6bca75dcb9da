"""``menu``: rendering per channel and locale verbatim, numbering, visibility, caching, input, lint, graph."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.flow.graph import to_mermaid
from engine.states import menu
from engine.states.menu import render_menu, visible_options
from engine.types import Wait
from tests.engine.helpers import EN, ZH
from tests.engine.states.kit import Kit, compile_states, errors_of, flow_text

MENU = """
main:
  type: menu
  text: {zh: 主菜单, en: Main menu}
  invalid: {zh: 没有这一项, en: No such option}
  retries: 2
  fallback: bye
  options:
    - {label: {zh: 余额, en: Balance}, goto: bye}
    - {label: {zh: 账单, en: Bill}, goto: bye, channels: [sms, ussd]}
    - {label: {zh: 语音, en: Voice}, goto: bye, channels: [ivr]}
    - {label: {zh: 登录后, en: Members}, goto: bye, when: authenticated}
    - {key: "8", label: {zh: 八, en: Eight}, goto: bye}
    - {label: {zh: 最后, en: Last}, goto: bye}
bye:
  type: end
  text: {zh: 再见, en: Bye}
"""


def flow():  # type: ignore[no-untyped-def]
    return compile_states(MENU, extra="agent: {target: q1}\n")


def test_options_are_numbered_per_channel_without_gaps() -> None:
    f = flow()
    node = f.nodes["main"]
    keys = {ch: [(o.key, o.goto, o.label.get("", "zh", "zh").source) for o in node.by_channel[ch]]
            for ch in ("sms", "ussd", "ivr")}
    assert [k for k, _, _ in keys["sms"]] == ["1", "2", "3", "8", "4"]
    assert [label for _, _, label in keys["sms"]] == ["余额", "账单", "登录后", "八", "最后"]
    assert [(k, label) for k, _, label in keys["ivr"]] == [("1", "余额"), ("2", "语音"), ("3", "登录后"),
                                                          ("8", "八"), ("4", "最后")]
    assert keys["ussd"] == keys["sms"]


def test_render_sms_and_ussd_verbatim_in_zh_and_en() -> None:
    f = flow()
    node = f.nodes["main"]
    for ch in ("sms", "ussd"):
        assert render_menu(f, node, ch, "zh", {}) == "主菜单\n1. 余额\n2. 账单\n8. 八\n4. 最后"
        assert render_menu(f, node, ch, "en", {"authenticated": True}) == (
            "Main menu\n1. Balance\n2. Bill\n3. Members\n8. Eight\n4. Last")


def test_render_ivr_phrases_verbatim_with_separators_and_closing_punctuation() -> None:
    f = flow()
    node = f.nodes["main"]
    assert render_menu(f, node, "ivr", "zh", {}) == (
        "主菜单余额请按1，语音请按2，八请按8，最后请按4，重听请按*，人工服务请按0。")
    assert render_menu(f, node, "ivr", "en", {}) == (
        "Main menu For Balance, press 1. For Voice, press 2. For Eight, press 8. For Last, press 4. "
        "To repeat, press *. For an agent, press 0.")


def test_ivr_without_agent_or_repeat_keys_and_without_header() -> None:
    f = compile_states("""
main:
  type: menu
  text: ""
  options:
    - {label: {zh: 甲, en: A}, goto: main}
    - {label: {zh: 乙, en: B}, goto: main}
""", extra="navigation: {ivr: {repeat: [], agent: ['9']}}\n")
    node = f.nodes["main"]
    assert render_menu(f, node, "ivr", "zh", {}) == "甲请按1，乙请按2。"  # an agent key but no agent queue
    assert render_menu(f, node, "ivr", "en", {}) == "For A, press 1. For B, press 2."
    assert render_menu(f, node, "sms", "en", {}) == "1. A\n2. B"


def test_ivr_uses_the_first_configured_repeat_and_agent_keys() -> None:
    f = compile_states("""
main:
  type: menu
  text: 菜单
  options: [{label: 甲, goto: main}]
""", extra="agent: {target: q}\nnavigation: {ivr: {repeat: ['9', '#'], agent: ['7', '5']}}\n")
    assert render_menu(f, f.nodes["main"], "ivr", "zh", {}) == "菜单甲请按1，重听请按#，人工服务请按5。"


async def test_menu_through_the_engine_on_each_channel() -> None:
    kit = Kit(flow())
    assert (await kit.phone("ussd").dial()).text == "主菜单\n1. 余额\n2. 账单\n8. 八\n4. 最后"
    r = await kit.phone("ivr").dial()
    assert r.text.startswith("主菜单余额请按1") and r.audio == ()  # a `when:` option makes it vary
    assert r.wait is not None and r.wait.kind == "choice" and r.wait.max_digits == 1
    r = await kit.phone("sms", msisdn=EN).send("GO")
    assert r.text == "Main menu\n1. Balance\n2. Bill\n8. Eight\n4. Last"


async def test_choosing_a_key_only_works_where_the_option_is_shown() -> None:
    kit = Kit(flow())
    ivr = kit.phone("ivr")
    await ivr.dial()
    assert (await ivr.send("2")).text == "再见"  # "语音" is 2 on the IVR
    ussd = kit.phone("ussd")
    await ussd.dial()
    r = await ussd.send("3")  # "登录后" is hidden until authenticated
    assert r.text == "没有这一项\n主菜单\n1. 余额\n2. 账单\n8. 八\n4. 最后"
    assert (await ussd.send("8")).text == "再见"


async def test_invalid_choices_count_then_fall_back() -> None:
    kit = Kit(flow())
    phone = kit.phone("ussd")
    await phone.dial()
    r = await phone.send("9")
    assert r.text.startswith("没有这一项\n") and not r.end
    r = await phone.send("9")
    assert r.text == "再见" and r.end
    assert [e.data["count"] for e in kit.of("invalid")] == [1, 2]


async def test_invalid_without_its_own_hint_uses_the_builtin_and_flow_retries() -> None:
    kit = Kit(compile_states("""
main:
  type: menu
  text: 菜单
  options: [{label: 甲, goto: main}]
""", extra="retries: 2\n"))
    phone = kit.phone("sms")
    await phone.send("GO")
    assert (await phone.send("5")).text == "输入有误，请重新选择。\n菜单\n1. 甲"
    assert (await phone.send("5")).text == "输入错误次数过多，再见。"


async def test_a_menu_using_variables_is_never_cached_across_subscribers() -> None:
    f = compile_states("""
main:
  type: menu
  text: {zh: "您好{{ msisdn }}", en: "Hello {{ msisdn }}"}
  options:
    - {label: {zh: "查询{{ msisdn[-4:] }}", en: "Query"}, goto: main}
""")
    assert not f.nodes["main"].static
    kit = Kit(f)
    a = await kit.phone("ussd", call="a").dial()
    b = await kit.phone("ussd", msisdn="8613700137000", call="b").dial()
    assert a.text == f"您好{ZH}\n1. 查询8000"
    assert b.text == "您好8613700137000\n1. 查询7000"
    assert f.cache.get(("main", "ussd", "zh")) is None


async def test_visibility_is_per_subscriber_and_never_cached() -> None:
    f = flow()
    assert not f.nodes["main"].static
    node = f.nodes["main"]
    assert [o.key for o in visible_options(node, "sms", {"authenticated": True})] == ["1", "2", "3", "8", "4"]
    assert [o.key for o in visible_options(node, "sms", {})] == ["1", "2", "8", "4"]
    assert render_menu(f, node, "sms", "zh", {"authenticated": True}).count("\n") == 5
    assert render_menu(f, node, "sms", "zh", {}).count("\n") == 4
    assert f.cache == {}


def test_a_static_menu_is_rendered_once_and_served_from_the_cache() -> None:
    f = compile_states("""
main:
  type: menu
  text: {zh: 菜单, en: Menu}
  options: [{label: {zh: 甲, en: A}, goto: main}]
""")
    node = f.nodes["main"]
    assert node.static
    first = render_menu(f, node, "sms", "zh", {})
    assert f.cache[("main", "sms", "zh")] is first
    f.cache[("main", "sms", "zh")] = "cached"
    assert render_menu(f, node, "sms", "zh", {}) == "cached"
    assert render_menu(f, node, "sms", "en", {}) == "Menu\n1. A"


def test_static_needs_every_text_label_and_visibility_static() -> None:
    def static(option: str) -> bool:
        f = compile_states(f"main:\n  type: menu\n  text: 菜单\n  options: [{option}]\n")
        return f.nodes["main"].static

    assert static("{label: 甲, goto: main}")
    assert static("{label: 甲, goto: main, channels: [ivr]}")
    assert not static("{label: 甲, goto: main, when: authenticated}")
    assert not static("{label: '甲{{ x }}', goto: main}")
    assert not static("{label: {zh: 甲, en: '{{ x }}'}, goto: main}")
    f = compile_states("main:\n  type: menu\n  text: {zh: 菜单, en: '{{ x }}'}\n  options: [{label: 甲, goto: main}]\n")
    assert not f.nodes["main"].static


def test_recording_id_only_for_a_fully_static_menu() -> None:
    f = compile_states("""
main:
  type: menu
  text: {zh: 菜单, en: Menu, audio: main-menu}
  options: [{label: 甲, goto: two}]
two:
  type: menu
  text: 二
  options: [{label: 甲, goto: main}]
three:
  type: menu
  text: 三
  options: [{label: 甲, goto: main, when: authenticated}]
""")
    assert menu.prompt_id(f, f.nodes["main"]) == "main-menu"
    assert menu.prompt_id(f, f.nodes["two"]) == "k/two"
    assert menu.prompt_id(f, f.nodes["three"]) is None


def test_wait_collects_as_many_digits_as_the_longest_key() -> None:
    f = compile_states("""
main:
  type: menu
  text: 菜单
  options:
    - {label: 甲, goto: main}
    - {key: "12", label: 乙, goto: main, channels: [sms]}
    - {key: "345", label: 丙, goto: main, when: authenticated}
""")
    node = f.nodes["main"]
    assert menu._menu_wait(f, node, "sms").max_digits == 3
    assert menu._menu_wait(f, node, "ivr").max_digits == 3
    assert menu._menu_wait(f, node, "ivr") is f.cache[("main", "wait", "ivr")]
    small = compile_states("main:\n  type: menu\n  text: 菜单\n  options: [{label: 甲, goto: main}]\n")
    assert menu._menu_wait(small, small.nodes["main"], "ivr").max_digits == 1


def test_explicit_keys_are_skipped_by_automatic_numbers() -> None:
    f = compile_states("""
main:
  type: menu
  text: 菜单
  options:
    - {key: "1", label: 甲, goto: main}
    - {label: 乙, goto: main}
    - {key: "3", label: 丙, goto: main}
    - {label: 丁, goto: main}
""")
    assert [o.key for o in f.nodes["main"].by_channel["sms"]] == ["1", "2", "3", "4"]
    assert [o.key for o in f.nodes["main"].options] == ["1", "2", "3", "4"]


def test_a_key_used_twice_on_a_channel_is_a_located_error() -> None:
    text = flow_text("""
main:
  type: menu
  text: 菜单
  options:
    - {key: "2", label: 甲, goto: main}
    - {label: 乙, goto: main}
    - {key: "2", label: 丙, goto: main}
""")
    assert errors_of(text) == [
        f"f.yaml:16:15: error: states.main.options[2].key: key '2' is already used by options[0] on {ch}"
        for ch in ("sms", "ussd", "ivr")]


def test_lint_warns_of_long_ivr_levels_navigation_keys_and_ussd_pages() -> None:
    labels = "\n".join(f"    - {{label: {{zh: 第{i}个非常非常长的业务选项名称, en: Option {i}}}, goto: main}}"
                       for i in range(1, 7))
    f = compile_states(f"main:\n  type: menu\n  text: {{zh: 菜单, en: Menu}}\n  options:\n{labels}\n"
                       "    - {key: '0', label: {zh: 零, en: Zero}, goto: main, channels: [ussd]}\n"
                       "    - {key: '00', label: {zh: 双零, en: Double}, goto: main, channels: [sms]}\n")
    node = f.nodes["main"]
    assert [str(d) for d in node.kind.lint(f, node)] == [
        "f.yaml:14:7: warning: states.main.options: IVR level has 6 options; callers remember at most 5 "
        "(hide some with `channels:` or group them in a submenu)",
        "f.yaml:21:9: warning: states.main.options[7]: option key '00' is also a navigation key on sms; "
        "navigation wins",
        "f.yaml:20:9: warning: states.main.options[6]: option key '0' is also a navigation key on ussd; "
        "navigation wins",
        "f.yaml:12:11: warning: states.main.text: zh USSD menu is 121 characters, a page holds 78: "
        "it will be split into 2 pages",
    ]


def test_lint_is_quiet_at_five_ivr_options_and_one_ussd_page() -> None:
    labels = "\n".join(f"    - {{label: 选项{i}, goto: main}}" for i in range(1, 6))
    f = compile_states(f"main:\n  type: menu\n  text: 菜单\n  options:\n{labels}\n")
    node = f.nodes["main"]
    assert list(node.kind.lint(f, node)) == []


def test_ivr_agent_key_collides_only_on_the_ivr() -> None:
    f = compile_states("main:\n  type: menu\n  text: 菜单\n  options:\n"
                       "    - {key: '0', label: 零, goto: main, channels: [ivr]}\n"
                       "    - {key: '*', label: 星, goto: main, channels: [sms]}\n")
    node = f.nodes["main"]
    assert [d.message for d in node.kind.lint(f, node)] == [
        "option key '0' is also a navigation key on ivr; navigation wins"]


def test_graph_label_edges_and_ivr_text() -> None:
    f = flow()
    node = f.nodes["main"]
    assert node.kind.label(f, node) == "main: menu\\n主菜单"
    assert node.kind.graph_edges(f, node) == [
        ("bye", "1 余额"), ("bye", "2 账单 (sms,ussd)"), ("bye", "3 语音 (ivr)"), ("bye", "4 登录后"),
        ("bye", "8 八"), ("bye", "6 最后"), ("bye", "too many tries")]
    assert '  main["main: menu<br/>主菜单"]' in to_mermaid(f)
    assert node.kind.shape == ("[", "]", "box")
    # the studio's list: a static menu is rendered as the IVR says it; a varying one gives its text
    static = compile_states("main:\n  type: menu\n  text: 菜单\n  options: [{label: 甲, goto: main}]\n")
    assert static.nodes["main"].kind.ivr_text(static, static.nodes["main"], "zh") == "菜单甲请按1，重听请按*。"
    assert node.kind.ivr_text(f, node, "en") == "Main menu"


def test_menu_kind_declarations() -> None:
    k = menu.KIND
    assert k.waiting and k.menu_level and not k.holds_text and not k.leaves_flow
    assert k.types == ("menu",)
    f = flow()
    spec = f.nodes["main"].spec
    assert k.retries(spec) == 2 and k.fallback_state(spec) == "bye"
    assert [p for p, _ in k.texts("main", spec)][:2] == [("states", "main", "text"), ("states", "main", "invalid")]
    when = compile_states("main:\n  type: menu\n  text: 菜\n  options:\n    - {label: 甲, goto: main}\n"
                          "    - {label: 乙, goto: main, when: x}\n")
    assert list(k.expressions("main", when.nodes["main"].spec)) == [(("states", "main", "options", 1, "when"), "x")]


# -- property: every visible option is listed ----------------------------------------------

OPTION = st.fixed_dictionaries({
    "label": st.text(st.sampled_from(list("甲乙丙abc")), min_size=1, max_size=6),
    "channels": st.none() | st.lists(st.sampled_from(["sms", "ussd", "ivr"]), min_size=1, max_size=3, unique=True),
    "when": st.sampled_from([None, "authenticated", "not authenticated"]),
})


# Each example compiles a flow (~0.1 s, mostly the built-in messages' templates), so an example
# checks every channel, locale and login state of its menu: 50 examples cover 600 renderings.
@settings(max_examples=50, deadline=None)
@given(st.lists(OPTION, min_size=1, max_size=8))
def test_a_rendered_menu_lists_every_option_visible_on_its_channel(options: list[dict[str, object]]) -> None:
    lines = []
    for o in options:
        extra = ""
        if o["channels"] is not None:
            extra += f", channels: [{', '.join(o['channels'])}]"  # type: ignore[arg-type]
        if o["when"] is not None:
            extra += f", when: \"{o['when']}\""
        lines.append(f"    - {{label: \"{o['label']}\", goto: main{extra}}}")
    f = compile_states("main:\n  type: menu\n  text: 菜单\n  options:\n" + "\n".join(lines) + "\n")
    node = f.nodes["main"]
    for channel in ("sms", "ussd", "ivr"):
        for locale in ("zh", "en"):
            for authenticated in (False, True):
                ctx = {"authenticated": authenticated}
                text = render_menu(f, node, channel, locale, ctx)
                shown = [o for o in options
                         if (o["channels"] is None or channel in o["channels"])  # type: ignore[operator]
                         and (o["when"] is None or (o["when"] == "authenticated") == authenticated)]
                keys = [o.key for o in visible_options(node, channel, ctx)]
                assert len(keys) == len(shown)
                for key, o in zip(keys, shown, strict=True):
                    if channel == "ivr":
                        phrase = f"{o['label']}请按{key}" if locale == "zh" else f"For {o['label']}, press {key}"
                        assert phrase in text
                    else:
                        assert f"\n{key}. {o['label']}" in text


def test_lint_names_every_navigation_key_of_each_channel() -> None:
    f = compile_states("main:\n  type: menu\n  text: 菜单\n  options:\n"
                       "    - {key: '9', label: 九, goto: main, channels: [ussd]}\n"
                       "    - {key: '5', label: 五, goto: main, channels: [sms]}\n",
                       extra="navigation: {ussd: {repeat: ['9']}, sms: {agent: ['5']}}\n")
    node = f.nodes["main"]
    assert [d.message for d in node.kind.lint(f, node)] == [
        "option key '9' is also a navigation key on ussd; navigation wins"]  # agent keys act on the IVR only


def test_lint_renders_a_varying_menu_for_ussd_in_each_locale() -> None:
    long_zh = "{{ '长' * 100 if channel == 'ussd' and locale == 'zh' else '短' }}"
    f = compile_states(f"main:\n  type: menu\n  text: \"{long_zh}\"\n  options: [{{label: 甲, goto: main}}]\n")
    node = f.nodes["main"]
    assert [d.message for d in node.kind.lint(f, node)] == [
        "zh USSD menu is 105 characters, a page holds 78: it will be split into 2 pages"]


def test_lint_counts_pages_with_the_footers_of_the_locale() -> None:
    en = "x" * 200
    f = compile_states(f"main:\n  type: menu\n  text: {{zh: 菜单, en: {en}}}\n"
                       "  options: [{label: {zh: 甲, en: A}, goto: main}]\n")
    node = f.nodes["main"]
    # "98 More" / "0 Back" keep the pages GSM-7 (180 units): two pages, where the zh footers would make five
    assert [d.message for d in node.kind.lint(f, node)] == [
        "en USSD menu is 205 characters, a page holds 180: it will be split into 2 pages"]


def test_option_labels_are_checked_for_translations_where_written() -> None:
    from engine.flow.lint import lint_flow
    f = compile_states("main:\n  type: menu\n  text: {zh: 菜单, en: Menu}\n  options:\n"
                       "    - {label: {zh: 甲}, goto: main}\n")
    assert [str(d) for d in lint_flow(f) if "translation" in d.message] == [
        "f.yaml:14:17: warning: states.main.options[0].label: missing translation: en"]


async def test_a_logged_in_subscriber_can_choose_an_option_shown_only_to_them() -> None:
    f = compile_states("entry_set:\n  type: call\n  op: verify_password\n  params: {password: '123456'}\n"
                       "  goto: main\n" + MENU, extra="agent: {target: q1}\n", entry="entry_set")
    kit = Kit(f)
    phone = kit.phone("ussd")
    assert "3. 登录后" in (await phone.dial()).text
    assert (await phone.send("3")).text == "再见"


async def test_the_ivr_waits_for_as_many_digits_as_the_longest_key_on_its_channel() -> None:
    kit = Kit(compile_states("main:\n  type: menu\n  text: 菜单\n  options:\n    - {label: 甲, goto: main}\n"
                             "    - {key: '12', label: 乙, goto: main, channels: [ivr]}\n"
                             "    - {key: '345', label: 丙, goto: main, channels: [sms]}\n"))
    r = await kit.phone("ivr").dial()
    assert r.wait is not None and r.wait.max_digits == 2
    hidden = compile_states("main:\n  type: menu\n  text: 菜单\n"
                            "  options: [{label: 甲, goto: main, channels: [sms]}]\n")
    assert menu._menu_wait(hidden, hidden.nodes["main"], "ivr") == Wait("choice", max_digits=1)


async def test_back_goes_to_the_menu_above_not_to_the_entry() -> None:
    kit = Kit(compile_states("main:\n  type: menu\n  text: 主\n  options: [{label: 子, goto: sub}]\n"
                             "sub:\n  type: menu\n  text: 子菜单\n  options: [{label: 问, goto: ask}]\n"
                             "ask: {type: input, text: 请输入, var: v, goto: main}\n"))
    phone = kit.phone("ussd")
    await phone.dial()
    await phone.send("1")
    assert (await phone.send("1")).text == "请输入"
    assert (await phone.send("0")).text == "子菜单\n1. 问"


async def test_a_static_menu_plays_its_recording_and_a_varying_one_is_spoken() -> None:
    kit = Kit(compile_states("main:\n  type: menu\n  text: {zh: 菜单, audio: menu_rec}\n  options:\n"
                             "    - {label: 甲, goto: bye}\nbye: {type: end, text: 完}\n"))
    assert (await kit.phone("ivr").dial()).audio == ("menu_rec",)
    varying = Kit(compile_states(MENU))  # an option shown "when" a condition holds: not one fixed recording
    assert (await varying.phone("ivr").dial()).audio == ()


async def test_the_ivr_s_own_words_serve_every_caller_where_the_flow_gives_them() -> None:
    """Channel-specific wording wins on the IVR; an English caller without English wording hears the IVR's."""
    words = """\
messages:
  ivr_option: {zh: 屏幕, ivr: {zh: "{{ label }}按{{ key }}", en: "{{ label }} key {{ key }}"}}
  ivr_repeat: {zh: 屏幕, en: Screen, ivr: {zh: "重听按{{ key }}", en: "repeat key {{ key }}"}}
  ivr_agent: {zh: 屏幕, en: Screen, ivr: {zh: "人工按{{ key }}", en: "agent key {{ key }}"}}
agent: {target: q1}
"""
    states = ("main:\n  type: menu\n  text: {zh: 菜单, ivr: {zh: 语音菜单}}\n"
              "  options: [{label: {zh: 甲, ivr: {zh: 语音甲}}, goto: main}]\n")
    kit = Kit(compile_states(states, extra=words))
    assert (await kit.phone("ivr").dial()).text == "语音菜单语音甲按1，重听按*，人工按0。"
    assert (await kit.phone("ivr", EN, call="en").dial()).text == "语音菜单 语音甲 key 1. repeat key *. agent key 0."
