"""Fixtures for the store contract suite: a real Redis when there is one.

``redis_url`` skips a test when Redis is not reachable, unless
``MENUFLOW_REQUIRE_SERVICES=1`` (set by ``.ci/run``): then a missing Redis fails
the run instead of silently passing it. ``cluster_url`` starts a real 3-primary
Redis Cluster on loopback (``tests/store/redis_cluster.py``) once per run.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import AsyncIterator, Iterator

import pytest
import redis

from engine.clock import ManualClock
from engine.ports.sessions import SessionStore
from engine.store.memory import MemoryStore
from engine.store.redis import RedisStore
from tests.conftest import skip_or_fail
from tests.store.redis_cluster import LocalCluster, tools_missing

REDIS_URL = "redis://127.0.0.1:6379/0"
NOT_REACHABLE = "Redis not reachable on 127.0.0.1:6379"


@pytest.fixture(scope="session")
def redis_url() -> str:
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1.0)
    try:
        client.ping()
    except redis.RedisError as exc:
        if os.environ.get("MENUFLOW_REQUIRE_SERVICES") == "1":
            pytest.fail(f"{NOT_REACHABLE} and MENUFLOW_REQUIRE_SERVICES=1: {exc}")
        pytest.skip(NOT_REACHABLE)
    finally:
        client.close()
    return REDIS_URL


@pytest.fixture(scope="session")
def _run_prefix() -> Iterator[str]:
    """One key prefix per test run; every key under it is deleted at the end."""
    prefix = f"mftest:{uuid.uuid4().hex[:12]}:"
    yield prefix
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1.0)
    try:
        keys = list(client.scan_iter(match=prefix + "*", count=1000))
        if keys:
            client.delete(*keys)
    except redis.RedisError:
        pass  # Redis was never there: nothing to clean.
    finally:
        client.close()


@pytest.fixture
def key_prefix(_run_prefix: str) -> str:
    """A prefix unique to this test, inside the run's prefix."""
    return f"{_run_prefix}{uuid.uuid4().hex[:8]}:"


@pytest.fixture(scope="session")
def cluster_url() -> Iterator[str]:
    """A 3-primary Redis Cluster on loopback, started for this test run and stopped after it."""
    missing = tools_missing()
    if missing:
        skip_or_fail(missing)
    cluster = LocalCluster()
    try:
        cluster.start()
    except (OSError, RuntimeError, subprocess.SubprocessError) as exc:
        cluster.stop()
        skip_or_fail(f"could not start a local Redis Cluster: {exc}")
    yield cluster.url
    cluster.stop()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture(params=["memory", "redis", "cluster"])
async def store(request: pytest.FixtureRequest, clock: ManualClock) -> AsyncIterator[SessionStore]:
    """Each contract test runs once per implementation."""
    impl: SessionStore
    if request.param == "memory":
        impl = MemoryStore(clock)
    else:
        url = request.getfixturevalue("redis_url" if request.param == "redis" else "cluster_url")
        impl = RedisStore(url, prefix=request.getfixturevalue("key_prefix"), clock=clock)
    yield impl
    await impl.close()
