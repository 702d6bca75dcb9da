"""Auto-pipelining: the Redis commands concurrent turns issue in one loop iteration leave together.

Why: through redis-py's ``execute_command`` each command costs a process
~45-70 us of CPU (pool checkout, retry and observability wrappers, pure-Python
packing, parsing), which under load bounds a process more than Redis does.
Concurrent USSD requests issue their lock and commit scripts within the same
few loop iterations; queued here, packed by hiredis' C packer and written as
one pipeline on one connection, a command costs ~15 us (the idea of ioredis'
``enableAutoPipelining``). A single command waits for nothing: the batch
leaves on the next iteration. Connections are redis-py's, made by the
client's pool from its settings, but kept here, one per batch in flight.

Not for blocking commands (BLMOVE, BLPOP, WAIT...): one would hold back the
replies of every command batched behind it.

Each batch runs in its own task. A caller cancelled while it waits only
abandons its future: the connection is never left mid-reply (so it never
falls out of step) and the command still runs in Redis, which callers that
take locks rely on to know whether they got it (see ``RedisStore``).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import hiredis
import redis.asyncio as aioredis
from redis.asyncio.connection import AbstractConnection
from redis.commands.core import AsyncScript
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError, RedisError, ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

log = logging.getLogger(__name__)

#: One queued command: the caller's future, its arguments, and for EVALSHA the script's source.
_Entry = tuple["asyncio.Future[Any]", tuple[Any, ...], Any]


class AutoPipeline:
    """Queue commands; send everything queued in one loop iteration as one write, replies in order.

    Error replies fail only their own command. A script Redis does not know
    (a restart, ``SCRIPT FLUSH``) is sent again as ``EVAL`` of its source,
    which also loads it. A batch whose connection was found dead before any
    reply came back is sent once more on a fresh connection (redis-py's own
    retry does the same; under Sentinel the fresh connection asks for the
    current primary); after that its commands fail with the connection error.
    A batch whose replies do not all arrive within the client's ``socket_timeout``
    fails the rest with ``TimeoutError`` and is not retried: the commands may have run.

    That timeout is one per batch, not redis-py's one per reply: its
    connections are made without a socket timeout, since redis-py's costs a
    timer per reply and a task per write (``asyncio.wait_for``), which were
    most of a pipelined command's CPU.
    """

    def __init__(self, client: aioredis.Redis) -> None:
        self._pool = client.connection_pool
        #: The client's socket_timeout, applied per batch (None: wait for ever, as redis-py would).
        self._timeout: float | None = None
        self._idle: list[AbstractConnection] = []
        self._busy = 0
        self._queue: list[_Entry] = []
        self._tasks: set[asyncio.Task[None]] = set()
        #: Batches written so far (how well commands are being grouped; tests read it).
        self.batches = 0

    def execute(self, *args: Any) -> asyncio.Future[Any]:
        """Queue one command; the future resolves to its reply or fails with its error."""
        return self._enqueue(args, None)

    def script(self, script: AsyncScript, keys: list[Any], args: list[Any]) -> asyncio.Future[Any]:
        """Queue ``EVALSHA``; falls back to ``EVAL`` of the source if Redis lost the script."""
        return self._enqueue(("EVALSHA", script.sha, len(keys), *keys, *args), script.script)

    def _enqueue(self, args: tuple[Any, ...], source: Any) -> asyncio.Future[Any]:
        fut: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._push((fut, args, source))
        return fut

    def _push(self, entry: _Entry) -> None:
        if not self._queue:
            asyncio.get_running_loop().call_soon(self._flush)
        self._queue.append(entry)

    def _flush(self) -> None:
        if not self._queue:  # close() sent it already
            return
        batch, self._queue = self._queue, []
        task = asyncio.get_running_loop().create_task(self._send(batch))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _send(self, batch: list[_Entry], retry: bool = True) -> None:
        if self._busy >= self._pool.max_connections:
            _fail(batch, RedisConnectionError(f"more than {self._pool.max_connections} Redis batches in flight"))
            return
        conn = self._idle.pop() if self._idle else self._connection()
        self._busy += 1
        answered = 0
        lost: Exception | None = None
        try:
            self.batches += 1
            async with asyncio.timeout(self._timeout):
                if not conn.is_connected:
                    # connect() itself, not send's implicit connect: a Sentinel connection looks up the primary there.
                    await conn.connect()  # type: ignore[no-untyped-call]
                await conn.send_packed_command(b"".join(hiredis.pack_command(a) for _, a, _ in batch),
                                               check_health=False)
                for fut, args, source in batch:
                    await self._answer(conn, fut, args, source)
                    answered += 1
            self._idle.append(conn)
        except TimeoutError:  # before OSError, its base: a timed-out batch may have run, so it is not resent
            await conn.disconnect()
            _fail(batch[answered:], RedisTimeoutError(f"Timeout reading from Redis ({self._timeout}s for a batch)"))
        except (RedisConnectionError, OSError) as exc:
            await conn.disconnect()
            # The idle ones lead to the same server: gone too (a restart), or demoted (a Sentinel failover).
            await self._drop_idle()
            lost = exc
        except BaseException as exc:  # cancelled at shutdown, or a reply we could not parse
            await conn.disconnect()
            _fail(batch[answered:], exc)
            if not isinstance(exc, Exception):
                raise
        finally:
            self._busy -= 1
        if lost is None:
            return
        if retry and answered == 0:
            log.info("Redis connection lost before any reply (%s); sending the batch once more", lost)
            await self._send(batch, retry=False)
        else:
            _fail(batch[answered:], lost)

    def _connection(self) -> AbstractConnection:
        """A new connection of the client's pool, whose socket timeout this pipeline applies per batch."""
        conn: AbstractConnection = self._pool.make_connection()  # type: ignore[no-untyped-call]
        self._timeout = conn.socket_timeout
        conn.socket_timeout = None
        return conn

    async def _answer(
        self, conn: AbstractConnection, fut: asyncio.Future[Any], args: tuple[Any, ...], source: Any
    ) -> None:
        try:
            reply = await conn.read_response(disconnect_on_error=False)
        except NoScriptError as exc:
            if source is None:
                _settle(fut, exc)
            else:  # the reply stays the caller's: EVAL of the source goes in the next batch
                self._push((fut, ("EVAL", source, *args[2:]), None))
            return
        except ResponseError as exc:
            _settle(fut, exc)
            return
        _settle(fut, reply)

    async def close(self) -> None:
        """Let batches already written finish (their callers are waiting), then stop."""
        if self._queue:
            self._flush()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._drop_idle()

    async def _drop_idle(self) -> None:
        idle, self._idle = self._idle, []
        for conn in idle:
            await conn.disconnect()


def _settle(fut: asyncio.Future[Any], outcome: Any) -> None:
    if fut.done():  # the caller gave up waiting; the command ran all the same
        return
    if isinstance(outcome, BaseException):
        fut.set_exception(outcome)
    else:
        fut.set_result(outcome)


def _fail(batch: list[_Entry], exc: BaseException) -> None:
    error = exc if isinstance(exc, RedisError) else RedisConnectionError(f"Redis batch failed: {exc!r}")
    for fut, _, _ in batch:
        _settle(fut, error)
