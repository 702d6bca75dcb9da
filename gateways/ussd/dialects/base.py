"""What every USSD-over-HTTP dialect shares: the decoded request, the answer, validation.

A dialect only translates: bytes of one gateway's webhook into a ``UssdRequest``
and a ``UssdAnswer`` back into that gateway's response. Session bookkeeping
(newest input, retries, deadlines) lives in ``gateways.ussd.http`` so a new
dialect is one small class and cannot get those rules subtly wrong.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from aiohttp import web

from engine.msisdn import normalise_msisdn
from gateways.http_input import RequestError

RequestKind = Literal["begin", "input", "abort"]

MAX_SESSION_ID = 128
MAX_SERVICE_CODE = 32
#: One USSD screen is at most 182 characters, so one input is shorter still.
MAX_INPUT = 182
#: A cumulative text (Africa's Talking) grows by one input per step.
MAX_CUMULATIVE = 2048

_SERVICE_CODE = re.compile(r"[*#0-9]{1,32}")
#: C0 controls except CR and LF (a multi-line message is fine, a NUL is not).
_CONTROL = re.compile(r"[\x00-\x09\x0b\x0c\x0e-\x1f\x7f]")
#: A lone UTF-16 surrogate (JSON's "\ud800") is no character: nothing downstream can encode it.
_SURROGATE = re.compile(r"[\ud800-\udfff]")


@dataclass(frozen=True, slots=True)
class UssdRequest:
    """One webhook call, decoded but not yet interpreted against the session."""

    dialect: str
    session_id: str
    msisdn: str
    service_code: str
    kind: RequestKind
    #: The newest input, or for ``cumulative`` dialects everything typed so far.
    text: str = ""
    #: True when ``text`` holds all inputs joined by '*' (Africa's Talking).
    cumulative: bool = False
    #: Equal keys on one session mean "the gateway re-sent this request": the
    #: cached answer is repeated instead of feeding the input twice.
    retry_key: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class UssdAnswer:
    """What the subscriber sees and whether the session stays open."""

    session_id: str
    text: str
    more: bool


class UssdDialect(Protocol):
    """One gateway's wire format. Register an instance in ``gateways.ussd.dialects``."""

    #: Short name used in metrics labels and ``--ussd-dialects``.
    name: str
    #: URL paths (POST) this dialect answers on.
    paths: tuple[str, ...]

    async def parse(self, request: web.Request, country_code: str) -> UssdRequest | RequestError: ...

    def render(self, answer: UssdAnswer) -> web.Response: ...

    def render_ack(self, session_id: str) -> web.Response:
        """The answer to an abort / end-of-session notification."""
        ...

    def render_error(self, error: RequestError) -> web.Response: ...


def text_field(
    data: dict[str, Any], name: str, *, required: bool = True, max_len: int, default: str = ""
) -> str:
    """``data[name]`` as a string of at most ``max_len`` characters, or a RequestError saying why not."""
    value = data.get(name)
    if value is None:
        if required:
            raise RequestError(f"missing field '{name}'")
        return default
    if not isinstance(value, str):
        raise RequestError(f"field '{name}' must be a string, got {type(value).__name__}")
    if len(value) > max_len:
        raise RequestError(f"field '{name}' is too long ({len(value)} characters, at most {max_len})")
    if _CONTROL.search(value):
        raise RequestError(f"field '{name}' contains control characters")
    if _SURROGATE.search(value):
        raise RequestError(f"field '{name}' is not valid Unicode (a lone surrogate)")
    return value


def session_id_field(data: dict[str, Any], name: str) -> str:
    value = text_field(data, name, max_len=MAX_SESSION_ID).strip()
    if not value:
        raise RequestError(f"field '{name}' must not be empty")
    return value


def service_code_field(data: dict[str, Any], name: str) -> str:
    value = text_field(data, name, max_len=MAX_SERVICE_CODE).strip()
    if not _SERVICE_CODE.fullmatch(value):
        raise RequestError(f"field '{name}' must be a USSD code of digits, '*' and '#' (e.g. *100#)")
    return value


def msisdn_field(data: dict[str, Any], name: str, country_code: str) -> str:
    value = text_field(data, name, max_len=32)
    msisdn = normalise_msisdn(value, country_code)
    if msisdn is None:
        raise RequestError(
            f"field '{name}' must be a phone number (E.164 like +8613800138000, or national digits)"
        )
    return msisdn


