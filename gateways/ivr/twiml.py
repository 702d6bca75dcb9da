"""TwiML voice webhook (Twilio, SignalWire, Telnyx TeXML): POST /ivr/twiml.

The provider POSTs form fields (CallSid, From, To, Digits, CallStatus) and
runs the TwiML we return. The conversation is kept by the engine under the
CallSid; this module only maps one request to one Inbound and one reply to
one document:

* first request (no ``step``) → ``begin``;
* ``<Gather action=…?step=input>`` → ``input`` with Digits (empty → ``noinput``);
* the ``<Redirect>`` after the Gather (no key pressed) → ``noinput``;
* a status callback with CallStatus completed/busy/failed/no-answer/canceled
  → ``end``, once, only while the dialog is open;
* a transfer with a wait threshold is ``<Dial timeout="max_wait" action=…?step=agent>``:
  the action request's DialCallStatus → ``transfer_result`` (no-answer → timeout,
  busy, failed; completed/answered → answered), whose answer is said before
  ``<Hangup/>``; canceled, or the caller gone, → ``end``.

Route parameters ride in the webhook URL: ``/ivr/twiml?service=10086&lang=en``.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from collections import OrderedDict

from aiohttp import web

from engine.clock import Clock
from engine.msisdn import normalise_msisdn
from engine.types import AgentOutcome, Event, Handler, Inbound, Reply, Transfer
from gateways.http_input import check_twilio_signature
from gateways.ivr.options import IvrOptions, map_locale, service_from_number
from gateways.ivr.webhook import (
    VoiceWebhook,
    ask,
    audio_urls,
    call_id,
    dtmf,
    require,
    route_params,
    step_url,
    tell_end,
    xml_response,
)

ENDED = frozenset({"completed", "busy", "failed", "no-answer", "canceled"})
#: ``DialCallStatus`` of a Dial's action request in the engine's words (``canceled``: the caller left).
DIAL_OUTCOMES: dict[str, AgentOutcome] = {
    "completed": "answered", "answered": "answered", "no-answer": "timeout", "busy": "busy", "failed": "failed",
}
MAX_OPEN = 100_000
CONTENT_TYPE = "application/xml"


def _speech(parent: ET.Element, reply: Reply, opts: IvrOptions) -> None:
    """<Play> the recorded prompts (``prefer_audio`` with a base URL), else <Say> the text."""
    urls = audio_urls(reply, opts)
    if urls:
        for url in urls:
            ET.SubElement(parent, "Play").text = url
        return
    if reply.text.strip():
        attrs = {"language": opts.say_language(reply.locale)}
        if opts.twiml_voice:
            attrs["voice"] = opts.twiml_voice
        ET.SubElement(parent, "Say", attrs).text = reply.text


def _dial(root: ET.Element, transfer: Transfer, opts: IvrOptions, agent: str) -> None:
    """<Dial> the agents; with a wait threshold, ring at most that long and report to ``agent``."""
    dest = opts.twiml_dial.replace("{target}", transfer.target)
    attrs = {} if transfer.max_wait is None else {
        "timeout": str(transfer.max_wait), "action": agent, "method": "POST"}
    dial = ET.SubElement(root, "Dial", attrs)
    if dest.startswith("sip:"):
        ET.SubElement(dial, "Sip").text = dest
    else:
        dial.text = dest


def render_twiml(reply: Reply | None, action: str, redirect: str, opts: IvrOptions, agent: str = "") -> ET.Element:
    """One engine reply → a TwiML <Response> (``agent``: where a Dial with a wait threshold reports)."""
    root = ET.Element("Response")
    if reply is None:
        ET.SubElement(root, "Hangup")
        return root
    wait = reply.wait
    if reply.transfer is not None:
        _speech(root, reply, opts)
        _dial(root, reply.transfer, opts, agent)
        if reply.transfer.max_wait is None:  # with an action, the action's answer decides what follows
            ET.SubElement(root, "Hangup")
        return root
    if wait is None:
        _speech(root, reply, opts)
        ET.SubElement(root, "Hangup")
        return root
    if not wait.barge_in:
        _speech(root, reply, opts)
    gather = ET.SubElement(root, "Gather", {
        "input": "dtmf",
        "numDigits": str(wait.max_digits),
        "finishOnKey": wait.finish_key if wait.max_digits > 1 else "",
        "timeout": str(max(1, math.ceil(wait.timeout))),
        "action": action,
        "method": "POST",
    })
    if wait.barge_in:
        _speech(gather, reply, opts)
    ET.SubElement(root, "Redirect", {"method": "POST"}).text = redirect
    return root


class TwimlWebhook(VoiceWebhook):
    """Keeps which CallSids have an open dialog (bounded), so a status callback ends each once."""

    path = "/ivr/twiml"

    def __init__(self, handler: Handler, opts: IvrOptions, clock: Clock | None = None) -> None:
        super().__init__(handler, opts, clock)
        self._open: OrderedDict[str, None] = OrderedDict()

    def token(self) -> str:
        return self._opts.webhook_token

    def admit(self, request: web.Request, form: dict[str, str]) -> None:
        super().admit(request, form)
        check_twilio_signature(request, form, self._opts.twilio_auth_token, self._opts.public_url)

    async def step(self, request: web.Request, form: dict[str, str]) -> web.Response:
        # A provider configured for GET sends the same fields in the query.
        params = form if request.method == "POST" else dict(request.query)
        sid = call_id(require(params, "CallSid"), "CallSid")
        status = params.get("CallStatus", "").strip().lower()
        keep = route_params(request)
        service = keep.get("service") or service_from_number(
            params.get("To", ""), self._opts.country_code) or self._opts.default_service

        def inbound(event: Event, msisdn: str, text: str = "") -> Inbound:
            return Inbound(channel="ivr", msisdn=msisdn, text=text, event=event, session_key=sid,
                           service_code=service, received_at=self._clock.now(),
                           locale=map_locale(keep.get("lang")))

        step = request.query.get("step", "")
        if status in ENDED:
            # A Dial's action request after the caller left closes the engine's ticket too.
            if self._open.pop(sid, "closed") is None or step == "agent":
                msisdn = normalise_msisdn(params.get("From", ""), self._opts.country_code) or ""
                await tell_end(self._handler, inbound("end", msisdn), self._opts.handler_timeout)
            return xml_response(ET.Element("Response"), CONTENT_TYPE)
        msisdn = normalise_msisdn(require(params, "From"), self._opts.country_code) or ""  # "" = withheld
        if step == "agent":
            outcome = DIAL_OUTCOMES.get(params.get("DialCallStatus", "").strip().lower())
            if outcome is None:
                await tell_end(self._handler, inbound("end", msisdn), self._opts.handler_timeout)
                return xml_response(render_twiml(None, "", "", self._opts), CONTENT_TYPE)
            inbound_now = inbound("transfer_result", msisdn, outcome)
        else:
            digits = dtmf(params.get("Digits", ""), "Digits")
            event: Event = "begin" if step == "" else ("input" if digits else "noinput")
            inbound_now = inbound(event, msisdn, digits if event == "input" else "")
        reply = await ask(self._handler, inbound_now, self._opts.handler_timeout)
        self._track(sid, reply)
        agent = step_url(request.path, keep, "agent") if reply is not None and reply.transfer is not None else ""
        doc = render_twiml(reply, step_url(request.path, keep, "input"),
                           step_url(request.path, keep, "noinput"), self._opts, agent)
        return xml_response(doc, CONTENT_TYPE)

    def _track(self, sid: str, reply: Reply | None) -> None:
        if reply is not None and reply.wait is not None and reply.transfer is None:
            self._open[sid] = None
            self._open.move_to_end(sid)
            while len(self._open) > MAX_OPEN:
                self._open.popitem(last=False)
        else:
            self._open.pop(sid, None)


def add_twiml_routes(
    app: web.Application, handler: Handler, opts: IvrOptions | None = None, clock: Clock | None = None
) -> None:
    """Serve POST (and GET) /ivr/twiml on ``app``."""
    TwimlWebhook(handler, opts or IvrOptions(), clock).mount(app)
