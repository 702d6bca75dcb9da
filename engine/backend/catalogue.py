"""The operation catalogue the 10086 flows are written against.

One list serves three readers: the demo backend implements exactly these, the
HTTP backend declares them by default (so flows lint the same whichever backend
runs), and the flow linter checks every ``call`` state against them.

Each operation carries the operator documents' business type (``category``) and
whether a success is *business* in the KPI's sense (something the subscriber
came to get done) or a query, counted apart: the e-channel share excludes
balance queries ("不含话费查询") and the password check on the way.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from engine.ports.backend import OperationInfo

_OPS = (
    OperationInfo("profile", category="query"),
    OperationInfo("balance", category="query"),
    OperationInfo("bill", params=("month",), category="query"),
    OperationInfo("data_usage", category="query"),
    OperationInfo("packages", category="query"),
    OperationInfo("subscriptions", category="query"),
    # Subscribing twice is harmless (the second says ``already``), so a retry is safe.
    OperationInfo("subscribe", params=("code",), paid=True, category="package", business=True),
    OperationInfo("unsubscribe", params=("code",), category="package", business=True),
    OperationInfo("topup", params=("amount", "idempotency_key"), paid=True, idempotent=False,
                  category="payment", business=True),
    OperationInfo("points", category="query"),
    OperationInfo("redeem_points", params=("item",), idempotent=False, category="points", business=True),
    # Checking the password on the way to something else is not business.
    OperationInfo("verify_password", params=("password",), secret_params=("password",), category="auth"),
    OperationInfo(
        "change_password",
        params=("old_password", "new_password"),
        idempotent=False,
        secret_params=("old_password", "new_password"),
        category="password",
        business=True,
    ),
    # A retry issues a fresh code that supersedes the first: the engine sends whichever it got.
    # Asking for the code is a step; the business is the reset that follows.
    OperationInfo("request_reset_code", secret_results=("code",), category="password"),
    OperationInfo(
        "reset_password",
        params=("code", "new_password"),
        idempotent=False,
        secret_params=("code", "new_password"),
        category="password",
        business=True,
    ),
    OperationInfo("set_language", params=("locale",), category="other"),
    OperationInfo("complaint", params=("category", "text"), idempotent=False, category="complaint",
                  business=True),
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
