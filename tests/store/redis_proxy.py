"""A loopback TCP proxy to Redis that tests can cut, restore, or make keep Redis's replies to itself.

Cutting it is Redis going away (connections dropped, new ones refused).
``hold_replies`` is the narrower fault the crash tests need: a connection
that sends a given byte string (say, a key only MO stores name) still has
its commands run by Redis, but from then on gets no reply, so the process
cannot tell that its writes were made — as when it dies between sending a
batch and reading the answers. Its other connections work on.
"""

from __future__ import annotations

import asyncio
import contextlib


class CuttableProxy:
    """A loopback TCP proxy to Redis that can be cut (connections dropped, new ones refused) and restored."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = 0
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._hold_after: bytes | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    def hold_replies(self, after: bytes) -> None:
        """From now on a connection whose commands contain ``after`` gets no more replies."""
        self._hold_after = after

    async def cut(self) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()
        for w in list(self._writers):
            w.transport.abort()
        self._writers.clear()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        self._writers.update((writer, up_writer))
        held = asyncio.Event()

        async def requests() -> None:
            seen = b""
            with contextlib.suppress(ConnectionError, OSError):
                while data := await reader.read(65536):
                    seen = seen[-256:] + data  # a marker split between two reads is still found
                    if self._hold_after is not None and self._hold_after in seen:
                        held.set()  # before Redis can answer this very command
                    up_writer.write(data)
                    await up_writer.drain()
            up_writer.transport.abort()

        async def replies() -> None:
            with contextlib.suppress(ConnectionError, OSError):
                while data := await up_reader.read(65536):
                    if not held.is_set():
                        writer.write(data)
                        await writer.drain()
            writer.transport.abort()

        await asyncio.gather(requests(), replies())
