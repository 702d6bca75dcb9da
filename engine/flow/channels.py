"""Channel profiles: the limits and rendering rules of each channel, in one place.

The flow author writes one menu; these numbers decide how it is cut into SMS
segments, USSD pages and IVR prompts. The linter uses the same functions as the
runtime, so a warning means exactly what a subscriber would see.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

# GSM 03.38 default alphabet (one septet each) and its extension table (two).
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXT = frozenset("\f^{}\\[~]|€")

SMS_SINGLE = {"gsm7": 160, "ucs2": 70}
SMS_PART = {"gsm7": 153, "ucs2": 67}

#: A USSD page is 160 octets: 182 GSM-7 septets or 80 UCS2 characters (two
#: octets each). We keep a small margin for gateways that add their own prefix.
USSD_PAGE = {"gsm7": 182, "ucs2": 80}
USSD_MARGIN = 2


def is_gsm7(text: str) -> bool:
    return all(c in GSM7_BASIC or c in GSM7_EXT for c in text)


def gsm7_length(text: str) -> int:
    """Septets needed: extension characters take an escape plus the character."""
    return sum(2 if c in GSM7_EXT else 1 for c in text)


def ucs2_length(text: str) -> int:
    """UTF-16 code units: characters outside the BMP (emoji) take two."""
    return sum(2 if ord(c) > 0xFFFF else 1 for c in text)


def sms_encoding(text: str) -> str:
    return "gsm7" if is_gsm7(text) else "ucs2"


def sms_segments(text: str) -> tuple[str, int]:
    """(encoding, number of SMS parts) the text needs as a concatenated SMS."""
    enc = sms_encoding(text)
    n = gsm7_length(text) if enc == "gsm7" else ucs2_length(text)
    if n <= SMS_SINGLE[enc]:
        return enc, 1
    # escape pairs and surrogate pairs never straddle two parts: count as the encoder splits
    per = SMS_PART[enc]
    wide = GSM7_EXT if enc == "gsm7" else None
    parts, used = 1, 0
    for c in text:
        u = (2 if c in wide else 1) if wide is not None else (2 if ord(c) > 0xFFFF else 1)
        if used + u > per:
            parts, used = parts + 1, 0
        used += u
    return enc, parts


def ussd_length(text: str) -> tuple[str, int, int]:
    """(encoding, length in that encoding's units, page limit in those units)."""
    enc = sms_encoding(text)
    n = gsm7_length(text) if enc == "gsm7" else ucs2_length(text)
    return enc, n, USSD_PAGE[enc] - USSD_MARGIN


def ussd_units(text: str) -> tuple[int, int]:
    """(length, page limit) in the units of the encoding this text needs."""
    _, n, limit = ussd_length(text)
    return n, limit


def fits_ussd_page(text: str) -> bool:
    _, n, limit = ussd_length(text)
    return n <= limit


# -- USSD pagination, linear in the text's length -------------------------------
# A page's encoding (and so its limit) depends on every character on it, so
# each piece is measured once as (GSM-7 septets, UCS2 units, all GSM-7?) and
# measures are added up; nothing is re-measured while packing. The first
# version re-joined and re-measured the page for every candidate cut:
# 8,000 characters took 38 s on the event loop.
Measure = tuple[int, int, bool]
NEWLINE: Measure = (1, 1, True)
_GSM7_LIMIT = USSD_PAGE["gsm7"] - USSD_MARGIN
_UCS2_LIMIT = USSD_PAGE["ucs2"] - USSD_MARGIN


def _char(c: str) -> Measure:
    gsm = c in GSM7_BASIC or c in GSM7_EXT
    return (2 if c in GSM7_EXT else 1), (2 if ord(c) > 0xFFFF else 1), gsm


def measure(text: str) -> Measure:
    return gsm7_length(text), ucs2_length(text), is_gsm7(text)


def _add(*parts: Measure) -> Measure:
    return sum(p[0] for p in parts), sum(p[1] for p in parts), all(p[2] for p in parts)


def _fits(m: Measure) -> bool:
    return m[0] <= _GSM7_LIMIT if m[2] else m[1] <= _UCS2_LIMIT


def _cut_long(line: str, footer: Measure) -> list[str]:
    """Cut a line that cannot fit a page beside ``footer`` into the longest pieces that can, in one pass."""
    if _fits(_add(measure(line), footer)):
        return [line]
    pieces: list[str] = []
    start = 0
    g, u, gsm = footer
    for i, c in enumerate(line):
        cg, cu, cgsm = _char(c)
        if i > start and not _fits((g + cg, u + cu, gsm and cgsm)):
            pieces.append(line[start:i])  # a character wider than a page still moves the text on
            start = i
            g, u, gsm = footer
        g, u, gsm = g + cg, u + cu, gsm and cgsm
    pieces.append(line[start:])
    return pieces


@functools.lru_cache(maxsize=4096)
def paginate(text: str, more: str, back: str) -> tuple[str, ...]:
    """Cut ``text`` into USSD pages, each ending with its navigation footer.

    ``more``/``back`` are footer lines ("98 更多", "0 返回"); every page but the
    last gets ``more``, every page but the first gets ``back``. Pages are cut on
    line boundaries, so an option is never split; lines longer than a page are
    cut by characters as a last resort, never dropped.
    """
    if len(text) * 2 <= _UCS2_LIMIT or fits_ussd_page(text):
        return (text,)
    m_more, m_back = measure(more), measure(back)
    both = _add(NEWLINE, m_more, NEWLINE, m_back)
    pieces = [p for line in text.split("\n") for p in _cut_long(line, both)]
    pages: list[list[str]] = [[]]
    used: Measure = (0, 0, True)
    for piece in pieces:
        m = measure(piece)
        footer = _add(NEWLINE, m_more) if len(pages) == 1 else both
        if pages[-1] and not _fits(_add(used, NEWLINE, m, footer)):
            pages.append([piece])
            used = m
        else:
            used = _add(used, NEWLINE, m) if pages[-1] else m
            pages[-1].append(piece)
    out = []
    for i, lines in enumerate(pages):
        foot = ([more] if i < len(pages) - 1 else []) + ([back] if i > 0 else [])
        out.append("\n".join(lines + foot))
    return tuple(out)


@dataclass(frozen=True, slots=True)
class ChannelProfile:
    """Per-channel rules the runtime and linter share."""

    name: str
    #: Maximum options an IVR level should offer (more is hard to remember).
    max_ivr_options: int = 5
    #: Segments an SMS reply may take before the linter complains.
    max_sms_segments: int = 3
    #: Session idle time before it expires, per channel.
    session_ttl: float = 600.0


PROFILES = {
    "sms": ChannelProfile("sms", session_ttl=600.0),
    "ussd": ChannelProfile("ussd", session_ttl=180.0),
    "ivr": ChannelProfile("ivr", session_ttl=600.0),
}
