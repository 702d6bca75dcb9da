"""Africa's Talking: form POST in, ``CON …`` / ``END …`` plain text out.

Each callback carries ``sessionId, serviceCode, phoneNumber, networkCode`` and
``text``: empty when the subscriber dials, then *every* input of the session
joined by '*'. The text is passed on whole (``cumulative=True``); the gateway
strips the part it already consumed, which keeps inputs that contain '*'
intact. The optional end-of-session notification (a form with ``status``
``Success | Incomplete | Failed``) may point at the same URL or ``…/events``.
"""

from __future__ import annotations

from aiohttp import web

from gateways.http_input import RequestError, read_form
from gateways.ussd.dialects.base import (
    MAX_CUMULATIVE,
    UssdAnswer,
    UssdRequest,
    msisdn_field,
    service_code_field,
    session_id_field,
    text_field,
)

_STATUSES = ("Success", "Incomplete", "Failed")


class AfricasTalking:
    """The ``at`` dialect."""

    name = "at"

    def __init__(self, path: str = "/ussd/at") -> None:
        self.paths: tuple[str, ...] = (path, path + "/events")

    async def parse(self, request: web.Request, country_code: str) -> UssdRequest | RequestError:
        try:
            form = await read_form(request)
            phone = form.get("phoneNumber")
            if phone is not None and phone.startswith(" "):
                # An unencoded '+' (curl -d phoneNumber=+86…) arrives as a space
                # (which normalising drops with the other blanks).
                form["phoneNumber"] = "+" + phone
            session_id = session_id_field(form, "sessionId")
            msisdn = msisdn_field(form, "phoneNumber", country_code)
            network_code = text_field(
                form, "networkCode", max_len=16,
                required=False,  # pragma: no mutate: required=None is as falsy as False
            )
            meta = {"network_code": network_code}
            if "status" in form:
                return self._notification(form, session_id, msisdn, meta)
            service_code = service_code_field(form, "serviceCode")
            text = text_field(
                form, "text", max_len=MAX_CUMULATIVE,
                required=False,  # pragma: no mutate: required=None is as falsy as False
            )
        except RequestError as exc:
            return exc
        return UssdRequest(
            dialect=self.name,
            session_id=session_id,
            msisdn=msisdn,
            service_code=service_code,
            kind="input" if text else "begin",
            text=text,
            cumulative=True,
            retry_key=text,
            meta=meta,
        )

    def _notification(
        self, form: dict[str, str], session_id: str, msisdn: str, meta: dict[str, str]
    ) -> UssdRequest:
        status = form["status"]
        if status not in _STATUSES:
            raise RequestError(f"field 'status' must be one of {', '.join(_STATUSES)}")
        code = form.get("serviceCode")
        return UssdRequest(
            dialect=self.name,
            session_id=session_id,
            msisdn=msisdn,
            service_code=service_code_field(form, "serviceCode") if code else "",
            kind="abort",
            meta={**meta, "status": status},
        )

    def render(self, answer: UssdAnswer) -> web.Response:
        prefix = "CON " if answer.more else "END "
        # aiohttp's default for a text body is what AT expects: text/plain; charset=utf-8.
        return web.Response(text=prefix + answer.text)

    def render_ack(self, session_id: str) -> web.Response:
        return web.Response(text="OK")

    def render_error(self, error: RequestError) -> web.Response:
        return web.Response(status=error.status, text=error.message)
