"""How one menu becomes SMS lines, USSD pages or IVR phrases.

The flow author writes options once; the channel decides the words around
them. Pagination is cut on line boundaries so an option is never split.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from engine.channels import gsm7_length, is_gsm7, ucs2_length
from engine.flow import CompiledFlow, COption, Node

USSD_PAGE_GSM7 = 180
USSD_PAGE_UCS2 = 78


def visible_options(node: Node, channel: str, ctx: Mapping[str, Any]) -> list[COption]:
    return [o for o in node.by_channel.get(channel, ()) if o.when is None or o.when(ctx)]


def msg(flow: CompiledFlow, key: str, channel: str, locale: str, ctx: Mapping[str, Any]) -> str:
    return flow.messages[key].render(channel, locale, flow.locale, ctx)


def render_menu(flow: CompiledFlow, node: Node, channel: str, locale: str, ctx: Mapping[str, Any]) -> str:
    if not node.static:
        return _render_menu(flow, node, channel, locale, ctx)
    key = (node.name, channel, locale)
    text: str | None = flow.cache.get(key)
    if text is None:
        text = flow.cache[key] = _render_menu(flow, node, channel, locale, ctx)
    return text


def _render_menu(flow: CompiledFlow, node: Node, channel: str, locale: str, ctx: Mapping[str, Any]) -> str:
    header = node.text.render(channel, locale, flow.locale, ctx) if node.text else ""
    opts = visible_options(node, channel, ctx)
    if channel != "ivr":
        lines = [f"{o.key}. {o.label.render(channel, locale, flow.locale, ctx)}" for o in opts]
        return "\n".join([header, *lines]) if header else "\n".join(lines)
    sep = "，" if locale == "zh" else ". "
    phrases = [
        msg(flow, "ivr_option", channel, locale, {"label": o.label.render(channel, locale, flow.locale, ctx),
                                                  "key": o.key})
        for o in opts
    ]
    nav = flow.nav["ivr"]
    if nav.repeat:
        phrases.append(msg(flow, "ivr_repeat", channel, locale, {"key": sorted(nav.repeat)[0]}))
    if nav.agent and flow.spec.agent is not None:
        phrases.append(msg(flow, "ivr_agent", channel, locale, {"key": sorted(nav.agent)[0]}))
    end = "。" if locale == "zh" else "."
    body = sep.join(phrases) + end
    return f"{header}{' ' if locale != 'zh' else ''}{body}" if header else body


def page_footers(flow: CompiledFlow, locale: str) -> tuple[str, str]:
    """The localized "98 更多" / "0 返回" lines, with the flow's configured keys."""
    cached: tuple[str, str] | None = flow.cache.get(("", "footers", locale))
    if cached is None:
        cached = flow.cache[("", "footers", locale)] = _footers(flow, locale)
    return cached


def _footers(flow: CompiledFlow, locale: str) -> tuple[str, str]:
    nav = flow.nav["ussd"]
    more_key = sorted(nav.more)[0] if nav.more else "98"
    back_key = sorted(nav.back)[0] if nav.back else "0"
    more = f"{more_key} {msg(flow, 'more', 'ussd', locale, {})}"
    back = f"{back_key} {msg(flow, 'back', 'ussd', locale, {})}"
    return more, back


def ussd_units(text: str) -> tuple[int, int]:
    """(length, page limit) in the units of the encoding this text needs."""
    if is_gsm7(text):
        return gsm7_length(text), USSD_PAGE_GSM7
    return ucs2_length(text), USSD_PAGE_UCS2


def _fits(lines: list[str]) -> bool:
    n, limit = ussd_units("\n".join(lines))
    return n <= limit


@functools.lru_cache(maxsize=4096)
def paginate(text: str, more: str, back: str) -> tuple[str, ...]:
    """Cut ``text`` into USSD pages, each ending with its navigation footer.

    ``more``/``back`` are footer lines ("98 更多", "0 返回"); every page but the
    last gets ``more``, every page but the first gets ``back``. Lines longer
    than a page are cut by characters as a last resort, never dropped.
    """
    if len(text) * 2 <= USSD_PAGE_UCS2 or _fits([text]):
        return (text,)
    pieces: list[str] = []
    for line in text.split("\n"):
        while not _fits([line, more, back]):
            cut = len(line) - 1
            while cut > 1 and not _fits([line[:cut], more, back]):
                cut -= 1
            pieces.append(line[:cut])
            line = line[cut:]
        pieces.append(line)
    pages: list[list[str]] = [[]]
    for piece in pieces:
        footer = [more] + ([back] if len(pages) > 1 else [])
        if pages[-1] and not _fits([*pages[-1], piece, *footer]):
            pages.append([piece])
        else:
            pages[-1].append(piece)
    out = []
    for i, lines in enumerate(pages):
        foot = ([more] if i < len(pages) - 1 else []) + ([back] if i > 0 else [])
        out.append("\n".join(lines + foot))
    return tuple(out)
