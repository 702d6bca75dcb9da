"""Sandboxed templates and localized texts, compiled once per flow version.

Texts without ``{{``/``{%`` stay plain strings, so rendering a static menu
costs a dictionary lookup. Everything else renders in Jinja2's sandbox: a
flow author cannot reach Python internals through a template.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from jinja2 import TemplateSyntaxError, meta
from jinja2.nodes import Template as TemplateNode
from jinja2.sandbox import SandboxedEnvironment

from engine.flow.spec import LocaleText, Text, TextSpec


def _yuan(value: Any) -> str:
    try:
        return f"{Decimal(str(value)):.2f}"
    except (InvalidOperation, ValueError):
        return str(value)


ENV = SandboxedEnvironment(autoescape=False, keep_trailing_newline=False)
ENV.filters["yuan"] = _yuan

#: Variables every template may use without a state defining them.
BUILTINS = frozenset({"msisdn", "channel", "locale", "flow", "authenticated"})


class TemplateError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Tpl:
    """A template, or a constant when it has no markup."""

    source: str
    compiled: Any = None

    def render(self, ctx: Mapping[str, Any]) -> str:
        if self.compiled is None:
            return self.source
        try:
            return str(self.compiled.render(ctx))
        except Exception:  # a broken template must never reach a subscriber as a traceback
            return ""

    @property
    def static(self) -> bool:
        return self.compiled is None


def compile_template(source: str) -> Tpl:
    if "{{" not in source and "{%" not in source:
        return Tpl(source)
    try:
        return Tpl(source, ENV.from_string(source))
    except TemplateSyntaxError as exc:
        raise TemplateError(f"template syntax: {exc.message} in {source!r}") from None


def template_variables(source: str) -> set[str]:
    """Top-level variable names a template reads (for the linter)."""
    if "{{" not in source and "{%" not in source:
        return set()
    ast: TemplateNode = ENV.parse(source)
    return set(meta.find_undeclared_variables(ast))


@dataclass(frozen=True, slots=True)
class Expr:
    source: str
    compiled: Any

    def __call__(self, ctx: Mapping[str, Any]) -> bool:
        try:
            return bool(self.compiled(**ctx))
        except Exception:  # a failing condition is false, never a crash
            return False


def compile_expr(source: str) -> Expr:
    try:
        return Expr(source, ENV.compile_expression(source, undefined_to_none=True))
    except TemplateSyntaxError as exc:
        raise TemplateError(f"expression syntax: {exc.message} in {source!r}") from None


def expr_variables(source: str) -> set[str]:
    return template_variables("{{ " + source + " }}")  # pragma: no mutate (equivalent: "XX" joins the last name)


@dataclass(frozen=True, slots=True)
class LText:
    """A text resolved per (channel, locale) at compile time."""

    by_key: Mapping[tuple[str, str], Tpl]
    audio: str | None = None

    def get(self, channel: str, locale: str, default_locale: str) -> Tpl:
        return (
            self.by_key.get((channel, locale))
            or self.by_key.get(("", locale))
            or self.by_key.get((channel, default_locale))
            or self.by_key.get(("", default_locale))
            or next(iter(self.by_key.values()), Tpl(""))
        )

    def render(self, channel: str, locale: str, default_locale: str, ctx: Mapping[str, Any]) -> str:
        return self.get(channel, locale, default_locale).render(ctx)


def text_sources(text: Text) -> dict[tuple[str, str], str]:
    """Every (channel, locale) → source string a Text declares; '' = any channel/locale."""
    if isinstance(text, str):
        return {("", ""): text}
    out: dict[tuple[str, str], str] = {}
    for loc in ("zh", "en"):
        value = getattr(text, loc)
        if value is not None:
            out[("", loc)] = value
    for ch in ("sms", "ussd", "ivr"):
        over = getattr(text, ch)
        if isinstance(over, str):
            out[(ch, "")] = over
        elif isinstance(over, LocaleText):
            for loc in ("zh", "en"):
                value = getattr(over, loc)
                if value is not None:
                    out[(ch, loc)] = value
    return out


def compile_text(text: Text, locales: list[str]) -> LText:
    """Expand channel-wide and locale-wide entries into explicit keys."""
    by_key: dict[tuple[str, str], Tpl] = {}
    sources = text_sources(text)
    for (ch, loc), src in sources.items():
        tpl = compile_template(src)
        targets = locales if loc == "" else [loc]
        for target in targets:
            if (ch, target) not in by_key or loc != "":
                by_key[(ch, target)] = tpl
    audio = text.audio if isinstance(text, TextSpec) else None
    return LText(by_key, audio)
