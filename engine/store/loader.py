"""Turn the ``--store`` option into a store: one place that knows the spellings."""

from __future__ import annotations

from engine.clock import Clock
from engine.store.base import SessionStore
from engine.store.memory import MemoryStore
from engine.store.redis import STORE_SPELLINGS, RedisStore, is_redis_url


def open_store(spec: str | None, clock: Clock | None = None) -> SessionStore:
    """``None`` or ``"memory"`` → ``MemoryStore``; ``redis://HOST:PORT/DB`` → ``RedisStore``.

    ``rediss://`` (TLS) and ``unix://`` socket URLs are passed to redis-py as
    they are; ``redis+sentinel://`` follows the primary Sentinel names.
    Anything else is a configuration error that names the value.
    """
    if spec is None or spec == "memory":
        return MemoryStore(clock)
    if is_redis_url(spec):
        return RedisStore(spec, clock=clock)
    raise ValueError(f"--store: unknown store {spec!r} (use {STORE_SPELLINGS})")
