"""``redis+sentinel://`` URLs: a client that follows the primary Redis Sentinel names.

One Redis is a single point of failure; Sentinel watches a primary and its
replicas and promotes a replica when the primary dies. redis-py's
``Sentinel.master_for`` gives a client whose connections ask the sentinels
for the current primary whenever they (re)connect, and which treats a
demoted primary's READONLY answer as a lost connection. This module only
turns the URL ``--store`` takes into that client:

    redis+sentinel://[[USER]:PASSWORD@]HOST[:PORT][,HOST[:PORT]...]/SERVICE[/DB][?socket_timeout=S]

PORT defaults to 26379; the password is the data nodes'; ``socket_timeout``
and ``socket_connect_timeout`` (seconds) apply to data and sentinel
connections alike.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote, urlsplit

import redis.asyncio as aioredis
from redis.asyncio.sentinel import Sentinel

from engine.store.redis_url import TIMEOUTS, credentials_and_timeouts, node_addresses

SENTINEL = "redis+sentinel://"


class SentinelRedis(aioredis.Redis):
    """The primary's client; closing it also closes the clients of the sentinels it asks."""

    sentinel_manager: Sentinel | None = None

    async def aclose(self, close_connection_pool: bool | None = None) -> None:
        await super().aclose(close_connection_pool)
        if self.sentinel_manager is not None:
            for node in self.sentinel_manager.sentinels:
                await node.aclose()


def parse_sentinel_url(url: str) -> tuple[list[tuple[str, int]], str, dict[str, Any]]:
    """(sentinel addresses, service name, connection settings); ``ValueError`` names what is wrong."""
    parts = urlsplit(url)
    usage = f"{SENTINEL}HOST[:PORT][,HOST[:PORT]...]/SERVICE[/DB]"
    addresses = node_addresses(parts, url, what="sentinel address", default_port=26379, usage=usage)
    path = [p for p in parts.path.split("/") if p]
    if not path or len(path) > 2 or (len(path) == 2 and not path[1].isdigit()):
        raise ValueError(f"--store: {url!r} needs a service name and optionally a db number (use {usage})")
    settings: dict[str, Any] = {"db": int(path[1]) if len(path) == 2 else 0}
    settings |= credentials_and_timeouts(parts, url)
    return addresses, unquote(path[0]), settings


def sentinel_client(url: str, *, max_connections: int) -> aioredis.Redis:
    addresses, service, settings = parse_sentinel_url(url)
    timeouts = {k: v for k, v in settings.items() if k in TIMEOUTS}
    sentinel = Sentinel(addresses, sentinel_kwargs=timeouts, **settings)  # type: ignore[no-untyped-call]
    client: SentinelRedis = sentinel.master_for(service, redis_class=SentinelRedis, max_connections=max_connections)
    client.sentinel_manager = sentinel
    return client
