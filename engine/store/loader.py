"""Turn the ``--store`` option into a store: one place that knows the spellings."""

from __future__ import annotations

from typing import Literal

from engine.clock import Clock
from engine.ports.sessions import SessionStore
from engine.store.memory import MemoryStore
from engine.store.redis import RedisStore
from engine.store.redis_cluster import CLUSTER
from engine.store.redis_sentinel import SENTINEL

#: Every ``--store`` spelling that means Redis.
SCHEMES = ("redis://", "rediss://", "unix://", SENTINEL, CLUSTER)


def is_redis_url(spec: str | None) -> bool:
    return bool(spec) and str(spec).startswith(SCHEMES)


def store_kind(spec: str | None) -> Literal["memory", "redis"]:
    """Which store ``spec`` names (sessions, shared counters and ``serve --workers`` all ask here).

    ``None`` or ``"memory"`` is the in-process store; ``redis://HOST:PORT/DB``,
    ``rediss://`` (TLS), ``unix://`` socket URLs, ``redis+sentinel://`` and
    ``redis+cluster://HOST:PORT[,HOST:PORT...]`` are Redis. Anything else is a configuration error that names the value.
    """
    if spec is None or spec == "memory":
        return "memory"
    if is_redis_url(spec):
        return "redis"
    raise ValueError(
        f"--store: unknown store {spec!r} "
        "(use 'memory', redis://HOST:PORT/DB, redis+sentinel://HOST:PORT/SERVICE/DB "
        "or redis+cluster://HOST:PORT[,HOST:PORT...])"
    )


def open_store(spec: str | None, clock: Clock | None = None) -> SessionStore:
    """A ``MemoryStore`` or a ``RedisStore`` (URLs are passed to redis-py, Sentinel ones via ``Sentinel``)."""
    if spec is None or store_kind(spec) == "memory":
        return MemoryStore(clock)
    return RedisStore(spec, clock=clock)
