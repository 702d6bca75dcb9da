"""The shared-state port: MO redelivery marks and per-number counts every process of a deployment sees.

Adapters: ``engine.store.shared`` (one process's memory; Redis, so ``--workers``
and several hosts count together).
"""

from __future__ import annotations

from typing import Protocol


class SharedState(Protocol):
    async def first_seen(self, ident: str, ttl: float) -> bool:
        """True the first time ``ident`` is seen within ``ttl`` seconds, False for a repeat."""
        ...

    async def hit(self, name: str, window: float) -> int:
        """Count one event for ``name``; the result is the count in the current window.

        Windows are fixed: the first hit opens a window of ``window`` seconds
        and the count starts again from 1 after it closes.
        """
        ...

    async def close(self) -> None: ...
