"""The USSD gateway's per-session record in Redis, for ``serve --workers N``.

With several processes behind one port, the next webhook call of a session may
reach another process: it must still know which cumulative text was already
fed to the engine and which answer a gateway retry should get again. Its
commands share the process's ``AutoPipeline`` for this Redis with the session
store and the other adapters (``engine.store.redis_conn``), so a request's
record read and the engine's lock+read can leave in one write.

The gateway's keys are ``<dialect>:<session id>``; in Redis the record is
``{prefix}{ussd:<session id>}:<dialect>``, whose hash tag is the engine's
session key, so on Redis Cluster a session's record, lock and state live in
one slot, on one node.
"""

from __future__ import annotations

from engine.store.redis_conn import open_conn
from gateways.ussd.progress import SessionProgress


class RedisProgressStore:
    def __init__(self, url: str, *, prefix: str = "mf:ussd:") -> None:
        self._conn = open_conn(url)
        self._redis = self._conn.client
        self._pipe = self._conn.pipe
        self._prefix = prefix

    def record_key(self, key: str) -> str:
        dialect, _, session_id = key.partition(":")
        return f"{self._prefix}{{ussd:{session_id}}}:{dialect}"

    async def get(self, key: str) -> SessionProgress | None:
        blob = await self._pipe.execute("GET", self.record_key(key))
        if blob is None:
            return None
        return SessionProgress.loads(blob if isinstance(blob, bytes) else blob.encode())

    async def set(self, key: str, value: SessionProgress, ttl: float) -> None:
        await self._pipe.execute("SET", self.record_key(key), value.dumps(), "PX", max(1, int(ttl * 1000)))

    async def delete(self, key: str) -> None:
        await self._pipe.execute("DEL", self.record_key(key))

    async def close(self) -> None:
        await self._conn.release()
