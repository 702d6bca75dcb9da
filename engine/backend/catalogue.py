"""The operation catalogue the 10086 flows are written against.

One list serves three readers: the demo backend implements exactly these, the
HTTP backend declares them by default (so flows lint the same whichever backend
runs), and the flow linter checks every ``call`` state against them.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from engine.ports.backend import OperationInfo

_OPS = (
    OperationInfo("profile"),
    OperationInfo("balance"),
    OperationInfo("bill", params=("month",)),
    OperationInfo("data_usage"),
    OperationInfo("packages"),
    OperationInfo("subscriptions"),
    # Subscribing twice is harmless (the second says ``already``), so a retry is safe.
    OperationInfo("subscribe", params=("code",), paid=True),
    OperationInfo("unsubscribe", params=("code",)),
    OperationInfo("topup", params=("amount", "idempotency_key"), paid=True, idempotent=False),
    OperationInfo("points"),
    OperationInfo("redeem_points", params=("item",), idempotent=False),
    OperationInfo("verify_password", params=("password",), secret_params=("password",)),
    OperationInfo(
        "change_password",
        params=("old_password", "new_password"),
        idempotent=False,
        secret_params=("old_password", "new_password"),
    ),
    # A retry issues a fresh code that supersedes the first: the engine sends whichever it got.
    OperationInfo("request_reset_code", secret_results=("code",)),
    OperationInfo(
        "reset_password",
        params=("code", "new_password"),
        idempotent=False,
        secret_params=("code", "new_password"),
    ),
    OperationInfo("set_language", params=("locale",)),
    OperationInfo("complaint", params=("category", "text"), idempotent=False),
    # Picks at most one offer and counts the impression: a retry can only make the weekly cap stricter.
    OperationInfo("offers", params=("touchpoint",)),
    OperationInfo("offer_reply", params=("offer", "outcome")),
)

#: Operation name → declaration, read-only.
OPERATIONS: Mapping[str, OperationInfo] = MappingProxyType({op.name: op for op in _OPS})

#: Parameters an operation may be called without.
OPTIONAL_PARAMS: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "bill": frozenset({"month"}),
        "topup": frozenset({"idempotency_key"}),
        "complaint": frozenset({"text"}),
    }
)
