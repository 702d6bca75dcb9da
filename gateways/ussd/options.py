"""USSD-over-HTTP settings and the command-line flags ``serve`` exposes for them."""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from gateways.hostport import parse_host_port
from gateways.http_app import add_http_arguments
from gateways.ussd.dialects import DIALECTS


@dataclass(frozen=True, slots=True)
class UssdOptions:
    #: Where to listen (``--ussd-http HOST:PORT``); None means USSD over HTTP is off.
    listen: tuple[str, int] | None = None
    #: Seconds the engine gets before the "processing, result by SMS" answer.
    budget: float = 3.0
    #: Seconds a session's gateway record lives after its last request.
    session_timeout: float = 180.0
    #: Dialects to mount, by registered name.
    dialects: tuple[str, ...] = ("at", "json")
    #: Prepended to national numbers (E.164 country code, digits only).
    country_code: str = "86"
    #: Language of the gateway's own texts before the engine has replied once.
    locale: str = "zh"

    def __post_init__(self) -> None:
        if not self.budget > 0:
            raise ValueError(f"--ussd-budget must be > 0 seconds, got {self.budget}")
        if not self.session_timeout > 0:
            raise ValueError(f"--ussd-session-timeout must be > 0 seconds, got {self.session_timeout}")
        unknown = [d for d in self.dialects if d not in DIALECTS]
        if unknown or not self.dialects:
            known = ", ".join(sorted(DIALECTS))
            raise ValueError(f"--ussd-dialects: unknown {unknown or '(none given)'}; known: {known}")
        if not (self.country_code.isascii() and self.country_code.isdigit() and len(self.country_code) <= 3):
            raise ValueError(f"--ussd-country-code must be 1-3 digits, got {self.country_code!r}")


def add_ussd_arguments(parser: argparse.ArgumentParser) -> None:
    """Register ``--ussd-*`` flags (and the shared ``--http-*`` ones if not yet there)."""
    group = parser.add_argument_group("USSD over HTTP")
    group.add_argument(
        "--ussd-http",
        metavar="HOST:PORT",
        type=parse_host_port,
        help="serve USSD webhooks (Africa's Talking at /ussd/at, JSON at /ussd) on this address",
    )
    group.add_argument(
        "--ussd-budget",
        metavar="SECONDS",
        type=float,
        default=3.0,
        help="reply budget per request; past it answer 'processing' and send the result by SMS (3)",
    )
    group.add_argument(
        "--ussd-session-timeout",
        metavar="SECONDS",
        type=float,
        default=180.0,
        help="idle seconds before a USSD session is forgotten (180)",
    )
    group.add_argument(
        "--ussd-dialects",
        metavar="NAMES",
        default="at,json",
        help=f"comma-separated dialects to mount, from: {', '.join(sorted(DIALECTS))} (at,json)",
    )
    group.add_argument(
        "--ussd-country-code",
        metavar="DIGITS",
        default="86",
        help="country code added to national phone numbers (86)",
    )
    group.add_argument(
        "--ussd-locale",
        metavar="LANG",
        default="zh",
        help="language of gateway texts before the engine has answered (zh)",
    )
    add_http_arguments(parser)


def ussd_options_from_args(args: argparse.Namespace) -> UssdOptions:
    """UssdOptions from parsed flags; ValueError names the flag and the bad value."""
    dialects = tuple(d.strip() for d in str(args.ussd_dialects).split(",") if d.strip())
    return UssdOptions(
        listen=args.ussd_http,
        budget=args.ussd_budget,
        session_timeout=args.ussd_session_timeout,
        dialects=dialects,
        country_code=str(args.ussd_country_code).lstrip("+"),
        locale=args.ussd_locale,
    )
