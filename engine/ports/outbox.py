"""The outbox port: messages waiting for a peer (the SMSC) to accept them, retried with a delay.

Generic over the item, so the engine's adapters (``engine.store.redis_outbox``)
know nothing of SMPP; the SMS gateway keeps ``MtItem`` and the in-memory
outbox. ``next`` waits for an item that is due; ``nack`` with a negative delay
drops it.
"""

from __future__ import annotations

from typing import Protocol, TypeVar


class Item(Protocol):
    """What an outbox needs of an item: a key that names it (the SMS gateway's ``message_id/part``)."""

    @property
    def key(self) -> str: ...


T = TypeVar("T", bound=Item)


class Outbox(Protocol[T]):
    async def put(self, item: T) -> None: ...
    async def next(self) -> T: ...
    async def ack(self, item: T) -> None: ...
    async def nack(self, item: T, delay: float) -> None: ...
    def __len__(self) -> int: ...
