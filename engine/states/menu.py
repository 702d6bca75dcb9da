"""``menu``: numbered options leading to other states, rendered for each channel.

The author writes the options once; SMS and USSD list them as "1. 话费查询",
the IVR says "话费查询请按1". Options hidden on a channel leave no gap in
the numbers that channel shows. A menu whose texts and labels use no
variables is rendered once per (channel, locale) and served from the cache.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import replace
from typing import Any, Literal

from pydantic import Field

from engine.flow.building import Building
from engine.flow.channels import PROFILES, paginate, ussd_units
from engine.flow.diagnostics import Diagnostic, Path
from engine.flow.model import CompiledFlow, COption, Edge, Node, StateKind, Turn, warning
from engine.flow.spec import ChannelName, Model, StateRef, StateSpec, Text
from engine.types import Wait


class Option(Model):
    key: str | None = Field(None, description="What the subscriber sends; default: its position 1, 2, 3...")
    label: Text
    goto: StateRef = Field(description="State the option leads to")
    channels: list[ChannelName] | None = Field(None, description="Show only on these channels")
    when: str | None = Field(None, description="Show only when this expression is true")


class MenuState(StateSpec):
    """Numbered options leading to other states.

    Example::

        main:
          type: menu
          text: {zh: 欢迎使用10086, en: Welcome to 10086}
          options:
            - {label: {zh: 话费查询, en: Balance}, goto: balance}
            - {label: {zh: 人工服务, en: Agent}, goto: agent, channels: [ivr]}
    """

    type: Literal["menu"]
    text: Text = Field(description="Header said before the options")
    options: list[Option] = Field(min_length=1, description="`{label, goto}` each; optional `key`, `channels`, `when`")
    invalid: Text | None = Field(None, description="Hint shown before re-prompting after an invalid choice")
    retries: int | None = Field(None, ge=1, le=10, description="Invalid choices before giving up; default the flow's")
    fallback: StateRef | None = Field(None, description="Where to go after too many invalid choices "
                                      "(default: the agent on IVR, else goodbye)")


def visible_options(node: Node[Any], channel: str, ctx: Mapping[str, Any]) -> list[COption]:
    # pragma: no mutate start (equivalent: every channel has its entry)
    return [o for o in node.by_channel.get(channel, ()) if o.when is None or o.when(ctx)]
    # pragma: no mutate end


def render_menu(flow: CompiledFlow, node: Node[Any], channel: str, locale: str, ctx: Mapping[str, Any]) -> str:
    """The menu as the channel shows it; static menus come from the flow's cache."""
    if not node.static:
        return _render(flow, node, channel, locale, ctx)
    key = (node.name, channel, locale)
    text: str | None = flow.cache.get(key)
    if text is None:
        text = flow.cache[key] = _render(flow, node, channel, locale, ctx)  # pragma: no mutate (static: no variables)
    return text


def _render(flow: CompiledFlow, node: Node[Any], channel: str, locale: str, ctx: Mapping[str, Any]) -> str:
    # pragma: no mutate start (equivalent: a menu always has a text)
    header = node.text.render(channel, locale, flow.locale, ctx) if node.text else ""
    # pragma: no mutate end
    choices = [(o.key, o.label.render(channel, locale, flow.locale, ctx)) for o in visible_options(node, channel, ctx)]
    return render_choices(flow, header, choices, channel, locale)


def render_choices(flow: CompiledFlow, header: str, choices: list[tuple[str, str]], channel: str, locale: str,
                   more: str | None = None) -> str:
    """Numbered lines on SMS/USSD, "话费查询请按1" phrases on the IVR; ``more``: the IVR key for the next chunk."""
    if channel != "ivr":
        lines = [f"{key}. {label}" for key, label in choices]
        return "\n".join([header, *lines]) if header else "\n".join(lines)
    sep = "，" if locale == "zh" else ". "
    phrases = [flow.message("ivr_option", channel, locale, {"label": label, "key": key}) for key, label in choices]
    if more is not None:
        phrases.append(flow.message("ivr_more", channel, locale, {"key": more}))
    nav = flow.nav["ivr"]
    if nav.repeat:
        phrases.append(flow.message("ivr_repeat", channel, locale, {"key": sorted(nav.repeat)[0]}))
    if nav.agent and flow.spec.agent is not None:
        phrases.append(flow.message("ivr_agent", channel, locale, {"key": sorted(nav.agent)[0]}))
    end = "。" if locale == "zh" else "."
    body = sep.join(phrases) + end
    return f"{header}{' ' if locale != 'zh' else ''}{body}" if header else body


def prompt_id(flow: CompiledFlow, node: Node[Any]) -> str | None:
    """A menu has a recording only when the whole rendering is static (labels and visibility too)."""
    if node.text is None or not node.static:
        return None
    return node.text.audio or f"{flow.id}/{node.name}"


def _number(b: Building, base: Path, st: MenuState, options: list[COption], channel: str) -> tuple[COption, ...]:
    """Give options without an explicit key the next free number among those shown on ``channel``."""
    shown = [(i, o) for i, o in enumerate(options) if o.channels is None or channel in o.channels]
    explicit = {st.options[i].key for i, _ in shown if st.options[i].key is not None}
    out: list[COption] = []
    used: dict[str, int] = {}
    n = 0
    for i, opt in shown:
        key = st.options[i].key
        if key is None:
            n += 1
            while str(n) in explicit:
                n += 1
            key = str(n)
        if key in used:
            b.error((*base, "options", i, "key"), f"key '{key}' is already used by options[{used[key]}] on {channel}")
        used[key] = i
        out.append(replace(opt, key=key))
    return tuple(out)


class Menu(StateKind[MenuState]):
    model = MenuState
    waiting = True
    menu_level = True
    shape = ("[", "]", "box")

    def edges(self, name: str, spec: MenuState) -> Iterator[Edge]:
        if spec.fallback:
            yield Edge(("states", name, "fallback"), spec.fallback, "too many tries")
        for i, opt in enumerate(spec.options):
            yield Edge(("states", name, "options", i, "goto"), opt.goto)

    def graph_edges(self, flow: CompiledFlow, node: Node[MenuState]) -> list[tuple[str, str]]:
        out = []
        for opt in node.options:
            # pragma: no mutate start (equivalent: "" is the any-channel key every lookup falls back to)
            label = opt.label.get("", flow.locale, flow.locale).source
            # pragma: no mutate end
            chans = f" ({','.join(sorted(opt.channels))})" if opt.channels else ""
            out.append((opt.goto, f"{opt.key} {label}{chans}"))
        # the name only locates an edge's path, which a graph does not show
        return out + [(e.target, e.label) for e in self.edges(node.name, node.spec)  # pragma: no mutate (equivalent)
                      if e.label]

    def texts(self, name: str, spec: MenuState) -> Iterator[tuple[Path, Text]]:
        yield from super().texts(name, spec)
        if spec.invalid is not None:
            yield ("states", name, "invalid"), spec.invalid
        for i, opt in enumerate(spec.options):
            yield ("states", name, "options", i, "label"), opt.label

    def expressions(self, name: str, spec: MenuState) -> Iterator[tuple[Path, str]]:
        for i, opt in enumerate(spec.options):
            if opt.when:
                yield ("states", name, "options", i, "when"), opt.when

    def compile(self, b: Building, name: str, spec: MenuState) -> Node[MenuState]:
        base: Path = ("states", name)
        text = b.text((*base, "text"), spec.text)
        error = b.text((*base, "invalid"), spec.invalid) if spec.invalid is not None else None
        options = []
        for i, opt in enumerate(spec.options):
            when = b.expr((*base, "options", i, "when"), opt.when) if opt.when else None
            label = b.text((*base, "options", i, "label"), opt.label)
            chans = frozenset(opt.channels) if opt.channels else None
            options.append(COption(opt.key or str(i + 1), label, opt.goto, chans, when))
        by_channel = {ch: _number(b, base, spec, options, ch) for ch in ("sms", "ussd", "ivr")}
        static = all(t.static for t in text.by_key.values()) and all(
            o.when is None and all(t.static for t in o.label.by_key.values()) for o in options
        )
        return Node(name, self, spec, text, tuple(options), by_channel, error=error,
                    edges=self.targets(name, spec), static=static)

    def lint(self, flow: CompiledFlow, node: Node[MenuState]) -> Iterator[Diagnostic]:
        base: Path = ("states", node.name)
        max_ivr = PROFILES["ivr"].max_ivr_options
        ivr = node.by_channel["ivr"]
        if len(ivr) > max_ivr:
            yield warning(flow, (*base, "options"),
                          f"IVR level has {len(ivr)} options; callers remember at most {max_ivr} "
                          "(hide some with `channels:` or group them in a submenu)")
        for ch in ("sms", "ussd", "ivr"):
            nav = flow.nav[ch]
            taken = nav.main | nav.back | nav.repeat | nav.more | (nav.agent if ch == "ivr" else frozenset())
            for opt in node.by_channel[ch]:
                if opt.key in taken:
                    yield warning(flow, (*base, "options", node.options.index(opt)),
                                  f"option key '{opt.key}' is also a navigation key on {ch}; navigation wins")
        for loc in flow.spec.locales:
            text = render_menu(flow, node, "ussd", loc, {"locale": loc, "channel": "ussd"})
            pages = paginate(text, *flow.footers(loc))
            if len(pages) > 1:
                n, limit = ussd_units(text)
                yield warning(flow, (*base, "text"),
                              f"{loc} USSD menu is {n} characters, a page holds {limit}: "
                              f"it will be split into {len(pages)} pages")

    def ivr_text(self, flow: CompiledFlow, node: Node[MenuState], locale: str) -> str:
        if node.static:
            return render_menu(flow, node, "ivr", locale, {})  # pragma: no mutate (equivalent: static, no variable)
        return super().ivr_text(flow, node, locale)

    async def enter(self, turn: Turn, node: Node[MenuState]) -> str | None:
        self.prompt(turn, node)
        return None

    def prompt(self, turn: Turn, node: Node[MenuState]) -> None:
        s, flow = turn.session, turn.flow
        ctx = {} if node.static else turn.ctx()  # pragma: no mutate (equivalent: a static menu reads no variable)
        turn.say(render_menu(flow, node, s.channel, s.locale, ctx), prompt_id(flow, node))
        turn.wait = _menu_wait(flow, node, s.channel)

    async def feed(self, turn: Turn, node: Node[MenuState], text: str) -> None:
        channel = turn.session.channel
        # pragma: no mutate start (equivalent: every channel has its entry; the static branch is a shortcut)
        shown = node.by_channel.get(channel, ()) if node.static else visible_options(node, channel, turn.ctx())
        # pragma: no mutate end
        for opt in shown:
            if opt.key == text:
                await turn.goto(opt.goto)
                return
        await turn.invalid(node, "invalid_choice")

    def retries(self, spec: MenuState) -> int | None:
        return spec.retries

    def fallback_state(self, spec: MenuState) -> str | None:
        return spec.fallback


def _menu_wait(flow: CompiledFlow, node: Node[Any], channel: str) -> Wait:
    """A menu collects as many digits as its longest key (hidden options included)."""
    key = (node.name, "wait", channel)
    wait: Wait | None = flow.cache.get(key)  # pragma: no mutate (equivalent: a cache)
    if wait is None:
        # pragma: no mutate start (equivalent: every channel has its entry)
        longest = max((len(o.key) for o in node.by_channel.get(channel, ())), default=1)
        # pragma: no mutate end
        wait = flow.cache[key] = Wait("choice", max_digits=longest)  # pragma: no mutate (equivalent: the default)
    return wait


KIND = Menu()
