"""Idempotency keys for transactions, shared by the demo and HTTP backends.

A retried ``topup`` must not credit twice, so every non-idempotent call carries
a key. A flow may pass one explicitly (param ``idempotency_key``, or
``ctx.extra["idempotency_key"]``); otherwise it is derived from the session,
the operation and its parameters. Derivation uses an HMAC with a per-process
secret so a key never reveals the passwords it was computed from; keys only
need to be stable for the retries of one call, which live in one process.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping
from typing import Any

from engine.ports.backend import CallContext

_SECRET = secrets.token_bytes(32)


def idempotency_key(operation: str, params: Mapping[str, Any], ctx: CallContext) -> str:
    """Return the explicit key if the caller gave one, else a derived one."""
    explicit = params.get("idempotency_key") or ctx.extra.get("idempotency_key")
    if explicit:
        return str(explicit)
    blob = json.dumps(
        [ctx.msisdn, ctx.session_id, operation, dict(params)], sort_keys=True, default=str, ensure_ascii=False
    )
    return hmac.new(_SECRET, blob.encode(), hashlib.sha256).hexdigest()[:32]
