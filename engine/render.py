"""How one menu becomes SMS lines, USSD pages or IVR phrases.

The flow author writes options once; the channel decides the words around
them. Pagination is cut on line boundaries so an option is never split.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.channels import gsm7_length, is_gsm7, ucs2_length
from engine.flow import COption, CompiledFlow, Node

USSD_PAGE_GSM7 = 180
USSD_PAGE_UCS2 = 78


def visible_options(node: Node, channel: str, ctx: Mapping[str, Any]) -> list[COption]:
    return [
        o for o in node.options
        if (o.channels is None or channel in o.channels) and (o.when is None or o.when(ctx))
    ]


def msg(flow: CompiledFlow, key: str, channel: str, locale: str, ctx: Mapping[str, Any]) -> str:
    return flow.messages[key].render(channel, locale, flow.locale, ctx)


def render_menu(flow: CompiledFlow, node: Node, channel: str, locale: str, ctx: Mapping[str, Any]) -> str:
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


def ussd_units(text: str) -> tuple[int, int]:
    """(length, page limit) in the units of the encoding this text needs."""
    if is_gsm7(text):
        return gsm7_length(text), USSD_PAGE_GSM7
    return ucs2_length(text), USSD_PAGE_UCS2


def paginate(text: str, more: str, back: str) -> list[str]:
    """Cut ``text`` into USSD pages, each ending with its navigation footer.

    ``more``/``back`` are footer lines ("98 更多", "0 返回"); every page but the
    last gets ``more``, every page but the first gets ``back``. Lines longer
    than a page are cut by characters as a last resort, never dropped.
    """
    length, limit = ussd_units(text + more + back)
    if length <= limit:
        return [text]
    budget = limit - max(ussd_units("\n" + more + "\n" + back)[0], 0)
    pieces: list[str] = []
    for line in text.split("\n"):
        while ussd_units(line)[0] > budget:
            cut = budget
            while ussd_units(line[:cut])[0] > budget:
                cut -= 1
            pieces.append(line[:cut])
            line = line[cut:]
        pieces.append(line)
    pages: list[list[str]] = [[]]
    for piece in pieces:
        candidate = "\n".join([*pages[-1], piece])
        if pages[-1] and ussd_units(candidate)[0] > budget:
            pages.append([piece])
        else:
            pages[-1].append(piece)
    out = []
    for i, lines in enumerate(pages):
        foot = []
        if i < len(pages) - 1:
            foot.append(more)
        if i > 0:
            foot.append(back)
        out.append("\n".join(lines + foot))
    return out
