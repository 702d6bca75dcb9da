"""The flow language: what a product owner may write in a flow file.

These models are the single source of truth for validation and for the JSON
Schema in ``flows/schema.json`` (``menuflow schema``). Semantics that need the
whole document (unknown states, templates, reachability) live in the compiler
and the linter, which report through the same located diagnostics.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

ChannelName = Literal["sms", "ussd", "ivr"]
Locale = Literal["zh", "en"]
DEFAULT_LOCALES: tuple[Locale, ...] = ("zh", "en")
StateRef = Annotated[str, Field(min_length=1, description="Name of a state in this flow")]


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True, frozen=True)


class LocaleText(_Spec):
    zh: str | None = None
    en: str | None = None


class TextSpec(_Spec):
    """A text in each locale, with optional per-channel overrides and an IVR prompt id."""

    zh: str | None = None
    en: str | None = None
    sms: str | LocaleText | None = None
    ussd: str | LocaleText | None = None
    ivr: str | LocaleText | None = None
    audio: str | None = Field(None, description="Recorded IVR prompt id played instead of TTS")


Text = str | TextSpec


class _State(_Spec):
    note: str | None = Field(None, description="Free comment for authors; ignored")


class Option(_Spec):
    key: str | None = Field(None, description="What the subscriber sends; default: its position 1, 2, 3...")
    label: Text
    goto: StateRef
    channels: list[ChannelName] | None = Field(None, description="Show only on these channels")
    when: str | None = Field(None, description="Show only when this expression is true")


class MenuState(_State):
    """Numbered options leading to other states.

    Example::

        main:
          type: menu
          text: {zh: 欢迎使用10086, en: Welcome to 10086}
          options:
            - {label: {zh: 话费查询, en: Balance}, goto: balance}
            - {label: {zh: 人工服务, en: Agent}, goto: agent, channels: [ivr]}
    """

    type: Literal["menu"]
    text: Text
    options: list[Option] = Field(min_length=1)
    invalid: Text | None = Field(None, description="Hint shown before re-prompting after an invalid choice")
    retries: int | None = Field(None, ge=1, le=10)
    fallback: StateRef | None = Field(None, description="Where to go after too many invalid choices")


class InputState(_State):
    """Free text or digits into a session variable, with validation.

    Example::

        ask_amount:
          type: input
          text: {zh: 请输入充值金额（元）, en: Enter the amount in yuan}
          var: amount
          kind: amount
          min: 1
          max: 500
          goto: confirm_topup
    """

    type: Literal["input"]
    text: Text
    var: str = Field(pattern=r"^[a-z_][a-z0-9_]*$")
    kind: Literal["text", "digits", "phone", "amount"] = "text"
    pattern: str | None = Field(None, description="Regular expression the whole input must match")
    min_length: int | None = Field(None, ge=0)
    max_length: int | None = Field(None, ge=1)
    min: float | None = None
    max: float | None = None
    secret: bool = Field(False, description="Never echoed, logged or recorded (passwords, OTPs)")
    error: Text | None = None
    retries: int | None = Field(None, ge=1, le=10)
    fallback: StateRef | None = None
    max_digits: int | None = Field(None, ge=1, le=32, description="IVR: digits to collect")
    goto: StateRef


class CallState(_State):
    """A backend operation; branches on success, business error codes, timeout.

    Example::

        get_balance:
          type: call
          op: balance
          result: bal
          goto: show_balance
          errors: {UNKNOWN_SUBSCRIBER: not_found}
    """

    type: Literal["call"]
    op: str
    params: dict[str, str | int | float | bool] = Field(default_factory=dict)
    result: str | None = Field(None, pattern=r"^[a-z_][a-z0-9_]*$", description="Variable for the result")
    goto: StateRef
    errors: dict[str, StateRef] = Field(default_factory=dict, description="Business error code → state")
    error: StateRef | None = Field(None, description="Any other business error")
    timeout: StateRef | None = None
    unavailable: StateRef | None = None


class ConfirmState(_State):
    """Explicit yes before a paid or irreversible operation.

    Example::

        confirm_sub:
          type: confirm
          text: {zh: "确认订购{{ pkg }}？", en: "Subscribe to {{ pkg }}?"}
          goto: do_subscribe
          cancel: main
    """

    type: Literal["confirm"]
    text: Text
    goto: StateRef
    cancel: StateRef | None = Field(None, description="Where 'no' or expiry leads; default: end")
    window: int | None = Field(None, ge=10, le=86400, description="Seconds to confirm; default flow's")


class MessageState(_State):
    """Say something; continue to ``goto`` or end the session.

    Example::

        show_balance:
          type: message
          text: {zh: "您的余额为{{ bal.balance }}元", en: "Your balance is {{ bal.balance }} yuan"}
    """

    type: Literal["message", "end"]
    text: Text
    goto: StateRef | None = None


class Case(_Spec):
    when: str
    goto: StateRef


class SwitchState(_State):
    """Branch on expressions, first true case wins.

    Example::

        check_auth:
          type: switch
          cases: [{when: authenticated, goto: done}]
          default: ask_password
    """

    type: Literal["switch"]
    cases: list[Case] = Field(min_length=1)
    default: StateRef


class SubflowState(_State):
    """Run another flow (service-password check...) and come back to ``goto``.

    Example::

        need_auth:
          type: subflow
          flow: auth
          goto: packages
    """

    type: Literal["subflow"]
    flow: str
    goto: StateRef


class ReturnState(_State):
    """Back to the state that called this subflow."""

    type: Literal["return"]
    text: Text | None = None


class TransferState(_State):
    """To a human agent on IVR; elsewhere the text says how to reach one.

    Example::

        agent:
          type: transfer
          target: queue-10086
          text: {zh: 正在为您转接人工服务, en: Connecting you to an agent}
    """

    type: Literal["transfer"]
    target: str
    text: Text


class SendState(_State):
    """Push an SMS to the subscriber from any channel, then go on.

    Example::

        sms_bill:
          type: send
          text: {zh: "您本月账单{{ bill.total }}元", en: "Your bill: {{ bill.total }} yuan"}
          goto: main
    """

    type: Literal["send"]
    text: Text
    goto: StateRef | None = None


class SetState(_State):
    """Assign variables from templates; ``locale`` switches the session language.

    Example::

        to_english:
          type: set
          vars: {locale: en}
          goto: main
    """

    type: Literal["set"]
    vars: dict[str, str | int | float | bool]
    goto: StateRef


State = Annotated[
    MenuState
    | InputState
    | CallState
    | ConfirmState
    | MessageState
    | SwitchState
    | SubflowState
    | ReturnState
    | TransferState
    | SendState
    | SetState,
    Field(discriminator="type"),
]


class SmsTrigger(_Spec):
    keywords: list[str] = Field(min_length=1, description="Commands and aliases, case-insensitive")
    goto: StateRef | None = Field(None, description="Start state; default: the flow's entry")


class CodeTrigger(_Spec):
    code: str = Field(description="USSD service code (*100#) or IVR called number (10086)")
    goto: StateRef | None = None


class Triggers(_Spec):
    sms: list[SmsTrigger] = Field(default_factory=list)
    ussd: list[CodeTrigger] = Field(default_factory=list)
    ivr: list[CodeTrigger] = Field(default_factory=list)


class NavKeys(_Spec):
    main: list[str] | None = None
    back: list[str] | None = None
    repeat: list[str] | None = None
    agent: list[str] | None = None
    more: list[str] | None = Field(None, description="USSD: next page")


class Navigation(_Spec):
    sms: NavKeys | None = None
    ussd: NavKeys | None = None
    ivr: NavKeys | None = None


class ConfirmConfig(_Spec):
    yes: list[str] = Field(default_factory=lambda: ["是", "Y", "YES", "1"])
    no: list[str] = Field(default_factory=lambda: ["否", "N", "NO", "2"])
    window: int = Field(300, ge=10, le=86400)


class AgentConfig(_Spec):
    target: str = Field(description="Queue or number an IVR caller is transferred to")
    hours: str | None = Field(None, pattern=r"^\d{2}:\d{2}-\d{2}:\d{2}$", description="e.g. 08:00-22:00")


class FlowSpec(_Spec):
    """One flow file."""

    flow: str = Field(pattern=r"^[A-Za-z0-9_.-]+$", description="Flow id, unique across files")
    title: Text
    version: int = Field(ge=1)
    locale: Locale = "zh"
    locales: list[Locale] = Field(default_factory=lambda: list(DEFAULT_LOCALES))
    entry: StateRef
    triggers: Triggers = Field(default_factory=Triggers)
    navigation: Navigation = Field(default_factory=Navigation)
    confirm: ConfirmConfig = Field(default_factory=lambda: ConfirmConfig())
    agent: AgentConfig | None = None
    retries: int = Field(3, ge=1, le=10, description="Default invalid tries before a fallback")
    messages: dict[str, Text] = Field(default_factory=dict, description="Overrides of built-in texts")
    secrets: list[str] = Field(default_factory=list, description="Extra variables to treat as secret")
    states: dict[str, State] = Field(min_length=1)
