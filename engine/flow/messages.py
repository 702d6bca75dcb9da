"""Built-in texts the engine says on its own; a flow may override any of them.

Keys are stable names; ``messages:`` in a flow file replaces them per flow.
"""

from __future__ import annotations

BUILTIN: dict[str, dict[str, str]] = {
    "invalid_choice": {"zh": "输入有误，请重新选择。", "en": "Invalid choice, please try again."},
    "invalid_input": {"zh": "输入有误，请重新输入。", "en": "Invalid input, please try again."},
    "too_many_tries": {"zh": "输入错误次数过多，再见。", "en": "Too many invalid attempts. Goodbye."},
    "busy": {"zh": "系统繁忙，请稍后再试。", "en": "The system is busy, please try again later."},
    "business_error": {"zh": "业务办理失败（{{ error_code }}）。", "en": "The request failed ({{ error_code }})."},
    "cancelled": {"zh": "已取消，未做任何变更。", "en": "Cancelled. Nothing was changed."},
    "expired": {"zh": "确认已超时，业务未办理。", "en": "The confirmation expired; nothing was done."},
    "no_pending": {"zh": "您没有待确认的业务。", "en": "You have nothing pending to confirm."},
    "confirm_hint": {
        "zh": "回复{{ yes }}确认，回复{{ no }}取消，{{ minutes }}分钟内有效。",
        "en": "Reply {{ yes }} to confirm or {{ no }} to cancel within {{ minutes }} min.",
    },
    "confirm_choices": {
        "zh": "{{ yes }}. 确认\n{{ no }}. 取消",
        "en": "{{ yes }}. Confirm\n{{ no }}. Cancel",
    },
    "confirm_hint_ivr": {
        "zh": "确认请按{{ yes }}，取消请按{{ no }}。",
        "en": "To confirm press {{ yes }}, to cancel press {{ no }}.",
    },
    "unknown_command": {
        "zh": "未能识别您的指令，请回复菜单中的数字选择业务。",
        "en": "Sorry, that command is not recognised. Reply with a number from the menu.",
    },
    "no_service": {
        "zh": "未能识别您的指令或号码，请核对后重试。",
        "en": "Sorry, that command, code or number is not recognised. Please check it and try again.",
    },
    "session_expired": {"zh": "会话已结束，请重新拨打。", "en": "Your session has ended. Please dial again."},
    "transfer_elsewhere": {
        "zh": "如需人工服务，请拨打10086。",
        "en": "For an agent, please call 10086.",
    },
    "transferring": {"zh": "正在为您转接人工服务，请稍候。", "en": "Connecting you to an agent, please hold."},
    "agent_closed": {
        "zh": "人工服务时间为{{ hours }}，请稍后再拨。再见。",
        "en": "Agents are available {{ hours }}. Please call again later. Goodbye.",
    },
    "no_input": {"zh": "您没有输入。", "en": "We did not receive your input."},
    "goodbye": {"zh": "感谢使用，再见。", "en": "Thank you. Goodbye."},
    "more": {"zh": "更多", "en": "More"},
    "back": {"zh": "返回", "en": "Back"},
    "main_menu": {"zh": "主菜单", "en": "Main menu"},
    "ivr_option": {"zh": "{{ label }}请按{{ key }}", "en": "For {{ label }}, press {{ key }}"},
    "ivr_more": {"zh": "更多选项请按{{ key }}", "en": "For more options, press {{ key }}"},
    "ivr_repeat": {"zh": "重听请按{{ key }}", "en": "To repeat, press {{ key }}"},
    "ivr_agent": {"zh": "人工服务请按{{ key }}", "en": "For an agent, press {{ key }}"},
    "sms_nav": {"zh": "回复{{ key }}返回主菜单", "en": "Reply {{ key }} for the main menu"},
    "too_frequent": {"zh": "操作过于频繁，请稍后再试。", "en": "Too many attempts. Please try again later."},
    "auth_required": {
        "zh": "该业务需先验证服务密码，本次业务未办理。",
        "en": "This service needs your service password first; nothing was done.",
    },
    "agent_busy_sms": {
        "zh": "【10086】人工服务时间为{{ hours }}。自助办理：发送YE查话费、CXLL查流量、CD看菜单到10086，"
              "或拨打*100#。",
        "en": "[10086] Agents are available {{ hours }}. Self-service any time: text YE (balance), CXLL (data) or "
              "CD (menu) to 10086, or dial *100#.",
    },
    "agent_wait_sms": {
        "zh": "【10086】抱歉，坐席繁忙{% if minutes %}，您已等待{{ minutes }}分钟{% endif %}。您可随时自助办理："
              "发送YE查话费、CXLL查流量、CD看菜单到10086，或拨打*100#。",
        "en": "[10086] Sorry, our agents were busy{% if minutes %} ({{ minutes }} min wait){% endif %}. Self-service "
              "any time: text YE (balance), CXLL (data) or CD (menu) to 10086, or dial *100#.",
    },
    "agent_busy": {
        "zh": "坐席繁忙，已短信告知您自助办理方式，再见。",
        "en": "All our agents are busy. We have sent you a text with self-service options. Goodbye.",
    },
    "agent_busy_later": {
        "zh": "坐席繁忙，请稍后再拨，再见。",
        "en": "All our agents are busy. Please call again later. Goodbye.",
    },
    "survey_thanks": {"zh": "感谢您的评价！", "en": "Thank you for your feedback!"},
    # offers at touchpoints (engine/states/offer.py): one line per channel's form
    "offer_sms": {
        "zh": "回复{{ reply }}开通{{ name }}（{{ price }}元/月）。",
        "en": "Reply {{ reply }} to get {{ name }} ({{ price }} yuan/month).",
    },
    "offer_ussd": {
        "zh": "为您推荐：{{ name }}，{{ price }}元/月\n1. 立即开通\n2. 不需要",
        "en": "For you: {{ name }}, {{ price }} yuan/month\n1. Subscribe\n2. No, thanks",
    },
    "offer_ivr": {
        "zh": "为您推荐{{ name }}，每月{{ price }}元，办理请按1，不需要请按2。",
        "en": "We recommend {{ name }} at {{ price }} yuan a month. To subscribe press 1, otherwise press 2.",
    },
    "deadline": {
        "zh": "受理中，结果将以短信通知。",
        "en": "Your request is being processed; the result will be sent by SMS.",
    },
}


def builtin(key: str, locale: str) -> str:
    """A built-in text with no flow to override it (input no flow claims); plain texts only."""
    texts = BUILTIN[key]
    return texts.get(locale) or texts["zh"]
