"""Generic JSON: the format we publish for gateways that have no fixed dialect.

Request::

    {"session_id": "s1", "msisdn": "+8613800138000", "service_code": "*100#",
     "input": "1", "type": "begin" | "continue" | "abort", "request_id": "optional"}

Response::

    {"session_id": "s1", "message": "…", "action": "continue" | "end"}

``input`` is the newest input only. A gateway that may re-send a request sets
``request_id``: a repeat of the last one gets the same answer again.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from gateways.http_input import RequestError, check_content_type, read_text
from gateways.ussd.dialects.base import (
    MAX_INPUT,
    MAX_SERVICE_CODE,
    MAX_SESSION_ID,
    RequestKind,
    UssdAnswer,
    UssdRequest,
    msisdn_field,
    service_code_field,
    session_id_field,
    text_field,
)

_KINDS: dict[str, RequestKind] = {"begin": "begin", "continue": "input", "abort": "abort"}


class GenericJson:
    """The ``json`` dialect."""

    name = "json"

    def __init__(self, path: str = "/ussd") -> None:
        self.paths: tuple[str, ...] = (path,)

    async def parse(self, request: web.Request, country_code: str) -> UssdRequest | RequestError:
        try:
            check_content_type(request, "application/json")
            data = _load_object(await read_text(request))
            kind_name = data.get("type")
            kind = _KINDS.get(kind_name) if isinstance(kind_name, str) else None
            if kind is None:
                raise RequestError("field 'type' must be one of begin, continue, abort")
            session_id = session_id_field(data, "session_id")
            msisdn = msisdn_field(data, "msisdn", country_code)
            code = text_field(data, "service_code", required=kind == "begin", max_len=MAX_SERVICE_CODE)
            service_code = service_code_field(data, "service_code") if code else ""
            text = text_field(data, "input", required=kind == "input", max_len=MAX_INPUT)
            request_id = data.get("request_id")
            if request_id is not None:
                request_id = text_field(data, "request_id", max_len=MAX_SESSION_ID)
        except RequestError as exc:
            return exc
        return UssdRequest(
            dialect=self.name,
            session_id=session_id,
            msisdn=msisdn,
            service_code=service_code,
            kind=kind,
            text=text if kind == "input" else "",
            retry_key=request_id,
        )

    def render(self, answer: UssdAnswer) -> web.Response:
        action = "continue" if answer.more else "end"
        return web.json_response(
            {"session_id": answer.session_id, "message": answer.text, "action": action},
            dumps=_dumps,
        )

    def render_ack(self, session_id: str) -> web.Response:
        return web.json_response({"session_id": session_id, "message": "", "action": "end"}, dumps=_dumps)

    def render_error(self, error: RequestError) -> web.Response:
        return web.json_response({"error": error.message}, status=error.status, dumps=_dumps)


def _dumps(obj: Any) -> str:
    """Chinese stays readable on the wire (and shorter) instead of \\uXXXX escapes."""
    return json.dumps(
        obj,
        ensure_ascii=False,  # pragma: no mutate: ensure_ascii=None is as falsy as False
    )


def _load_object(text: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RequestError(f"body is not valid JSON (line {exc.lineno}, column {exc.colno})") from None
    except RecursionError:
        raise RequestError("body is not valid JSON (nested too deeply)") from None
    except ValueError:  # an integer past Python's 4,300-digit conversion limit
        raise RequestError("body is not valid JSON (a number is too long)") from None
    if not isinstance(data, dict):
        raise RequestError(f"body must be a JSON object, got {type(data).__name__}")
    return data
