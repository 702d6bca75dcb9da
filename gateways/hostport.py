"""``HOST:PORT`` as every listener and bind flag spells it (``--smpp``, ``--ussd-http``, ``--agi``…).

One parser so each flag accepts the same forms (``[::1]:8080`` for IPv6) and a
mistake gets the same message whichever flag it was typed into.
"""

from __future__ import annotations

import argparse


class HostPortError(argparse.ArgumentTypeError, ValueError):
    """argparse prints an ArgumentTypeError's text as it is (a ValueError only as
    "invalid value"); code outside argparse reports configuration ValueErrors."""


def parse_host_port(text: str, *, default_host: str | None = None, default_port: int | None = None) -> tuple[str, int]:
    """``HOST:PORT`` → (host, port); brackets around an IPv6 host are removed.

    With ``default_host`` a bare ``:PORT`` is accepted, with ``default_port`` a
    bare ``HOST`` (``--agi`` takes both, like Asterisk's ``agi://host`` URLs).
    """
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        sep, port = rest[:1], rest[1:]
        if sep not in ("", ":"):
            port = rest  # "[::1]x": refused below
    else:
        host, sep, port = text.rpartition(":")
        if not sep:
            host = text
    if not sep:
        port = "" if default_port is None else str(default_port)
    host = host or (default_host or "")
    if not host or not port.isascii() or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise HostPortError(f"expected HOST:PORT (e.g. 127.0.0.1:8080), got {text!r}")
    return host, int(port)
