"""The remote handsets' HTTP client, made on first use.

aiohttp wants its ClientSession created inside the running loop, but the
phone model builds devices before the loop runs; so the session is made at
the first request and closed with the device.
"""

from __future__ import annotations

import aiohttp


class LazyHttp:
    def __init__(self, timeout: float) -> None:
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None

    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
