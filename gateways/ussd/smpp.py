"""USSD over SMPP: a USSDC's deliver_sm/submit_sm dialog turned into engine turns.

A USSD gateway that speaks SMPP opens a dialog with a deliver_sm carrying
``ussd_service_op`` = PSSR indication and the dialled code; we answer each
screen with a submit_sm (USSR request to wait for input, PSSR response to
end); the subscriber's answers come back as USSR confirm. Vendors differ in
where the dialog id sits and which op codes they use, so all of that comes
from ``UssdSmppOptions``. The engine is called through the same reply-budget
runner as USSD over HTTP: a slow step ends the dialog with "processing" and
the result follows by SMS.

The gateway works on a dedicated bind (``start`` creates an ``Esme``) or on
the SMS bind: then the SMS gateway hands it each USSD deliver_sm through
``on_message`` and ``attach`` gives it that bind's ``submit``.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections import Counter, OrderedDict
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass
from typing import Any

from engine.clock import Clock, SystemClock
from engine.flow.channels import fits_ussd_page
from engine.msisdn import normalise_msisdn
from engine.types import Event, Handler, Inbound, PushSink
from gateways.sms.codec import CodecError, decode_text, encode_single
from gateways.sms.esme import Esme
from gateways.sms.link import Link, LinkClosed
from gateways.sms.pdu import Pdu
from gateways.ussd.deadline import DeadlineRunner
from gateways.ussd.smpp_options import UssdSmppOptions
from gateways.ussd.texts import TextId, gateway_text

log = logging.getLogger("menuflow.ussd.smpp")

Submit = Callable[[dict[str, object]], Awaitable[Pdu]]
_USSD_CODE = re.compile(r"[*#][*#0-9]*#")
#: USSD data coding 0x0F: GSM-7, language unspecified (3GPP TS 23.038 §5).
_USSD_DCS_GSM7 = 0x0F


@dataclass(slots=True)
class _Dialog:
    """What we must echo in every submit_sm of one dialog, and its locale."""

    msisdn: str
    service_code: str
    address: dict[str, object]
    its_session_info: int | None
    user_message_reference: int | None
    locale: str
    updated: float


class UssdSmppGateway:
    """Runs USSD dialogs from SMPP PDUs through the engine ``handler``."""

    def __init__(
        self,
        handler: Handler,
        push: PushSink,
        options: UssdSmppOptions,
        *,
        clock: Clock | None = None,
        locale: str = "zh",
    ) -> None:
        self.options = options
        self._handler = handler
        self._runner = DeadlineRunner(handler, push, options.budget)
        self._clock = clock or SystemClock()
        self._locale = locale
        self._submit: Submit | None = None
        self.esme: Esme | None = None
        self._dialogs: OrderedDict[str, _Dialog] = OrderedDict()
        self._tasks: set[asyncio.Task[None]] = set()
        #: begin / input / end / other / expired / undecodable / submit_failed / not_ussd.
        self.stats: Counter[str] = Counter()

    def attach(self, submit: Submit) -> None:
        """Send replies through ``submit`` (the SMS bind's, with ``same_bind``)."""
        self._submit = submit

    async def start(self) -> None:
        """With a dedicated bind configured, connect and keep it bound."""
        if self.options.host is None:
            return
        self.esme = Esme(self.options.bind_options(), self.on_message)
        self.attach(self.esme.submit)
        await self.esme.start()

    async def close(self) -> None:
        """Finish dialogs in flight (and their SMS follow-ups), then unbind."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=self.options.budget + 2)
        await self._runner.drain()
        if self.esme is not None:
            await self.esme.close()

    @property
    def dialogs(self) -> int:
        return len(self._dialogs)

    def on_message(self, link: Link, pdu: Pdu) -> None:
        """Answer a deliver_sm / data_sm at once, then work on it in the background."""
        link.respond(pdu)
        if pdu.get("ussd_service_op") is None:
            # A receipt or SMS on a USSD-only bind: acknowledged so it is not re-sent.
            self.stats["not_ussd"] += 1
            log.info("ignoring %s without ussd_service_op from %s", pdu.command, pdu.get("source_addr"))
            return
        self._spawn(self.handle(pdu.fields))

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def handle(self, fields: Mapping[str, Any]) -> None:
        """One USSD deliver_sm (already acknowledged): open, continue or close a dialog.

        This is also the ``ussd_handler`` the SMS service calls with ``same_bind``.
        """
        self._expire()
        o = self.options
        op = int(fields["ussd_service_op"])
        raw_from = str(fields.get("source_addr", ""))
        msisdn = normalise_msisdn(raw_from, o.country_code) or raw_from
        key = f"{msisdn}/{self._dialog_id(fields)}"
        its = fields.get("its_session_info")
        if op in o.op_release or (isinstance(its, int) and its & 1):
            await self._released(key, op)
        elif op == o.op_begin:
            await self._begin(key, msisdn, fields)
        elif key in self._dialogs:
            if op != o.op_input:
                self.stats["other"] += 1
                log.warning("ussd_service_op %d inside dialog %s taken as input", op, key)
            await self._input(key, self._dialogs[key], fields)
        else:
            self.stats["expired"] += 1
            log.info("ussd_service_op %d for unknown dialog %s: answering 'expired'", op, key)
            dialog = self._new_dialog(msisdn, "", fields)
            await self._send(dialog, gateway_text("expired", dialog.locale), end=True)

    def _dialog_id(self, fields: Mapping[str, Any]) -> str:
        source = self.options.session_id
        if source == "msisdn":
            return ""
        tlv = "user_message_reference" if source == "user_message_reference" else "its_session_info"
        value = fields.get(tlv)
        if not isinstance(value, int):
            log.warning("deliver_sm without %s: one dialog per subscriber", source)
            return ""
        if source == "its_session_info":
            return str(value >> 8)  # octet 1; octet 2 is a sequence number and the end bit
        if source == "its_session_info_15bit":
            return str(value >> 1)
        return str(value)

    def _new_dialog(self, msisdn: str, code: str, fields: Mapping[str, Any]) -> _Dialog:
        address: dict[str, object] = {
            "source_addr": fields.get("destination_addr", ""),
            "source_addr_ton": fields.get("dest_addr_ton", 0),
            "source_addr_npi": fields.get("dest_addr_npi", 0),
            "destination_addr": fields.get("source_addr", ""),
            "dest_addr_ton": fields.get("source_addr_ton", 0),
            "dest_addr_npi": fields.get("source_addr_npi", 0),
        }
        its, umr = fields.get("its_session_info"), fields.get("user_message_reference")
        return _Dialog(msisdn, code, address, its if isinstance(its, int) else None,
                       umr if isinstance(umr, int) else None, self._locale, self._clock.now())

    async def _begin(self, key: str, msisdn: str, fields: Mapping[str, Any]) -> None:
        self.stats["begin"] += 1
        dialog = self._new_dialog(msisdn, self._service_code(fields), fields)
        self._dialogs[key] = dialog
        self._dialogs.move_to_end(key)
        await self._turn(key, dialog, self._inbound(key, dialog, "begin", ""))

    async def _input(self, key: str, dialog: _Dialog, fields: Mapping[str, Any]) -> None:
        self.stats["input"] += 1
        its, umr = fields.get("its_session_info"), fields.get("user_message_reference")
        dialog.its_session_info = its if isinstance(its, int) else dialog.its_session_info
        dialog.user_message_reference = umr if isinstance(umr, int) else dialog.user_message_reference
        dialog.updated = self._clock.now()
        self._dialogs.move_to_end(key)
        try:
            text = _decode(fields)
        except CodecError as exc:
            self.stats["undecodable"] += 1
            log.warning("undecodable USSD input in dialog %s: %s", key, exc)
            await self._finish(key, dialog, "unavailable")
            return
        await self._turn(key, dialog, self._inbound(key, dialog, "input", text.strip()))

    async def _turn(self, key: str, dialog: _Dialog, inbound: Inbound) -> None:
        outcome = await self._runner.run(inbound, dialog.locale)
        if outcome.reply is None:
            await self._finish(key, dialog, "processing" if outcome.kind == "late" else "unavailable")
            return
        dialog.locale = outcome.reply.locale
        if outcome.reply.end:
            self._dialogs.pop(key, None)
        await self._send(dialog, outcome.reply.text, end=outcome.reply.end)

    async def _finish(self, key: str, dialog: _Dialog, text_id: TextId) -> None:
        self._dialogs.pop(key, None)
        await self._send(dialog, gateway_text(text_id, dialog.locale), end=True)

    async def _released(self, key: str, op: int) -> None:
        """The subscriber pressed cancel or the network gave up: no screen to send."""
        self.stats["end"] += 1
        dialog = self._dialogs.pop(key, None)
        if dialog is None:
            log.info("release (op %d) for unknown dialog %s", op, key)
            return
        try:
            await asyncio.wait_for(self._handler(self._inbound(key, dialog, "end", "")), self.options.budget)
        except Exception as exc:
            log.error("engine failed closing ussd dialog %s: %s", key, type(exc).__name__)

    def _inbound(self, key: str, dialog: _Dialog, event: Event, text: str) -> Inbound:
        return Inbound(
            channel="ussd", msisdn=dialog.msisdn, text=text, event=event, session_key=f"smpp:{key}",
            service_code=dialog.service_code, received_at=self._clock.now(), meta={"transport": "smpp"},
        )

    def _service_code(self, fields: Mapping[str, Any]) -> str:
        first = self.options.code_field
        second = "destination_addr" if first == "short_message" else "short_message"
        values = [_as_text(fields, first), _as_text(fields, second)]
        for value in values:
            if _USSD_CODE.fullmatch(value):
                return value
        return next((v for v in values if v), "")

    async def _send(self, dialog: _Dialog, text: str, *, end: bool) -> None:
        if self._submit is None:
            raise RuntimeError("UssdSmppGateway has no bind: call start() or attach()")
        o = self.options
        body, dc = encode_single(_fit_page(text))
        fields: dict[str, object] = {
            **dialog.address,
            "service_type": o.service_type,
            "esm_class": 0,
            "registered_delivery": 0,
            "data_coding": o.gsm7_data_coding if dc == 0 else dc,
            "short_message": body,
            "ussd_service_op": o.op_end if end else o.op_continue,
        }
        if dialog.its_session_info is not None:
            its = dialog.its_session_info & ~1
            fields["its_session_info"] = its | 1 if end and o.end_bit else its
        if dialog.user_message_reference is not None:
            fields["user_message_reference"] = dialog.user_message_reference
        try:
            resp = await self._submit(fields)
        except (LinkClosed, TimeoutError, ConnectionError) as exc:
            self.stats["submit_failed"] += 1
            log.error("USSD screen to %s not sent: %s", dialog.msisdn, type(exc).__name__)
            return
        if resp.status != 0 or resp.command != "submit_sm_resp":
            self.stats["submit_failed"] += 1
            log.error("USSD screen to %s refused: %s status 0x%02x", dialog.msisdn, resp.command, resp.status)

    def _expire(self) -> None:
        cutoff = self._clock.now() - self.options.session_timeout
        while self._dialogs:
            key, dialog = next(iter(self._dialogs.items()))
            if dialog.updated > cutoff:
                break
            del self._dialogs[key]


def _as_text(fields: Mapping[str, Any], name: str) -> str:
    value = fields.get(name, "")
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    return str(value).strip()


def _decode(fields: Mapping[str, Any]) -> str:
    """The subscriber's text: short_message, or message_payload when that is used."""
    data = fields.get("short_message") or fields.get("message_payload") or b""
    if isinstance(data, str):
        data = data.encode("latin-1")
    dc = int(fields.get("data_coding", 0))
    return decode_text(data, 0 if dc == _USSD_DCS_GSM7 else dc)


def _fit_page(text: str) -> str:
    """The engine paginates; this only guards the wire limit if a screen is too long."""
    if fits_ussd_page(text):
        return text
    log.warning("USSD screen of %d characters cut to one page", len(text))
    while text and not fits_ussd_page(text + "..."):
        text = text[:-1]
    return text + "..."
