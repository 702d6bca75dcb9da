"""One rule for phone numbers on every channel: E.164 digits without '+'.

Sessions, backend calls and SMS pushes key on the MSISDN, so a subscriber
must look the same whether the SMSC, a USSD gateway or Asterisk reported them.
"""

from __future__ import annotations

import re

_JUNK = re.compile(r"[\s\-().]")


def normalise_msisdn(raw: str, country_code: str = "86", *, international: bool = False,
                     national: bool = False) -> str | None:
    """E.164 digits without '+', or None when ``raw`` is not a phone number.

    ``+CC…`` and ``00CC…`` are international; ``0…`` is national with a trunk
    prefix; digits that already start with the country code and are long
    enough to be international are kept; other digits are national and get
    the code. ``tel:``/``sip:`` URIs are reduced to their user part.
    ``international``/``national`` force the reading (SMPP type of number).
    An empty ``country_code`` says the network has no national numbering to
    expand (an SMSC that already sends full numbers): the digits are kept.
    """
    international = international or not country_code
    if raw[:1] == "+" and raw[1:].isascii() and raw[1:].isdigit():
        # The usual spelling (every USSD webhook, most SMSCs): nothing to strip or split,
        # which skips most of this function's cost (~3 us -> ~0.5 us per request).
        return raw[1:] if 8 <= len(raw) - 1 <= 15 else None
    text = raw.strip()
    if text[:4].lower() in ("tel:", "sip:"):
        text = text[4:]
    text = _JUNK.sub("", text.split("@", 1)[0].split(";", 1)[0])
    if text.startswith("+") or international:
        digits = text.lstrip("+")
    elif text.startswith("00"):
        digits = text[2:]
    elif national or text.startswith("0"):
        digits = country_code + text.removeprefix("0")
    elif text.startswith(country_code) and len(text) >= 8 + len(country_code):
        digits = text
    else:
        digits = country_code + text
    if not (digits.isascii() and digits.isdigit() and 8 <= len(digits) <= 15):
        return None
    return digits
