"""VoiceXML 2.1 webhook: GET/POST /ivr/vxml serves one document per engine step.

The platform fetches ``/ivr/vxml`` when a call arrives. VoiceXML has no
standard call id, so without a ``callid`` parameter we answer a small
bootstrap document: it reads the caller and called URIs from
``session.connection`` and submits them with a call id we generate. Every
later document carries ``callid``/``caller``/``called`` as form variables and
submits them back, so the server keeps no state:

* ``<filled>`` → ``step=input`` with ``digits``;
* ``<noinput>`` → ``step=noinput``; ``<nomatch>`` → ``step=nomatch`` (an
  ``input`` with empty text and ``meta["nomatch"]``, the engine re-prompts);
* ``connection.disconnect.hangup`` while waiting → ``step=end``;
* a transfer with a wait threshold (``connecttimeout`` = max_wait) submits its
  result field ``agent`` to ``step=agent`` → ``transfer_result`` (noanswer →
  timeout, busy, network_busy → failed, a connection error → failed, any
  ``*_disconnect`` → answered, anything else → ``end``).

Menus use an inline SRGS DTMF grammar (keys 0-9 and ``*``); number entries use
``builtin:dtmf/digits``. Route parameters: ``/ivr/vxml?service=10086&lang=en``.
"""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET

from aiohttp import web

from engine.clock import Clock
from engine.msisdn import normalise_msisdn
from engine.types import AgentOutcome, Event, Handler, Inbound, Reply, Wait
from gateways.http_input import RequestError
from gateways.ivr.options import IvrOptions, map_locale, service_from_number
from gateways.ivr.webhook import (
    VoiceWebhook,
    ask,
    audio_urls,
    call_id,
    dtmf,
    route_params,
    step_url,
    tell_end,
    xml_response,
)

VXML_NS = "http://www.w3.org/2001/vxml"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
CONTENT_TYPE = "application/voicexml+xml"
NAMES = "callid caller called"
_STEPS: dict[str, Event] = {
    "begin": "begin", "input": "input", "noinput": "noinput", "nomatch": "input", "end": "end",
    "agent": "transfer_result",
}
#: A bridged ``<transfer>``'s result in the engine's words; a ``*_disconnect`` means the call was connected.
TRANSFER_OUTCOMES: dict[str, AgentOutcome] = {
    "noanswer": "timeout", "busy": "busy", "network_busy": "failed",
    "near_end_disconnect": "answered", "far_end_disconnect": "answered", "network_disconnect": "answered",
    "maxtime_disconnect": "answered",
}
#: What the transfer's connection-error catch submits: no result, so nothing could connect.
_NO_RESULT: AgentOutcome = "failed"


def _doc(lang: str) -> tuple[ET.Element, ET.Element]:
    root = ET.Element("vxml", {"version": "2.1", "xmlns": VXML_NS, XML_LANG: lang})
    return root, ET.SubElement(root, "form", {"id": "step"})


def _vars(form: ET.Element, values: dict[str, str]) -> None:
    """Literal form variables; values are validated to plain characters first."""
    for name, value in values.items():
        ET.SubElement(form, "var", {"name": name, "expr": f"'{value}'"})


def _submit(parent: ET.Element, url: str, names: str = NAMES) -> None:
    ET.SubElement(parent, "submit", {"next": url, "method": "post", "namelist": names})


def _prompt(parent: ET.Element, reply: Reply, opts: IvrOptions, bargein: bool) -> None:
    prompt = ET.SubElement(parent, "prompt", {"bargein": "true" if bargein else "false"})
    urls = audio_urls(reply, opts)
    if urls:
        for i, url in enumerate(urls):
            audio = ET.SubElement(prompt, "audio", {"src": url})
            if i == 0:
                audio.text = reply.text  # spoken by TTS if the file cannot be fetched
    else:
        prompt.text = reply.text


def _grammar(field: ET.Element, wait: Wait) -> None:
    if wait.kind == "digits":
        src = f"builtin:dtmf/digits?minlength=1;maxlength={wait.max_digits}"
        ET.SubElement(field, "grammar", {"mode": "dtmf", "src": src})
        return
    # VoiceXML hosts the SRGS elements in its own namespace: no xmlns here.
    grammar = ET.SubElement(field, "grammar", {"mode": "dtmf", "version": "1.0", "root": "keys"})
    rule = ET.SubElement(grammar, "rule", {"id": "keys", "scope": "public"})
    item = ET.SubElement(rule, "item", {"repeat": f"1-{wait.max_digits}"})
    one_of = ET.SubElement(item, "one-of")
    for key in "0123456789*":
        ET.SubElement(one_of, "item").text = key


def _transfer(form: ET.Element, reply: Reply, ids: dict[str, str], path: str, keep: dict[str, str],
              opts: IvrOptions) -> None:
    """Say the reply, then bridge to the agents; with a wait threshold, submit how it went."""
    assert reply.transfer is not None
    max_wait = reply.transfer.max_wait
    if max_wait is not None:
        _vars(form, ids)
        _submit(ET.SubElement(form, "catch", {"event": "connection.disconnect.hangup"}), step_url(path, keep, "end"))
        _submit(ET.SubElement(form, "catch", {"event": "error.connection error.unsupported.transfer"}),
                step_url(path, keep, "agent"))
    _prompt(ET.SubElement(form, "block"), reply, opts, bargein=False)
    dest = opts.vxml_transfer.replace("{target}", reply.transfer.target)
    xfer = ET.SubElement(form, "transfer", {"name": "agent", "dest": dest, "bridge": "true",
                                           "connecttimeout": f"{max_wait or 30}s"})
    filled = ET.SubElement(xfer, "filled")
    if max_wait is None:
        ET.SubElement(filled, "disconnect")
    else:
        _submit(filled, step_url(path, keep, "agent"), NAMES + " agent")


def render_vxml(reply: Reply | None, ids: dict[str, str], path: str, keep: dict[str, str],
                opts: IvrOptions) -> ET.Element:
    """One engine reply → a VoiceXML document for the call ``ids``."""
    lang = opts.say_language(reply.locale if reply else "zh")
    root, form = _doc(lang)
    if reply is not None and reply.transfer is not None:
        _transfer(form, reply, ids, path, keep, opts)
        return root
    if reply is None or reply.wait is None:
        block = ET.SubElement(form, "block")
        if reply is not None:
            _prompt(block, reply, opts, bargein=False)
        ET.SubElement(block, "disconnect")
        return root
    wait = reply.wait
    _vars(form, ids)
    props = {"timeout": f"{wait.timeout:g}s", "interdigittimeout": f"{opts.inter_digit_timeout:g}s"}
    if wait.max_digits > 1 and wait.finish_key:
        props["termchar"] = wait.finish_key
    if wait.secret:
        props["recordutterance"] = "false"
    for name, value in props.items():
        ET.SubElement(form, "property", {"name": name, "value": value})
    catch = ET.SubElement(form, "catch", {"event": "connection.disconnect.hangup"})
    _submit(catch, step_url(path, keep, "end"))
    field = ET.SubElement(form, "field", {"name": "digits"})
    _grammar(field, wait)
    _prompt(field, reply, opts, bargein=wait.barge_in)
    _submit(ET.SubElement(field, "noinput"), step_url(path, keep, "noinput"))
    _submit(ET.SubElement(field, "nomatch"), step_url(path, keep, "nomatch"))
    _submit(ET.SubElement(field, "filled"), step_url(path, keep, "input"), NAMES + " digits")
    return root


def bootstrap(path: str, keep: dict[str, str]) -> ET.Element:
    """First document: learn caller/called from the session, mint a call id."""
    root, form = _doc("zh-CN")
    _vars(form, {"callid": uuid.uuid4().hex})
    ET.SubElement(form, "var", {"name": "caller", "expr": "session.connection.remote.uri"})
    ET.SubElement(form, "var", {"name": "called", "expr": "session.connection.local.uri"})
    _submit(ET.SubElement(form, "block"), step_url(path, keep, "begin"))
    return root


class VxmlWebhook(VoiceWebhook):
    """Stateless: every document carries the call's ids and submits them back."""

    path = "/ivr/vxml"

    def token(self) -> str:
        # VoiceXML has no request signature: without its own token the URL would be open.
        return self._opts.vxml_token or self._opts.webhook_token

    async def step(self, request: web.Request, form: dict[str, str]) -> web.Response:
        # A platform that starts the call by GET passes callid/caller/called in the query.
        params = {**request.query, **form}
        keep = route_params(request)
        step = request.query.get("step") or params.get("step") or "begin"
        if step not in _STEPS:
            raise RequestError(f"unknown step {step[:20]!r}")
        if "callid" not in params:
            return xml_response(bootstrap(request.path, keep), CONTENT_TYPE)
        cc = self._opts.country_code
        sid = call_id(params["callid"], "callid")
        if "caller" not in params:
            raise RequestError("missing field caller")
        msisdn = normalise_msisdn(params["caller"], cc) or ""  # "" for a withheld number
        called = service_from_number(params.get("called", ""), cc)
        digits = dtmf(params.get("digits", ""), "digits")
        event = _STEPS[step]
        text = digits if event == "input" else ""
        if event == "input" and not digits and step == "input":
            event = "noinput"
        if step == "agent":
            result = params.get("agent")
            outcome = _NO_RESULT if result is None else TRANSFER_OUTCOMES.get(result.strip().lower())
            event, text = ("transfer_result", outcome) if outcome is not None else ("end", "")
        inbound = Inbound(
            channel="ivr", msisdn=msisdn, text=text, event=event,
            session_key=sid, service_code=keep.get("service") or called or self._opts.default_service,
            received_at=self._clock.now(),
            locale=map_locale(keep.get("lang")), meta={"nomatch": True} if step == "nomatch" else {},
        )
        if event == "end":
            await tell_end(self._handler, inbound, self._opts.handler_timeout)
            root, body = _doc("zh-CN")
            ET.SubElement(ET.SubElement(body, "block"), "exit")
            return xml_response(root, CONTENT_TYPE)
        reply = await ask(self._handler, inbound, self._opts.handler_timeout)
        ids = {"callid": sid, "caller": msisdn, "called": called}
        return xml_response(render_vxml(reply, ids, request.path, keep, self._opts), CONTENT_TYPE)


def add_vxml_routes(
    app: web.Application, handler: Handler, opts: IvrOptions | None = None, clock: Clock | None = None
) -> None:
    """Serve GET and POST /ivr/vxml on ``app``."""
    VxmlWebhook(handler, opts or IvrOptions(), clock).mount(app)
