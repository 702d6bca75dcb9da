"""The few things the USSD gateway itself says, in Chinese and English.

Everything else is rendered by the engine; these cover the moments the engine
cannot answer in time, failed, or the session is already gone.
"""

from __future__ import annotations

from typing import Literal

TextId = Literal["processing", "unavailable", "expired"]

_TEXTS: dict[str, dict[TextId, str]] = {
    "zh": {
        "processing": "受理中，结果将以短信通知",
        "unavailable": "服务暂时不可用，请稍后再试",
        "expired": "会话已结束，请重新拨号",
    },
    "en": {
        "processing": "Your request is being processed; the result will be sent by SMS.",
        "unavailable": "The service is temporarily unavailable; please try again later.",
        "expired": "This session has ended; please dial again.",
    },
}


def gateway_text(text_id: TextId, locale: str) -> str:
    """``text_id`` in ``locale`` ("en-GB" → "en"); Chinese when the language is unknown."""
    lang = locale.split("-", 1)[0].split("_", 1)[0].lower()
    return _TEXTS.get(lang, _TEXTS["zh"])[text_id]
