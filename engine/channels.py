"""Channel profiles: the limits and rendering rules of each channel, in one place.

The flow author writes one menu; these numbers decide how it is cut into SMS
segments, USSD pages and IVR prompts. The linter uses the same functions as the
runtime, so a warning means exactly what a subscriber would see.
"""

from __future__ import annotations

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


def fits_ussd_page(text: str) -> bool:
    _, n, limit = ussd_length(text)
    return n <= limit


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
