"""USSD-over-HTTP dialects, by name.

Adding a gateway format is one small class implementing ``UssdDialect``
(parse / render / render_ack / render_error, see ``generic_json.py`` for a
short one) and one line below registering a factory under its name; then
``--ussd-dialects at,json,<name>`` mounts it.
"""

from __future__ import annotations

from collections.abc import Callable

from gateways.http_input import RequestError
from gateways.ussd.dialects.africastalking import AfricasTalking
from gateways.ussd.dialects.base import UssdAnswer, UssdDialect, UssdRequest
from gateways.ussd.dialects.generic_json import GenericJson

DIALECTS: dict[str, Callable[[], UssdDialect]] = {
    "at": AfricasTalking,
    "json": GenericJson,
}


def get_dialect(name: str) -> UssdDialect:
    """A fresh instance of the dialect registered as ``name``; ValueError lists the known names."""
    factory = DIALECTS.get(name)
    if factory is None:
        raise ValueError(f"unknown USSD dialect {name!r}; known: {', '.join(sorted(DIALECTS))}")
    return factory()


__all__ = [
    "DIALECTS",
    "AfricasTalking",
    "GenericJson",
    "RequestError",
    "UssdAnswer",
    "UssdDialect",
    "UssdRequest",
    "get_dialect",
]
