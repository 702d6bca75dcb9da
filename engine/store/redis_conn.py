"""Connections to Redis: one client and one auto-pipeline per Redis URL per process, shared by every adapter.

Why: a process talks to one Redis through several adapters — the session
store, the rate limiter, the shared counters, the SMS inbox and outbox. Each
had its own ``AutoPipeline``, so one SMS MO's commands issued in the same
loop iteration (the next MO's inbox add, this one's lock+read, another's
rate count and completion) left in up to five writes and came back as five
batches to read, where one would do: every batch costs a write syscall, a
task and its reads, more than its commands. Sharing also keeps one
connection pool per Redis instead of one per adapter.

``open_conn(url)`` hands out the same ``RedisConn`` to every caller on the
same event loop until each has called ``release()``; the last release
closes the pipeline (after the batches it has sent) and the client. Outside
a running loop each call gets a connection of its own (nothing to share it
with safely: a pool is bound to the loop that uses it).
"""

from __future__ import annotations

import asyncio

import redis.asyncio as aioredis
from redis.asyncio.cluster import RedisCluster

from engine.store.redis_cluster import CLUSTER, ClusterPipe, cluster_client
from engine.store.redis_pipe import AutoPipeline
from engine.store.redis_sentinel import SENTINEL, sentinel_client

#: A client of one Redis (or of the primary Sentinel names), or of a Redis Cluster.
Client = aioredis.Redis | RedisCluster
#: Where hot-path commands go: one auto-pipeline, or one per cluster primary.
Pipe = AutoPipeline | ClusterPipe


def connect(url: str, *, max_connections: int = 2048) -> Client:
    """A client whose pool opens a connection per concurrent command, up to ``max_connections``.

    redis-py's default cap (100) turned a burst of USSD dials into
    ``MaxConnectionsError``; its ``BlockingConnectionPool`` avoids that but
    costs ~35 us of CPU per command in its condition/timeout handling, a
    quarter of a USSD request. A high cap on the plain pool does neither.
    ``redis+sentinel://`` URLs give a client of the primary Sentinel names
    (see ``sentinel_client``); ``redis+cluster://`` ones a ``RedisCluster``
    (see ``engine.store.redis_cluster``).
    """
    if url.startswith(CLUSTER):
        return cluster_client(url, max_connections=max_connections)
    if url.startswith(SENTINEL):
        return sentinel_client(url, max_connections=max_connections)
    pool = aioredis.ConnectionPool.from_url(url, max_connections=max_connections)
    return aioredis.Redis.from_pool(pool)


def open_pipe(client: Client) -> Pipe:
    """A new auto-pipeline for ``client``, routed by hash slot on a cluster (adapters share one: ``open_conn``)."""
    return ClusterPipe(client) if isinstance(client, RedisCluster) else AutoPipeline(client)


class RedisConn:
    """A client (for blocking commands and tools) and its auto-pipeline (for everything else)."""

    def __init__(self, url: str, key: tuple[str, asyncio.AbstractEventLoop] | None) -> None:
        self.client: Client = connect(url)
        self.pipe: Pipe = open_pipe(self.client)
        self._key = key
        self.users = 1

    async def release(self) -> None:
        """This user is done; the last one closes the pipeline and the client."""
        self.users -= 1
        if self.users > 0:
            return
        if self._key is not None and _OPEN.get(self._key) is self:
            del _OPEN[self._key]
        await self.pipe.close()
        await self.client.aclose()


_OPEN: dict[tuple[str, asyncio.AbstractEventLoop], RedisConn] = {}


def open_conn(url: str) -> RedisConn:
    """The process's connection to ``url`` (one more user of it); ``release()`` it when done."""
    try:
        key = (url, asyncio.get_running_loop())
    except RuntimeError:
        return RedisConn(url, None)
    conn = _OPEN.get(key)
    if conn is None:
        conn = _OPEN[key] = RedisConn(url, key)
    else:
        conn.users += 1
    return conn
