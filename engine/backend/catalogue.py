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
    # Moves money from the linked bank card: only after the service password.
    OperationInfo("topup", params=("amount", "idempotency_key"), paid=True, idempotent=False, auth="password"),
    OperationInfo("points"),
    OperationInfo("redeem_points", params=("item",), idempotent=False, auth="password"),
    OperationInfo("verify_password", params=("password",), secret_params=("password",), grants="password"),
    # The old password is proved by ``verify_password`` earlier in the same session (the engine
    # passes the level in CallContext.auth): asking it again here would mean keeping it in the
    # session between two turns, which is what a stolen Redis dump must never show.
    OperationInfo(
        "change_password", params=("new_password",), idempotent=False, secret_params=("new_password",),
        auth="password",
    ),
    # A retry issues a fresh code that supersedes the first: the engine sends whichever it got.
    # Three per number per hour: each is an SMS to a number the requester may not own.
    OperationInfo("request_reset_code", secret_results=("code",), per_hour=3),
    # Checked in the turn it is typed; the backend remembers that it was (the session does not).
    OperationInfo("verify_reset_code", params=("code",), idempotent=False, secret_params=("code",)),
    OperationInfo(
        "reset_password", params=("new_password",), idempotent=False, secret_params=("new_password",),
    ),
    # The second factor for sensitive operations ("二次短信密码确认"): a code by SMS after the password.
    OperationInfo("request_otp", secret_results=("code",), auth="password", per_hour=3),
    OperationInfo("verify_otp", params=("code",), idempotent=False, secret_params=("code",), auth="password",
                  grants="password+otp"),
    OperationInfo("set_language", params=("locale",)),
    OperationInfo("complaint", params=("category", "text"), idempotent=False),
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
