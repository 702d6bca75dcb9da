"""What Sentinel and Cluster store URLs share: a list of node addresses, credentials, timeouts.

``redis+sentinel://`` and ``redis+cluster://`` both name several hosts in one
netloc, which redis-py's ``from_url`` cannot read; one reader keeps their
error texts and accepted options the same.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import SplitResult, parse_qs, unquote

#: The query options a multi-host store URL accepts (seconds).
TIMEOUTS = ("socket_timeout", "socket_connect_timeout")


def node_addresses(parts: SplitResult, url: str, *, what: str, default_port: int, usage: str
                   ) -> list[tuple[str, int]]:
    """``HOST[:PORT],HOST[:PORT]...`` of the netloc; ``what`` names a node in the error."""
    hosts = parts.netloc.rpartition("@")[2]
    addresses: list[tuple[str, int]] = []
    for item in hosts.split(","):
        host, _, port = item.strip().partition(":")
        if not host or (port and not port.isdigit()):
            raise ValueError(f"--store: bad {what} {item!r} in {url!r} (use {usage})")
        addresses.append((host, int(port or default_port)))
    return addresses


def credentials_and_timeouts(parts: SplitResult, url: str) -> dict[str, Any]:
    """``username``/``password`` from the userinfo and the timeouts from the query; unknown options refused."""
    settings: dict[str, Any] = {}
    userinfo = parts.netloc.rpartition("@")[0]
    if userinfo:
        user, _, password = userinfo.partition(":")
        settings["username"] = unquote(user) or None
        settings["password"] = unquote(password) or None
    for name, values in parse_qs(parts.query).items():
        if name not in TIMEOUTS:
            raise ValueError(f"--store: unknown option {name!r} in {url!r} (known: {', '.join(TIMEOUTS)})")
        settings[name] = float(values[-1])
    return settings
