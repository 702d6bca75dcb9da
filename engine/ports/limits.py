"""The rate-limiter port: per-number counts in fixed windows, read without adding when asked.

Adapters: ``engine.store.limits`` (memory; Redis shared by every process). Kept
apart from ``SharedState`` because a limiter must read a count without adding to it.
"""

from __future__ import annotations

from typing import Protocol


class RateLimiter(Protocol):
    async def allow(self, name: str, limit: int, window: float) -> bool:
        """Count one event for ``name``; True while the window's count is at most ``limit``."""
        ...

    async def used(self, name: str, window: float) -> int:
        """Events counted for ``name`` in its current window, without adding one."""
        ...

    async def close(self) -> None: ...
