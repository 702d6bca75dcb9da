"""The operation catalogue the 10086 flows are written against.

One list serves three readers: the demo backend implements exactly these, the
HTTP backend declares them by default (so flows lint the same whichever backend
runs), and the flow linter checks every ``call`` state against them.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from engine.ports.backend import OperationInfo

#: What every package-shaped result carries (a package, a subscription, a purchase).
_PACKAGE = ("code", "name_zh", "name_en", "price")

_OPS = (
    OperationInfo("profile", result=("name", "locale", "plan", "plan_zh", "plan_en", "balance")),
    OperationInfo("balance", result=("balance", "currency")),
    OperationInfo("bill", params=("month",), result=("month", "total", "items"),
                  result_items=(("items", ("name_zh", "name_en", "amount")),)),
    OperationInfo("data_usage", result=("total_mb", "used_mb", "remaining_mb", "remaining_gb")),
    OperationInfo("packages", result=("packages", "count"),
                  result_items=(("packages", (*_PACKAGE, "subscribed")),)),
    OperationInfo("subscriptions", result=("subscriptions", "count"),
                  result_items=(("subscriptions", ("index", *_PACKAGE)),)),
    # Subscribing twice is harmless (the second says ``already``), so a retry is safe.
    OperationInfo("subscribe", params=("code",), paid=True,
                  result=(*_PACKAGE, "already", "balance", "order", "effective")),
    OperationInfo("unsubscribe", params=("code",), result=(*_PACKAGE, "already")),
    OperationInfo("topup", params=("amount", "idempotency_key"), paid=True, idempotent=False,
                  result=("amount", "balance")),
    OperationInfo("points", result=("points",)),
    OperationInfo("redeem_points", params=("item",), idempotent=False,
                  result=("item", "name_zh", "name_en", "cost", "points")),
    OperationInfo("verify_password", params=("password",), secret_params=("password",), result=()),
    OperationInfo(
        "change_password",
        params=("old_password", "new_password"),
        idempotent=False,
        secret_params=("old_password", "new_password"),
        result=(),
    ),
    # A retry issues a fresh code that supersedes the first: the engine sends whichever it got.
    OperationInfo("request_reset_code", secret_results=("code",), result=("code", "valid_seconds")),
    OperationInfo(
        "reset_password",
        params=("code", "new_password"),
        idempotent=False,
        secret_params=("code", "new_password"),
        result=(),
    ),
    OperationInfo("set_language", params=("locale",), result=("locale",)),
    OperationInfo("complaint", params=("category", "text"), idempotent=False, result=("ticket",)),
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
