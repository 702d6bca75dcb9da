"""The Backend port: every business operation a flow may call goes through it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

FailureKind = Literal["business", "timeout", "unavailable"]
#: How much a session has proved about its subscriber, weakest first: nothing, the service
#: password, the password and then a one-time code sent by SMS ("二次短信密码确认").
AuthLevel = Literal["none", "password", "password+otp"]
AUTH_LEVELS: tuple[AuthLevel, ...] = ("none", "password", "password+otp")
_RANK: dict[str, int] = {level: i for i, level in enumerate(AUTH_LEVELS)}


def auth_reaches(have: str, need: str) -> bool:
    """Whether level ``have`` satisfies ``need`` (an unknown level satisfies only "none")."""
    return _RANK.get(have, 0) >= _RANK.get(need, len(AUTH_LEVELS))

#: The operator documents' business types, as ``OperationInfo.category`` values. ``query`` (balance,
#: bill, usage, lists) is counted apart from business; ``auth`` and ``other`` are steps on the way.
CATEGORIES = ("query", "package", "activation", "payment", "points", "complaint", "password", "delivery",
              "agreement", "auth", "other")


class BackendFailure(Exception):
    """A typed failure a flow can branch on; never shown to a subscriber raw."""

    kind: FailureKind = "unavailable"

    def __init__(self, message: str = "", code: str = "", details: Mapping[str, Any] | None = None) -> None:
        super().__init__(message or code or self.kind)
        self.code = code
        #: Facts a flow may show (``remaining`` tries, ``until``); never secrets.
        self.details: dict[str, Any] = dict(details or {})


class BusinessError(BackendFailure):
    """The operation ran and said no (insufficient balance, wrong password...)."""

    kind: FailureKind = "business"


class BackendTimeout(BackendFailure):
    kind: FailureKind = "timeout"


class BackendUnavailable(BackendFailure):
    kind: FailureKind = "unavailable"


@dataclass(frozen=True, slots=True)
class CallContext:
    """Who is asking and through which channel; for audit and idempotency keys."""

    msisdn: str
    channel: str
    session_id: str
    locale: str = "zh"
    extra: Mapping[str, Any] = field(default_factory=dict)
    #: The level the session had reached when it made the call: a backend that trusts the
    #: engine's check (``change_password`` without the old password) reads it here.
    auth: AuthLevel = "none"


@dataclass(frozen=True, slots=True)
class OperationInfo:
    """Declares an operation so the linter can check flows against it."""

    name: str
    params: tuple[str, ...] = ()
    #: Costs the subscriber money: the linter wants a confirm state before it.
    paid: bool = False
    #: Safe to retry (queries); transactions carry idempotency keys instead.
    idempotent: bool = True
    #: Parameters that hold secrets (passwords, codes): never logged.
    secret_params: tuple[str, ...] = ()
    #: Result fields that hold secrets (an OTP to send by SMS): never logged or shown in transcripts.
    secret_results: tuple[str, ...] = ()
    #: Fields of a successful result, for the linter (``bal.balanse`` is a typo); None: not declared.
    result: tuple[str, ...] | None = None
    #: List fields of the result and the fields of their items: (("packages", ("code", "price")),).
    result_items: tuple[tuple[str, tuple[str, ...]], ...] = ()
    #: The level a session must have reached to run it; the engine refuses it otherwise, whatever
    #: the flow says, and the linter points at the path that reaches it without the check.
    auth: AuthLevel = "none"
    #: The level a success proves (``verify_password`` → "password"): the session keeps the level
    #: and the time, never the secret that proved it.
    grants: AuthLevel | None = None
    #: Calls per subscriber per hour (0 = no limit), e.g. reset codes sent by SMS to a victim.
    per_hour: int = 0
    #: The operator's business type (one of ``CATEGORIES``): the analytics and metrics group by it.
    category: str = "other"
    #: Counts as handled business when it succeeds (the e-channel share KPI). Queries never do
    #: ("不含话费查询"), nor does checking the password on the way to something else.
    business: bool = False
    #: SMS receipt (短信凭证) per locale, a template over the result (``order``: the order number), sent
    #: after the operation succeeded on USSD or IVR; a template that renders empty sends nothing.
    receipt: Mapping[str, str] = field(default_factory=dict)


@runtime_checkable
class Backend(Protocol):
    def operations(self) -> Mapping[str, OperationInfo]: ...

    async def call(self, operation: str, params: Mapping[str, Any], ctx: CallContext) -> dict[str, Any]:
        """Return the operation's data, or raise a ``BackendFailure`` subclass."""
        ...

    async def close(self) -> None: ...
