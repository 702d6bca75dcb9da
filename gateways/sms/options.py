"""Every SMPP setting in one dataclass, and the ``--smpp-*`` command-line options.

One place, so ``serve``, the benchmark and the tests build the SMS gateway
the same way, and a bad value is refused at start-up naming the option.
"""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass, fields
from typing import Literal

from gateways.hostport import parse_host_port

BindMode = Literal["trx", "pair"]
ConcatMode = Literal["udh8", "udh16", "sar", "payload"]
PASSWORD_ENV = "MENUFLOW_SMPP_PASSWORD"


@dataclass(frozen=True, slots=True)
class SmppOptions:
    """How to reach and talk to one SMSC. Times are seconds."""

    host: str = "127.0.0.1"
    port: int = 2775
    system_id: str = ""
    password: str = ""
    system_type: str = ""
    address_range: str = ""
    #: ``trx``: one bind_transceiver; ``pair``: bind_transmitter + bind_receiver.
    bind_mode: BindMode = "trx"
    shortcode: str = "10086"
    source_ton: int = 0
    source_npi: int = 0
    dest_ton: int = 1
    dest_npi: int = 1
    #: 1 asks the SMSC for a delivery receipt per submitted part.
    registered_delivery: int = 1
    concat: ConcatMode = "udh8"
    #: Submits sent but not yet answered by submit_sm_resp.
    window: int = 10
    #: Submits per second (token bucket); 0 means no limit.
    tps: float = 50.0
    max_retries: int = 5
    retry_backoff: float = 1.0
    retry_backoff_max: float = 60.0
    enquire_link: float = 30.0
    resp_timeout: float = 10.0
    reconnect_min: float = 1.0
    reconnect_max: float = 60.0
    #: A re-delivered MO (same sender, text, reference) within this window is answered once.
    dedupe_ttl: float = 120.0
    #: Parts of a concatenated MO still missing after this are dropped.
    reassembly_timeout: float = 120.0
    #: Prepended to national numbers so every msisdn is E.164 digits; "" disables.
    country_code: str = "86"
    #: MOs per subscriber per minute that are answered, counted across processes
    #: when the store is shared; the rest are dropped (a flood, a loop between
    #: two robots). 0 means no limit.
    rate_limit: int = 0
    #: MOs received and not yet answered (across processes with a durable inbox); past it the
    #: SMSC is answered ESME_RTHROTTLED and keeps the message.
    inbox_max: int = 10_000
    #: An MO of the durable inbox left this long unanswered by a process (it died) is taken over.
    claim_idle: float = 10.0

    def __post_init__(self) -> None:
        checks = {
            "port": 0 < self.port < 65536,
            "bind_mode": self.bind_mode in ("trx", "pair"),
            "concat": self.concat in ("udh8", "udh16", "sar", "payload"),
            "window": self.window >= 1,
            "tps": self.tps >= 0,
            "max_retries": self.max_retries >= 1,
            "retry_backoff": 0 < self.retry_backoff <= self.retry_backoff_max,
            "dedupe_ttl": self.dedupe_ttl >= 0,
            "rate_limit": self.rate_limit >= 0,
            "inbox_max": self.inbox_max >= 1,
            "claim_idle": self.claim_idle > 0,
            "reassembly_timeout": self.reassembly_timeout > 0,
            "enquire_link": self.enquire_link > 0,
            "resp_timeout": self.resp_timeout > 0,
            "reconnect_min": 0 < self.reconnect_min <= self.reconnect_max,
            "system_id": len(self.system_id) <= 15,
            "password": len(self.password) <= 8,
            "shortcode": self.shortcode.isdigit() or self.shortcode.isalnum(),
        }
        for name, ok in checks.items():
            if not ok:
                shown = "***" if name == "password" else repr(getattr(self, name))
                raise ValueError(f"SMPP option {name}: invalid value {shown}")


#: name -> (type, metavar, help); each becomes ``--smpp-NAME`` with SmppOptions' default.
_FLAGS: dict[str, tuple[type, str, str]] = {
    "system_type": (str, "TYPE", "system_type sent in the bind (default: empty)"),
    "address_range": (str, "RANGE", "address_range sent in the bind (default: empty)"),
    "bind_mode": (str, "trx|pair", "one bind_transceiver, or bind_transmitter + bind_receiver (default %(default)s)"),
    "source_ton": (int, "N", "TON of the short code, the MT source (default %(default)s)"),
    "source_npi": (int, "N", "NPI of the short code (default %(default)s)"),
    "dest_ton": (int, "N", "TON of subscriber numbers, 1 = international (default %(default)s)"),
    "dest_npi": (int, "N", "NPI of subscriber numbers, 1 = E.164 (default %(default)s)"),
    "registered_delivery": (int, "0|1", "1 asks for a delivery receipt per MT part (default %(default)s)"),
    "concat": (str, "MODE", "long MTs as udh8, udh16, sar or payload (default %(default)s)"),
    "window": (int, "N", "submit_sm in flight at once (default %(default)s)"),
    "tps": (float, "N", "submit_sm per second, 0 = unlimited (default %(default)s)"),
    "max_retries": (int, "N", "tries per MT part before it is recorded as failed (default %(default)s)"),
    "retry_backoff": (float, "SECONDS", "first retry delay, doubling per try (default %(default)s)"),
    "retry_backoff_max": (float, "SECONDS", "longest retry delay (default %(default)s)"),
    "enquire_link": (float, "SECONDS", "silence before we send enquire_link (default %(default)s)"),
    "resp_timeout": (float, "SECONDS", "wait for any response PDU (default %(default)s)"),
    "reconnect_min": (float, "SECONDS", "first reconnect delay (default %(default)s)"),
    "reconnect_max": (float, "SECONDS", "longest reconnect delay (default %(default)s)"),
    "dedupe_ttl": (float, "SECONDS", "how long a re-delivered MO is recognised (default %(default)s)"),
    "reassembly_timeout": (float, "SECONDS", "wait for missing parts of a long MO (default %(default)s)"),
    "country_code": (str, "CC", "prepended to national numbers, '' = none (default %(default)s)"),
    "rate_limit": (int, "N", "MOs per subscriber per minute answered, 0 = no limit (default %(default)s)"),
    "inbox_max": (int, "N", "MOs waiting to be answered before the SMSC gets ESME_RTHROTTLED (default %(default)s)"),
    "claim_idle": (float, "SECONDS", "take over MOs a stopped process left unanswered this long (default %(default)s)"),
}


def add_smpp_arguments(parser: argparse.ArgumentParser) -> None:
    """Register ``--smpp HOST:PORT`` and every other ``--smpp-*`` setting."""
    d = SmppOptions()
    g = parser.add_argument_group("SMS over SMPP")
    g.add_argument("--smpp", metavar="HOST:PORT", type=parse_host_port, help="bind to this SMSC")
    g.add_argument("--smpp-system-id", metavar="ID", default="", help="system_id for the bind")
    g.add_argument(
        "--smpp-password", metavar="PW", default=None, help=f"bind password (or set ${PASSWORD_ENV})"
    )
    g.add_argument("--sms-shortcode", metavar="CODE", default=d.shortcode, help="our short code (default %(default)s)")
    choices = {"bind_mode": ("trx", "pair"), "concat": ("udh8", "udh16", "sar", "payload")}
    for name, (kind, metavar, help_text) in _FLAGS.items():
        g.add_argument("--smpp-" + name.replace("_", "-"), type=kind, metavar=metavar, default=getattr(d, name),
                       choices=choices.get(name), help=help_text)


def smpp_options_from_args(args: argparse.Namespace) -> SmppOptions | None:
    """The options, or None when no ``--smpp`` was given (SMS gateway off)."""
    hostport: tuple[str, int] | None = getattr(args, "smpp", None)
    if hostport is None:
        return None
    password = args.smpp_password if args.smpp_password is not None else os.environ.get(PASSWORD_ENV, "")
    known = {f.name for f in fields(SmppOptions)}
    extra = {name: getattr(args, "smpp_" + name) for name in _FLAGS if name in known}
    return SmppOptions(
        host=hostport[0],
        port=hostport[1],
        system_id=args.smpp_system_id,
        password=password,
        shortcode=args.sms_shortcode,
        **extra,
    )
