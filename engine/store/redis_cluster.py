"""``redis+cluster://`` URLs: Redis Cluster, with auto-pipelining per primary.

Past one Redis primary's capacity, Redis Cluster spreads keys over several
primaries by hash slot. redis-py's ``RedisCluster`` knows the slot map; it is
used as is for the outbox (whose commands block) and to find where a key
lives. The hot path — the session store's lock+read and commit+release
scripts, the gateway's records, shared counters — goes through ``ClusterPipe``:
one ``AutoPipeline`` per primary, each command sent to the primary of its
key's slot, so concurrent turns on one node still leave in one write.

Every command here names one key (a script's keys share one slot: the
session store's keys carry the session as a hash tag, ``{ussd:…}``), so a
turn stays one pipelined round trip to one node. A ``MOVED``/``ASK``
(resharding), ``TRYAGAIN``, ``CLUSTERDOWN`` or a lost connection (a primary
failed over) re-reads the slot map and sends the command again, a few times.

    redis+cluster://[[USER]:PASSWORD@]HOST[:PORT][,HOST[:PORT]...][?socket_timeout=S]

PORT defaults to 6379; any reachable node is enough to find the others.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import redis.asyncio as aioredis
from redis.asyncio.cluster import ClusterNode, RedisCluster
from redis.exceptions import AskError, ClusterDownError, MovedError, TryAgainError
from redis.exceptions import ConnectionError as RedisConnectionError

from engine.store.redis_pipe import AutoPipeline
from engine.store.redis_url import credentials_and_timeouts, node_addresses

CLUSTER = "redis+cluster://"
#: Sends of one command before its error is the caller's (each after re-reading the slot map).
ATTEMPTS = 4
_REROUTE = (MovedError, AskError, TryAgainError, ClusterDownError, RedisConnectionError)


def parse_cluster_url(url: str) -> tuple[list[tuple[str, int]], dict[str, Any]]:
    """(node addresses, connection settings); ``ValueError`` names what is wrong."""
    parts = urlsplit(url)
    usage = f"{CLUSTER}HOST[:PORT][,HOST[:PORT]...]"
    addresses = node_addresses(parts, url, what="cluster node address", default_port=6379, usage=usage)
    if parts.path.strip("/") not in ("", "0"):
        raise ValueError(f"--store: {url!r}: Redis Cluster has only database 0 (use {usage})")
    return addresses, credentials_and_timeouts(parts, url)


def cluster_client(url: str, *, max_connections: int) -> RedisCluster:
    addresses, settings = parse_cluster_url(url)
    nodes = [ClusterNode(host, port) for host, port in addresses]
    return RedisCluster(startup_nodes=nodes, max_connections=max_connections, **settings)


class ClusterPipe:
    """``AutoPipeline``'s interface over a cluster: one pipeline per primary, commands routed by slot."""

    def __init__(self, client: RedisCluster, *, max_connections: int = 2048) -> None:
        self._client = client
        self._max = max_connections
        self._pipes: dict[str, AutoPipeline] = {}
        self._clients: list[aioredis.Redis] = []
        #: Reading the slot map; None when it must be read (again) before the next send.
        self._table: asyncio.Future[Any] | None = None

    @property
    def batches(self) -> int:
        return sum(p.batches for p in self._pipes.values())

    def execute(self, *args: Any) -> asyncio.Future[Any]:
        """Queue one single-key command (the key is its first argument)."""
        return self._route(args[1], lambda pipe: pipe.execute(*args))

    def script(self, script: Any, keys: list[Any], args: list[Any]) -> asyncio.Future[Any]:
        """Queue a script; its keys must share a slot (a hash tag), the first one routes it."""
        return self._route(keys[0], lambda pipe: pipe.script(script, keys, args))

    def _route(self, key: Any, send: Callable[[AutoPipeline], asyncio.Future[Any]]) -> asyncio.Future[Any]:
        outer: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._attempt(outer, key, send, ATTEMPTS)
        return outer

    def _attempt(self, outer: asyncio.Future[Any], key: Any, send: Callable[[AutoPipeline], asyncio.Future[Any]],
                 left: int) -> None:
        table = self._table
        if table is None:
            table = self._table = asyncio.ensure_future(self._client.nodes_manager.initialize())
        if not table.done():
            table.add_done_callback(lambda _: self._attempt(outer, key, send, left))
            return
        if table.exception() is not None:
            self._table = None
            _settle(outer, table.exception())
            return
        node = self._client.nodes_manager.get_node_from_slot(self._client.keyslot(key))
        inner = send(self._pipe(node))
        inner.add_done_callback(functools.partial(self._landed, outer, key, send, left))

    def _landed(self, outer: asyncio.Future[Any], key: Any, send: Callable[[AutoPipeline], asyncio.Future[Any]],
                left: int, inner: asyncio.Future[Any]) -> None:
        if inner.cancelled():  # only at shutdown (AutoPipeline.close)
            outer.cancel()
            return
        exc = inner.exception()
        if exc is None:
            _settle(outer, inner.result())
        elif isinstance(exc, _REROUTE) and left > 1:
            if self._table is not None and self._table.done():
                self._table = None  # the map changed (or a primary failed over): read it again
            self._attempt(outer, key, send, left - 1)
        else:
            _settle(outer, exc)

    def _pipe(self, node: ClusterNode) -> AutoPipeline:
        pipe = self._pipes.get(node.name)
        if pipe is None:
            kwargs = {k: v for k, v in node.connection_kwargs.items() if k not in ("host", "port")}
            pool = aioredis.ConnectionPool(host=node.host, port=node.port, max_connections=self._max, **kwargs)
            client = aioredis.Redis.from_pool(pool)
            self._clients.append(client)
            pipe = self._pipes[node.name] = AutoPipeline(client)
        return pipe

    async def close(self) -> None:
        for pipe in self._pipes.values():
            await pipe.close()
        for client in self._clients:
            await client.aclose()
        self._pipes.clear()
        self._clients.clear()


def _settle(fut: asyncio.Future[Any], outcome: Any) -> None:
    if fut.done():
        return
    if isinstance(outcome, BaseException):
        fut.set_exception(outcome)
    else:
        fut.set_result(outcome)
