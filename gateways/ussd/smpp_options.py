"""USSD-over-SMPP settings and the ``--ussd-smpp*`` command-line flags.

USSD gateways that speak SMPP agree on the TLVs (``ussd_service_op``,
``its_session_info``) but not on how they use them: where the session id sits,
which op code ends a dialog, whether the service code is in ``short_message``
or ``destination_addr``. Every such choice is a field here, so a new USSDC is a
command line, not a code change. Defaults follow SMPP 3.4 / 5.0.
"""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass
from typing import Literal

from gateways.hostport import parse_host_port
from gateways.sms.options import SmppOptions

#: Where the USSDC puts the dialog id: SMPP's its_session_info (session number
#: in octet 1), the 15 high bits of it (6D-style gateways), user_message_reference
#: (Mica-style), or nowhere (one dialog per subscriber; some Huawei setups).
SessionIdSource = Literal["its_session_info", "its_session_info_15bit", "user_message_reference", "msisdn"]
SESSION_ID_SOURCES: tuple[SessionIdSource, ...] = (
    "its_session_info", "its_session_info_15bit", "user_message_reference", "msisdn",
)
CodeField = Literal["short_message", "destination_addr"]
PASSWORD_ENV = "MENUFLOW_USSD_SMPP_PASSWORD"

# ussd_service_op values (SMPP 5.0 §4.8.4.64); 0x81 is the vendor "USSREL" release.
PSSR_INDICATION = 1
USSR_REQUEST = 2
PSSR_RESPONSE = 17
USSR_CONFIRM = 18
USSREL_INDICATION = 0x81


@dataclass(frozen=True, slots=True)
class UssdSmppOptions:
    """How to reach a USSDC over SMPP and which dialect of the TLVs it speaks."""

    #: A dedicated bind (``--ussd-smpp HOST:PORT``); None with ``same_bind``.
    host: str | None = None
    port: int = 2775
    #: USSD arrives on the SMS bind (deliver_sm carrying ussd_service_op).
    same_bind: bool = False
    system_id: str = ""
    password: str = ""
    system_type: str = ""
    session_id: SessionIdSource = "its_session_info"
    #: Where the dialled code ("*100#") is in the opening deliver_sm; the
    #: other field is tried when this one does not hold a USSD code.
    code_field: CodeField = "short_message"
    #: deliver_sm ops: dialog opened / subscriber answered / dialog released.
    op_begin: int = PSSR_INDICATION
    op_input: int = USSR_CONFIRM
    op_release: tuple[int, ...] = (USSREL_INDICATION, PSSR_RESPONSE)
    #: submit_sm ops: a screen that waits for input / the final screen.
    op_continue: int = USSR_REQUEST
    op_end: int = PSSR_RESPONSE
    #: Also set bit 0 of its_session_info on the final screen.
    end_bit: bool = True
    #: service_type of our submit_sm ("USSD" for some gateways; "" = default).
    service_type: str = ""
    #: data_coding for GSM-7 screens (0 = SMSC default; some USSDCs want 0x0F).
    gsm7_data_coding: int = 0
    #: Seconds the engine gets before "processing, result by SMS" ends the dialog.
    budget: float = 3.0
    #: Idle seconds before a dialog's record is forgotten.
    session_timeout: float = 180.0
    country_code: str = "86"

    def __post_init__(self) -> None:
        ops = [("op_begin", self.op_begin), ("op_input", self.op_input), ("op_continue", self.op_continue),
               ("op_end", self.op_end)] + [("op_release", op) for op in self.op_release]
        for name, op in ops:
            if not 0 <= op <= 255:
                raise ValueError(f"USSD SMPP option {name}: {op} is not an octet (0..255)")
        inbound = [self.op_begin, self.op_input, *self.op_release]
        if len(set(inbound)) != len(inbound):
            raise ValueError(f"USSD SMPP options op_begin/op_input/op_release overlap: {inbound}")
        checks = {
            "port": 0 < self.port < 65536,
            "session_id": self.session_id in SESSION_ID_SOURCES,
            "code_field": self.code_field in ("short_message", "destination_addr"),
            "gsm7_data_coding": 0 <= self.gsm7_data_coding <= 255,
            "budget": self.budget > 0,
            "session_timeout": self.session_timeout > 0,
            "country_code": self.country_code.isdigit() and len(self.country_code) <= 3,
        }
        for name, ok in checks.items():
            if not ok:
                raise ValueError(f"USSD SMPP option {name}: invalid value {getattr(self, name)!r}")
        if self.host is not None and self.same_bind:
            raise ValueError("USSD SMPP: give either --ussd-smpp HOST:PORT or --ussd-smpp-same-bind")

    def bind_options(self) -> SmppOptions:
        """The transport settings for a dedicated USSD bind (one transceiver)."""
        return SmppOptions(
            host=self.host or "127.0.0.1", port=self.port, system_id=self.system_id,
            password=self.password, system_type=self.system_type, bind_mode="trx",
            registered_delivery=0, country_code=self.country_code,
        )


def _octet(value: str) -> int:
    try:
        return int(value, 0)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number like 17 or 0x11, got {value!r}") from None


def _octets(value: str) -> tuple[int, ...]:
    return tuple(_octet(v.strip()) for v in value.split(",") if v.strip())


def add_ussd_smpp_arguments(parser: argparse.ArgumentParser) -> None:
    """Register ``--ussd-smpp HOST:PORT``, ``--ussd-smpp-same-bind`` and the dialect knobs."""
    d = UssdSmppOptions()
    g = parser.add_argument_group("USSD over SMPP")
    g.add_argument("--ussd-smpp", metavar="HOST:PORT", type=parse_host_port, help="bind to this USSDC")
    g.add_argument("--ussd-smpp-same-bind", action="store_true",
                   help="take USSD from the SMS bind (--smpp) instead of a bind of its own")
    g.add_argument("--ussd-smpp-system-id", metavar="ID", default="", help="system_id for the USSD bind")
    g.add_argument("--ussd-smpp-password", metavar="PW", default=None,
                   help=f"USSD bind password (or set ${PASSWORD_ENV})")
    g.add_argument("--ussd-smpp-system-type", metavar="TYPE", default="", help="system_type for the bind")
    g.add_argument("--ussd-smpp-session-id", choices=SESSION_ID_SOURCES, default=d.session_id,
                   help="where the USSDC puts the dialog id (default %(default)s)")
    g.add_argument("--ussd-smpp-code-field", choices=("short_message", "destination_addr"),
                   default=d.code_field, help="field holding the dialled code (default %(default)s)")
    for name, help_text in (("begin", "deliver_sm op opening a dialog"),
                            ("input", "deliver_sm op carrying the subscriber's answer"),
                            ("continue", "submit_sm op for a screen that waits for input"),
                            ("end", "submit_sm op for the final screen")):
        g.add_argument(f"--ussd-smpp-op-{name}", metavar="N", type=_octet, default=getattr(d, f"op_{name}"),
                       help=f"{help_text} (default %(default)s; 0x.. accepted)")
    g.add_argument("--ussd-smpp-op-release", metavar="N,N", type=_octets, default=d.op_release,
                   help="deliver_sm ops meaning the subscriber or network ended the dialog (default 0x81,17)")
    g.add_argument("--ussd-smpp-no-end-bit", action="store_true",
                   help="do not set the end bit of its_session_info on the final screen")
    g.add_argument("--ussd-smpp-service-type", metavar="TYPE", default="", help="service_type of replies")
    g.add_argument("--ussd-smpp-gsm7-dc", metavar="N", type=_octet, default=0,
                   help="data_coding for GSM-7 screens (default 0; some USSDCs want 0x0F)")


def ussd_smpp_options_from_args(args: argparse.Namespace) -> UssdSmppOptions | None:
    """The options, or None when USSD over SMPP is off. Shares ``--ussd-budget``,
    ``--ussd-session-timeout`` and ``--ussd-country-code`` with USSD over HTTP when registered."""
    hostport: tuple[str, int] | None = args.ussd_smpp
    if hostport is None and not args.ussd_smpp_same_bind:
        return None
    pw = args.ussd_smpp_password if args.ussd_smpp_password is not None else os.environ.get(PASSWORD_ENV, "")
    return UssdSmppOptions(
        host=hostport[0] if hostport else None,
        port=hostport[1] if hostport else 2775,
        same_bind=args.ussd_smpp_same_bind,
        system_id=args.ussd_smpp_system_id,
        password=pw,
        system_type=args.ussd_smpp_system_type,
        session_id=args.ussd_smpp_session_id,
        code_field=args.ussd_smpp_code_field,
        op_begin=args.ussd_smpp_op_begin,
        op_input=args.ussd_smpp_op_input,
        op_release=tuple(args.ussd_smpp_op_release),
        op_continue=args.ussd_smpp_op_continue,
        op_end=args.ussd_smpp_op_end,
        end_bit=not args.ussd_smpp_no_end_bit,
        service_type=args.ussd_smpp_service_type,
        gsm7_data_coding=args.ussd_smpp_gsm7_dc,
        budget=float(getattr(args, "ussd_budget", 3.0)),
        session_timeout=float(getattr(args, "ussd_session_timeout", 180.0)),
        country_code=str(getattr(args, "ussd_country_code", "86")).lstrip("+"),
    )
