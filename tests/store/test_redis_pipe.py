"""AutoPipeline against the real Redis: grouping, per-command errors, lost scripts, lost connections."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError

from engine.store.redis_conn import connect
from engine.store.redis_pipe import AutoPipeline
from tests.net import free_port


@pytest.fixture
async def client(redis_url: str) -> AsyncIterator[aioredis.Redis]:
    c = connect(redis_url)
    yield c
    await c.aclose()


@pytest.fixture
async def pipe(client: aioredis.Redis) -> AsyncIterator[AutoPipeline]:
    p = AutoPipeline(client)
    yield p
    await p.close()


async def test_commands_of_one_iteration_leave_in_one_batch(pipe: AutoPipeline, key_prefix: str) -> None:
    keys = [f"{key_prefix}n{i}" for i in range(100)]
    sets = [pipe.execute("SET", k, i) for i, k in enumerate(keys)]
    assert await asyncio.gather(*sets) == [b"OK"] * 100
    assert pipe.batches == 1
    gets = await asyncio.gather(*(pipe.execute("GET", k) for k in keys))
    assert gets == [str(i).encode() for i in range(100)]
    assert pipe.batches == 2


async def test_an_error_reply_fails_only_its_own_command(pipe: AutoPipeline, key_prefix: str) -> None:
    await pipe.execute("SET", key_prefix + "text", "abc")
    before = pipe.execute("INCR", key_prefix + "count")
    bad = pipe.execute("INCR", key_prefix + "text")
    after = pipe.execute("INCR", key_prefix + "count")
    assert await before == 1
    with pytest.raises(ResponseError, match="not an integer"):
        await bad
    assert await after == 2


async def test_a_script_redis_does_not_know_is_sent_as_eval(
    pipe: AutoPipeline, client: aioredis.Redis, key_prefix: str
) -> None:
    # A source no Redis has seen: EVALSHA answers NOSCRIPT, the pipeline sends EVAL.
    script = client.register_script(f"-- {uuid.uuid4().hex}\nreturn redis.call('INCRBY', KEYS[1], ARGV[1])")
    assert await pipe.script(script, [key_prefix + "k"], [5]) == 5
    assert await client.script_exists(script.sha) == [True]  # EVAL loaded it: EVALSHA works next time
    batches = pipe.batches
    assert await pipe.script(script, [key_prefix + "k"], [5]) == 10
    assert pipe.batches == batches + 1


async def test_a_cancelled_caller_leaves_the_connection_in_step(pipe: AutoPipeline, key_prefix: str) -> None:
    abandoned = pipe.execute("SET", key_prefix + "a", "ran")
    wanted = pipe.execute("GET", key_prefix + "missing")
    abandoned.cancel()
    assert await wanted is None
    assert await pipe.execute("GET", key_prefix + "a") == b"ran"  # it still ran, and replies stay paired
    assert await pipe.execute("ECHO", "next") == b"next"


async def test_a_connection_killed_between_batches_is_replaced(
    pipe: AutoPipeline, client: aioredis.Redis, key_prefix: str
) -> None:
    conn_id = await pipe.execute("CLIENT", "ID")
    assert await client.execute_command("CLIENT", "KILL", "ID", conn_id) == 1
    assert await pipe.execute("SET", key_prefix + "k", "v") == b"OK"
    assert await pipe.execute("CLIENT", "ID") != conn_id


async def test_unreachable_redis_fails_each_command_with_a_connection_error() -> None:
    client = connect(f"redis://127.0.0.1:{free_port()}/0")
    pipe = AutoPipeline(client)
    try:
        calls = [pipe.execute("GET", "k"), pipe.execute("GET", "j")]
        for call in calls:
            with pytest.raises(RedisConnectionError):
                await asyncio.wait_for(call, 5)
    finally:
        await pipe.close()
        await client.aclose()


async def test_close_waits_for_commands_already_queued(client: aioredis.Redis, key_prefix: str) -> None:
    pipe = AutoPipeline(client)
    sent = pipe.execute("SET", key_prefix + "late", "1")
    await pipe.close()
    assert sent.done() and sent.result() == b"OK"
    assert await client.get(key_prefix + "late") == b"1"
