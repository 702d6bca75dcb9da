"""What the gateway remembers per USSD session between two webhook calls, and the port that keeps it.

Two facts need memory: for cumulative dialects, the text already fed to the
engine (so only the newest input goes in); and the last answer, so a gateway
retry gets the same screen again instead of a second engine step. The store is
a port (get / set / delete with a TTL): ``progress_memory`` for one process,
``progress_redis`` for scale-out.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class SessionProgress:
    """The gateway's record of one USSD session (the engine keeps its own)."""

    msisdn: str
    service_code: str
    #: Fingerprint (``cumulative.fingerprint``) of the cumulative text consumed so far (Africa's
    #: Talking); "" for other dialects. Never the text: it holds every digit typed, passwords too.
    consumed: str
    #: Fingerprint of the ``retry_key`` of the request the cached answer belongs to.
    retry_key: str | None
    #: The last answer, repeated verbatim on a retry.
    text: str
    more: bool
    #: Locale of the last engine reply: the gateway's own texts follow it.
    locale: str

    def dumps(self) -> bytes:
        # Spelled out: ``dataclasses.asdict`` deep-copies every field, a tenth of a Redis-backed request.
        fields = {
            "msisdn": self.msisdn,
            "service_code": self.service_code,
            "consumed": self.consumed,
            "retry_key": self.retry_key,
            "text": self.text,
            "more": self.more,
            "locale": self.locale,
        }
        return json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode()

    @classmethod
    def loads(cls, blob: bytes) -> SessionProgress:
        return cls(**json.loads(blob))


class ProgressStore(Protocol):
    async def get(self, key: str) -> SessionProgress | None:
        """The record for ``key``, or None when absent or expired."""
        ...

    async def set(self, key: str, value: SessionProgress, ttl: float) -> None:
        """Save ``value``; it expires ``ttl`` seconds after now."""
        ...

    async def delete(self, key: str) -> None: ...
