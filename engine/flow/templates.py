"""Sandboxed templates and localized texts, compiled once per flow version.

Texts without ``{{``/``{%`` stay plain strings, so rendering a static menu
costs a dictionary lookup. Everything else renders in Jinja2's sandbox: a
flow author cannot reach Python internals through a template.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from jinja2 import TemplateSyntaxError, meta
from jinja2.nodes import For, Node
from jinja2.nodes import Template as TemplateNode
from jinja2.sandbox import SandboxedEnvironment

from engine.flow.spec import LocaleText, Text, TextSpec
from engine.gctime import Collector

log = logging.getLogger("menuflow.templates")


def _yuan(value: Any) -> str:
    try:
        return f"{Decimal(str(value)):.2f}"
    except (InvalidOperation, ValueError):
        return str(value)


#: Bounds on one render. A flow is data a product owner edits: a slip like ``'x' * 100000000`` or a
#: nested loop must cost a subscriber a blank text, not the process a frozen event loop.
MAX_OUTPUT = 16_384  # characters: a long SMS is 10 parts of 70; USSD pages are 80-182
MAX_REPEAT = 1_024  # characters or items one ``*`` or ``center`` may produce
MAX_RANGE = 1_000
MAX_POWER = 128  # largest exponent of ``**``
RENDER_SECONDS = 0.02  # of the render's own CPU time (see _over)
#: Loops inside loops: two levels cover every menu and bill; three over bounded ranges are a billion steps.
MAX_LOOP_DEPTH = 2


#: One render's clock: (wall-clock deadline, this thread's CPU time and the collector's total at the start).
_Clock = tuple[float, float, float]


def _start_clock() -> _Clock:
    return time.perf_counter() + RENDER_SECONDS, time.thread_time(), Collector.total


def _over(clock: _Clock) -> bool:
    """Whether the render has used its budget of its own time.

    A wall clock alone is not that: on a loaded machine the OS may park the
    thread for longer than the whole budget mid-render, and a full collection
    of a large heap can take as long. Under load either stopped a one-line
    template and left the subscriber without an answer (1 MO in ~4,000 in the
    SMS benchmark). So the wall clock is read first (cheap), and only once it
    has passed the deadline is the thread's CPU time, less the collector's,
    compared with the budget.
    """
    deadline, cpu, collected = clock
    if time.perf_counter() <= deadline:  # pragma: no mutate (equivalent: < or <= on a float clock)
        return False
    return time.thread_time() - cpu - (Collector.total - collected) > RENDER_SECONDS


_clock: ContextVar[_Clock | None] = ContextVar("menuflow_render_clock", default=None)


class RenderLimit(Exception):
    """A render went past one of the bounds above."""


class _BoundedSandbox(SandboxedEnvironment):
    """Jinja's sandbox (no Python internals) plus bounds on the operators that make huge values."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and isinstance(right, int | float) and abs(right) > MAX_POWER:
            raise RenderLimit(f"exponent {right} over {MAX_POWER}")
        if operator == "*":
            for seq, n in ((left, right), (right, left)):
                if isinstance(seq, str | list | tuple) and isinstance(n, int) and len(seq) * n > MAX_REPEAT:
                    raise RenderLimit(f"'*' would make {len(seq) * n} items")
        return super().call_binop(context, operator, left, right)  # pragma: no mutate (equivalent: context unused)


def _range(*args: int) -> Iterator[int]:
    """A bounded range that also watches the render's clock (a loop without output yields no chunk)."""
    r = range(*args)
    if len(r) > MAX_RANGE:
        raise RenderLimit(f"range of {len(r)} over {MAX_RANGE}")
    clock = _clock.get()
    for i in r:
        if clock is not None and _over(clock):
            raise RenderLimit(f"render over {RENDER_SECONDS * 1000:g} ms")
        yield i


def _center(value: Any, width: int = 80) -> str:
    if width > MAX_REPEAT:
        raise RenderLimit(f"center width {width} over {MAX_REPEAT}")
    return str(value).center(width)


ENV = _BoundedSandbox(autoescape=False, keep_trailing_newline=False)
ENV.filters["yuan"] = _yuan
ENV.filters["center"] = _center
ENV.globals["range"] = _range

#: Variables every template may use without a state defining them.
BUILTINS = frozenset({"msisdn", "channel", "locale", "flow", "authenticated", "auth_level"})


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
            return _bounded(self.compiled.generate(ctx))
        except Exception as exc:  # a broken template must never reach a subscriber as a traceback
            if isinstance(exc, RenderLimit):
                log.warning("template render stopped: %s in %.60r", exc, self.source)
            return ""

    @property
    def static(self) -> bool:
        return self.compiled is None


def _bounded(chunks: Iterator[str]) -> str:
    """Join a render's chunks while it stays under ``MAX_OUTPUT`` and ``RENDER_SECONDS``."""
    out: list[str] = []
    size = 0
    clock = _start_clock()
    token = _clock.set(clock)
    try:
        for chunk in chunks:
            size += len(chunk)
            if size > MAX_OUTPUT:
                raise RenderLimit(f"output over {MAX_OUTPUT} characters")
            if _over(clock):
                raise RenderLimit(f"render over {RENDER_SECONDS * 1000:g} ms")
            out.append(chunk)
    finally:
        _clock.reset(token)
    return "".join(out)


def _loop_depth(node: Node, depth: int = 0) -> int:
    inner = depth + 1 if isinstance(node, For) else depth
    return max([inner, *(_loop_depth(child, inner) for child in node.iter_child_nodes())])


def compile_template(source: str) -> Tpl:
    if "{{" not in source and "{%" not in source:
        return Tpl(source)
    try:
        ast = ENV.parse(source)
    except TemplateSyntaxError as exc:
        raise TemplateError(f"template syntax: {exc.message} in {source!r}") from None
    if _loop_depth(ast) > MAX_LOOP_DEPTH:
        raise TemplateError(f"loops nested more than {MAX_LOOP_DEPTH} deep in {source!r}")
    return Tpl(source, ENV.from_string(ast))


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
        # pragma: no mutate start (equivalent: Expr.source is only shown, and an undefined result is false either way)
        return Expr(source, ENV.compile_expression(source, undefined_to_none=True))
        # pragma: no mutate end
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
            # pragma: no mutate start (equivalent: an override is one text or per-locale texts, never both)
            if (ch, target) not in by_key or loc != "":
            # pragma: no mutate end
                by_key[(ch, target)] = tpl
    audio = text.audio if isinstance(text, TextSpec) else None
    return LText(by_key, audio)
