"""Start-up refusals: a listener reachable beyond loopback must be authenticated.

Checked before anything listens, with a message that names the setting to
use; ``--allow-unauthenticated`` is the explicit way out for a network that
checks callers itself.
"""

from __future__ import annotations

import argparse
import os

from gateways.http_input import is_loopback
from gateways.ivr.options import IvrOptions


def check_webhook_exposure(args: argparse.Namespace, ussd: tuple[str, int] | None,
                           ivr: tuple[str, int] | None) -> None:
    """Webhooks beyond loopback need a token (or a trusted network, said explicitly)."""
    if args.allow_unauthenticated:
        return
    env = os.environ.get
    # /ivr/twiml is guarded by a token or Twilio's signature; /ivr/vxml (no signature) only by a token.
    ivr_secret = env("MENUFLOW_IVR_WEBHOOK_TOKEN") or (env("MENUFLOW_TWILIO_AUTH_TOKEN")
                                                       and env("MENUFLOW_VXML_TOKEN"))
    if ussd and not is_loopback(ussd[0]) and not os.environ.get("MENUFLOW_USSD_WEBHOOK_TOKEN"):
        raise ValueError(f"--ussd-http {ussd[0]}:{ussd[1]} is reachable beyond loopback: set "
                         "MENUFLOW_USSD_WEBHOOK_TOKEN (callers add ?token=...) or pass --allow-unauthenticated")
    if ivr and not is_loopback(ivr[0]) and not ivr_secret:
        raise ValueError(f"--ivr-http {ivr[0]}:{ivr[1]} is reachable beyond loopback: set "
                         "MENUFLOW_IVR_WEBHOOK_TOKEN, or MENUFLOW_TWILIO_AUTH_TOKEN together with "
                         "MENUFLOW_VXML_TOKEN, or pass --allow-unauthenticated")


def check_agi_exposure(args: argparse.Namespace, host: str, port: int, opts: IvrOptions) -> None:
    """FastAGI has no authentication of its own: beyond loopback it needs an allow-list or a secret.

    Anyone who reaches the port could otherwise send an environment with a
    spoofed ``agi_callerid`` and act as that subscriber.
    """
    if is_loopback(host) or opts.agi_allow or opts.agi_secret or args.allow_unauthenticated:
        return
    raise ValueError(f"--agi {host}:{port} is reachable beyond loopback: pass --agi-allow CIDR (the Asterisk "
                     "hosts) and/or set MENUFLOW_AGI_SECRET (Asterisk calls agi://host/10086?secret=...), "
                     "or pass --allow-unauthenticated")
