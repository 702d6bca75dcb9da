"""The Backend port: every business operation a flow may call goes through it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

FailureKind = Literal["business", "timeout", "unavailable"]


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
