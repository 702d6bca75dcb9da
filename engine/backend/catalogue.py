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
from dataclasses import replace
from types import MappingProxyType

from engine.ports.backend import OperationInfo

#: What every package-shaped result carries (a package, a subscription, a purchase).
_PACKAGE = ("code", "name_zh", "name_en", "price")
#: E-points a business earned (engine/backend/demo_points.py): how many, or why none.
_EPOINTS = ("epoints", "epoints_reason")

_OPS = (
    OperationInfo("profile", result=("name", "locale", "plan", "plan_zh", "plan_en", "balance"), category="query"),
    OperationInfo("balance", result=("balance", "currency"), category="query"),
    OperationInfo("bill", params=("month",), result=("month", "total", "items"),
                  result_items=(("items", ("name_zh", "name_en", "amount")),), category="query"),
    OperationInfo("data_usage", result=("total_mb", "used_mb", "remaining_mb", "remaining_gb"), category="query"),
    OperationInfo("packages", result=("packages", "count"),
                  result_items=(("packages", (*_PACKAGE, "subscribed")),), category="query"),
    OperationInfo("subscriptions", result=("subscriptions", "count"),
                  result_items=(("subscriptions", ("index", *_PACKAGE)),), category="query"),
    # Subscribing twice is harmless (the second says ``already``), so a retry is safe.
    OperationInfo("subscribe", params=("code",), paid=True,
                  result=(*_PACKAGE, "already", "balance", "order", "effective", *_EPOINTS),
                  category="package", business=True),
    OperationInfo("unsubscribe", params=("code",), result=(*_PACKAGE, "already", "order", *_EPOINTS),
                  category="package", business=True),
    # Moves money from the linked bank card: only after the service password.
    OperationInfo("topup", params=("amount", "idempotency_key"), paid=True, idempotent=False, auth="password",
                  result=("amount", "balance", "order", *_EPOINTS), category="payment", business=True),
    OperationInfo("points", result=("points", "epoints_month"), category="query"),
    OperationInfo("redeem_points", params=("item",), idempotent=False, auth="password",
                  result=("item", "name_zh", "name_en", "cost", "points", "order"), category="points", business=True),
    # Checking the password on the way to something else is not business.
    OperationInfo("verify_password", params=("password",), secret_params=("password",), grants="password",
                  result=(), category="auth"),
    # The old password is proved by ``verify_password`` earlier in the same session (the engine
    # passes the level in CallContext.auth): asking it again here would mean keeping it in the
    # session between two turns, which is what a stolen Redis dump must never show.
    OperationInfo(
        "change_password", params=("new_password",), idempotent=False, secret_params=("new_password",),
        auth="password", result=_EPOINTS, category="password", business=True,
    ),
    # A retry issues a fresh code that supersedes the first: the engine sends whichever it got.
    # Three per number per hour: each is an SMS to a number the requester may not own. Asking for
    # the code is a step; the business is the reset that follows.
    OperationInfo("request_reset_code", secret_results=("code",), per_hour=3, result=("code", "valid_seconds"),
                  category="password"),
    # Checked in the turn it is typed; the backend remembers that it was (the session does not).
    OperationInfo("verify_reset_code", params=("code",), idempotent=False, secret_params=("code",), result=(),
                  category="password"),
    OperationInfo(
        "reset_password", params=("new_password",), idempotent=False, secret_params=("new_password",),
        result=_EPOINTS,
        category="password", business=True,
    ),
    # The second factor for sensitive operations ("二次短信密码确认"): a code by SMS after the password.
    OperationInfo("request_otp", secret_results=("code",), auth="password", per_hour=3,
                  result=("code", "valid_seconds"), category="auth"),
    OperationInfo("verify_otp", params=("code",), idempotent=False, secret_params=("code",), auth="password",
                  grants="password+otp", result=(), category="auth"),
    OperationInfo("set_language", params=("locale",), result=("locale",), category="other"),
    OperationInfo("complaint", params=("category", "text"), idempotent=False, result=("ticket", *_EPOINTS),
                  category="complaint", business=True),
    # Picks at most one offer and counts the impression: a retry can only make the weekly cap stricter.
    OperationInfo("offers", params=("touchpoint",), result=("offer", "reason"), category="query"),
    OperationInfo("offer_reply", params=("offer", "outcome"), category="other"),
)

#: The order number, when the backend gave one (the demo always does).
_ORDER_ZH = "{% if order %}，订单号{{ order }}{% endif %}。"
_ORDER_EN = "{% if order %} Order {{ order }}.{% endif %}"
_IF_DONE, _END = "{% if not already %}", "{% endif %}"
#: SMS receipts (短信凭证) for business done on USSD or IVR; ``already`` means nothing was done.
RECEIPTS: Mapping[str, Mapping[str, str]] = {
    "subscribe": {
        "zh": _IF_DONE + "【10086】您已成功订购{{ name_zh }}，{{ price }}元/月" + _ORDER_ZH + _END,
        "en": _IF_DONE + "[10086] {{ name_en }} is active, {{ price }} yuan/month." + _ORDER_EN + _END,
    },
    "unsubscribe": {
        "zh": _IF_DONE + "【10086】您已退订{{ name_zh }}，次月生效" + _ORDER_ZH + _END,
        "en": _IF_DONE + "[10086] {{ name_en }} is cancelled from next month." + _ORDER_EN + _END,
    },
    "topup": {
        "zh": "【10086】您已成功充值{{ amount }}元，当前余额{{ balance }}元" + _ORDER_ZH,
        "en": "[10086] Top-up of {{ amount }} yuan done; balance {{ balance }} yuan." + _ORDER_EN,
    },
    "redeem_points": {
        "zh": "【10086】您已使用{{ cost }}积分兑换{{ name_zh }}，剩余{{ points }}分" + _ORDER_ZH,
        "en": "[10086] {{ cost }} points redeemed for {{ name_en }}; {{ points }} left." + _ORDER_EN,
    },
}



def _with_receipt(op: OperationInfo) -> OperationInfo:
    """Receipts are attached by name, so each declaration above stays on its own line."""
    return replace(op, receipt=RECEIPTS[op.name]) if op.name in RECEIPTS else op


#: Operation name → declaration, read-only.
OPERATIONS: Mapping[str, OperationInfo] = MappingProxyType({op.name: _with_receipt(op) for op in _OPS})

#: Parameters an operation may be called without.
OPTIONAL_PARAMS: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "bill": frozenset({"month"}),
        "topup": frozenset({"idempotency_key"}),
        "complaint": frozenset({"text"}),
    }
)
