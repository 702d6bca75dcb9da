"""The operation catalogue the 10086 flows are written against.

One list serves three readers: the demo backend implements exactly these, the
HTTP backend declares them by default (so flows lint the same whichever backend
runs), and the flow linter checks every ``call`` state against them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
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
