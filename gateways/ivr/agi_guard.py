"""Who may use the FastAGI port: the peer's address (``--agi-allow``) and a secret in the AGI URL.

FastAGI has no authentication of its own: whoever reaches the port sends an
environment with any ``agi_callerid`` and acts as that subscriber. Asterisk
can neither set headers nor present a client certificate to a FastAGI
server, but it controls the AGI URL, so the shared secret travels there
(``agi://host:4573/10086?secret=...``) and is compared in constant time.
"""

from __future__ import annotations

import hmac
from ipaddress import IPv6Address, ip_address
from urllib.parse import parse_qs

from gateways.ivr.options import IvrOptions


def allowed_peer(host: str, opts: IvrOptions) -> bool:
    """Whether ``host`` may connect: any peer without ``--agi-allow``, else one inside it."""
    if not opts.agi_allow:
        return True
    try:
        address = ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address in net for net in opts.agi_allow)


def secret_matches(env: dict[str, str], secret: str) -> bool:
    """The AGI URL's ``?secret=`` (``agi_network_script``) equals ours; always true without one."""
    if not secret:
        return True
    _, _, query = env.get("agi_network_script", "").partition("?")
    given = {k: v[-1] for k, v in parse_qs(query).items()}.get("secret", "")
    return hmac.compare_digest(given.encode(), secret.encode())
