"""Templates and localized texts: constants stay constants, errors never reach a subscriber, lookups fall back."""

from __future__ import annotations

import gc
import logging
import time

import pytest

from engine.flow.spec import LocaleText, TextSpec
from engine.flow.templates import (
    BUILTINS,
    LText,
    TemplateError,
    Tpl,
    compile_expr,
    compile_template,
    compile_text,
    expr_variables,
    template_variables,
    text_sources,
)


def test_text_without_markup_stays_a_constant() -> None:
    for source in ("纯文字", "a { b } c", "100%"):
        tpl = compile_template(source)
        assert tpl.static and tpl.compiled is None and tpl.render({"x": 1}) == source
    assert not compile_template("{{ x }}").static
    assert not compile_template("{% if x %}y{% endif %}").static
    assert compile_template("{% if x %}y{% endif %}").render({"x": True}) == "y"


def test_rendering_and_the_yuan_filter() -> None:
    assert compile_template("{{ a }}+{{ b }}").render({"a": 1, "b": "二"}) == "1+二"
    assert compile_template("{{ v|yuan }}").render({"v": "12.5"}) == "12.50"
    assert compile_template("{{ v|yuan }}").render({"v": 3}) == "3.00"
    assert compile_template("{{ v|yuan }}").render({"v": "abc"}) == "abc"
    assert compile_template("{{ v|yuan }}").render({"v": None}) == "None"
    assert compile_template("{{ missing }}").render({}) == ""


def test_a_failing_template_renders_empty_and_the_sandbox_holds() -> None:
    assert compile_template("{{ 1 / 0 }}").render({}) == ""
    assert compile_template("{{ ''.__class__.__mro__ }}").render({}) == ""


def test_syntax_errors_are_template_errors_with_the_source() -> None:
    with pytest.raises(TemplateError) as exc:
        compile_template("{{ }}")
    assert str(exc.value) == "template syntax: Expected an expression, got 'end of print statement' in '{{ }}'"
    with pytest.raises(TemplateError, match=r"^expression syntax: .* in 'a =='$"):
        compile_expr("a ==")


def test_expressions_are_booleans_and_a_failure_is_false() -> None:
    assert compile_expr("x > 1")({"x": 2}) is True
    assert compile_expr("x > 1")({"x": 1}) is False
    assert compile_expr("x > 1")({}) is False  # undefined compares as None: a TypeError, so false
    assert compile_expr("x")({"x": "text"}) is True
    assert compile_expr("1 / 0")({}) is False


def test_variables_read_by_templates_and_expressions() -> None:
    assert template_variables("plain") == set()
    assert template_variables("{{ a.b }} {% if c %}{{ d|yuan }}{% endif %}") == {"a", "c", "d"}
    assert template_variables("{% set x = 1 %}{{ x }}") == set()
    assert template_variables("{% if c %}x{% endif %}") == {"c"}
    assert expr_variables("a and not b.c") == {"a", "b"}
    assert {"msisdn", "channel", "locale", "flow", "authenticated", "auth_level"} == BUILTINS


def test_text_sources_from_strings_locales_and_channel_overrides() -> None:
    assert text_sources("hi") == {("", ""): "hi"}
    spec = TextSpec(zh="中", en="en", sms="短信", ussd=LocaleText(zh="U中"), ivr=LocaleText(en="ivr-en"))
    assert text_sources(spec) == {("", "zh"): "中", ("", "en"): "en", ("sms", ""): "短信", ("ussd", "zh"): "U中",
                                  ("ivr", "en"): "ivr-en"}


def test_compile_text_expands_and_locale_specific_entries_win() -> None:
    lt = compile_text(TextSpec(zh="中", en="en", sms="短信", ussd=LocaleText(zh="U中")), ["zh", "en"])
    keys = {k: t.source for k, t in lt.by_key.items()}
    assert keys == {("", "zh"): "中", ("", "en"): "en", ("sms", "zh"): "短信", ("sms", "en"): "短信",
                    ("ussd", "zh"): "U中"}
    assert lt.audio is None
    assert compile_text(TextSpec(zh="a", audio="rec"), ["zh"]).audio == "rec"
    both = compile_text(TextSpec(sms=LocaleText(zh="z")), ["zh", "en"])
    assert set(both.by_key) == {("sms", "zh")}
    assert compile_text("x", ["zh", "en"]).by_key.keys() == {("", "zh"), ("", "en")}


def test_ltext_falls_back_channel_then_locale_then_default_then_anything() -> None:
    t = LText({("sms", "en"): Tpl("sms-en"), ("", "en"): Tpl("en"), ("ivr", "zh"): Tpl("ivr-zh"),
               ("", "zh"): Tpl("zh")})
    assert t.get("sms", "en", "zh").source == "sms-en"
    assert t.get("ussd", "en", "zh").source == "en"
    assert t.get("ivr", "fr", "zh").source == "ivr-zh"
    assert t.get("ussd", "fr", "zh").source == "zh"
    only = LText({("ivr", "en"): Tpl("only")})
    assert only.get("sms", "zh", "zh").source == "only"
    assert LText({}).get("sms", "zh", "zh").source == ""
    assert t.render("sms", "en", "zh", {}) == "sms-en"


# --- the bounds on one render: at each limit it renders, one past it the text is blank and the log says why ---

def blank_because(source: str, caplog: pytest.LogCaptureFixture, ctx: dict[str, object] | None = None) -> str:
    """Render a template that must go past a bound: the subscriber gets nothing, the log gets the reason."""
    caplog.clear()
    with caplog.at_level("WARNING", logger="menuflow.templates"):
        assert compile_template(source).render(ctx or {}) == ""
    [record] = caplog.records
    return record.getMessage()


def test_powers_up_to_the_largest_exponent(caplog: pytest.LogCaptureFixture) -> None:
    assert compile_template("{{ 2 ** 128 }}").render({}) == str(2**128)
    assert compile_template("{{ 2 ** -128 }}").render({}) == str(2**-128)
    assert blank_because("{{ 2 ** 129 }}", caplog) == \
        "template render stopped: exponent 129 over 128 in '{{ 2 ** 129 }}'"
    assert blank_because("{{ 2 ** -129 }}", caplog).startswith("template render stopped: exponent -129 over 128")
    assert compile_template("{{ 3 * 200 }}").render({}) == "600"  # a product is not a power


def test_repetition_up_to_its_limit_on_either_side(caplog: pytest.LogCaptureFixture) -> None:
    assert compile_template("{{ 'ab' * 512 }}").render({}) == "ab" * 512
    assert compile_template("{{ (512 * [1]) | length }}").render({}) == "512"
    assert blank_because("{{ 'ab' * 513 }}", caplog) == \
        "template render stopped: '*' would make 1026 items in \"{{ 'ab' * 513 }}\""
    assert blank_because("{{ 1025 * [0] }}", caplog).startswith("template render stopped: '*' would make 1025 items")


def test_ranges_and_centring_up_to_their_limits(caplog: pytest.LogCaptureFixture) -> None:
    assert compile_template("{{ range(1000) | list | length }}").render({}) == "1000"
    assert blank_because("{{ range(1001) | list | length }}", caplog).startswith(
        "template render stopped: range of 1001 over 1000")
    assert compile_template("{{ 'x' | center }}").render({}) == "x".center(80)  # 80 wide by default
    assert compile_template("{{ 'x' | center(1024) }}").render({}) == "x".center(1024)
    assert blank_because("{{ 'x' | center(1025) }}", caplog).startswith(
        "template render stopped: center width 1025 over 1024")


def test_output_up_to_its_limit(caplog: pytest.LogCaptureFixture) -> None:
    sixteen_k = "{% for i in range(16) %}{{ 'x' * 1024 }}{% endfor %}"
    assert len(compile_template(sixteen_k).render({})) == 16_384
    assert blank_because(sixteen_k + "!", caplog).startswith("template render stopped: output over 16384 characters")


def test_a_slow_render_stops_at_its_deadline(caplog: pytest.LogCaptureFixture) -> None:
    nested = "{% for i in range(1000) %}{% for j in range(1000) %}{% endfor %}{% endfor %}"  # no output to count
    assert blank_because(nested, caplog).startswith("template render stopped: render over 20 ms in ")
    # a loop over a long list writes (empty) chunks: the join checks the clock between them
    long_loop = "{% for i in items %}{{ i }}{% endfor %}"
    assert blank_because(long_loop, caplog, {"items": [""] * 500_000}).startswith(
        "template render stopped: render over 20 ms in ")


class _Parked:
    """A value whose rendering waits without using the CPU, as a render the OS parks mid-way does."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def __str__(self) -> str:
        time.sleep(self.seconds)
        return "parked"


class _Collected:
    """A value whose rendering triggers a full collection of a heap that takes longer than the budget."""

    def __init__(self, heap: list[list[int]]) -> None:
        self.heap = heap

    def __str__(self) -> str:
        started = time.thread_time()
        while time.thread_time() - started < 0.03:  # the collector's time, not the template's
            gc.collect()
        return "collected"


def test_a_render_the_machine_parks_past_the_budget_still_answers(caplog: pytest.LogCaptureFixture) -> None:
    # On a loaded machine the wall clock passes 20 ms while the render itself used almost none of it:
    # stopping it left an SMS unanswered (1 in ~4,000 in the benchmark).
    with caplog.at_level(logging.WARNING, logger="menuflow.templates"):
        assert compile_template("余额{{ a }}元，{{ b }}").render({"a": _Parked(0.03), "b": _Parked(0.01)}) == \
            "余额parked元，parked"
        loop = "{% for i in range(3) %}{{ p }}{% endfor %}"  # the range's own clock checks
        assert compile_template(loop).render({"p": _Parked(0.012)}) == "parked" * 3
    assert caplog.records == []


def test_a_collection_during_a_render_is_not_the_template_s_time(caplog: pytest.LogCaptureFixture) -> None:
    heap = [[i] for i in range(200_000)]
    with caplog.at_level(logging.WARNING, logger="menuflow.templates"):
        assert compile_template("{{ g }}!").render({"g": _Collected(heap)}) == "collected!"
    assert caplog.records == []


def test_a_missing_locale_falls_back_to_the_flow_s_own_not_the_first_written() -> None:
    text = LText({("", "zh"): Tpl("中"), ("", "en"): compile_template("English {{ n }}")})
    assert text.render("sms", "fr", "en", {"n": 1}) == "English 1"


def test_loops_two_deep_compile_and_three_deep_are_refused() -> None:
    two = "{% for a in x %}{% if a %}{% for b in a %}{{ b }}{% endfor %}{% endif %}{% endfor %}"
    assert compile_template(two).render({"x": [[1, 2], [3]]}) == "123"
    three = "{% for a in x %}{% for b in a %}{% for c in b %}{% endfor %}{% endfor %}{% endfor %}"
    with pytest.raises(TemplateError) as err:
        compile_template("{% if y %}" + three + "{% endif %}")
    assert str(err.value) == f"loops nested more than 2 deep in {'{% if y %}' + three + '{% endif %}'!r}"
    side_by_side = "{% for a in x %}{% for b in a %}{% endfor %}{% endfor %}{% for c in x %}{% endfor %}"
    assert compile_template(side_by_side).render({"x": []}) == ""
