"""What the TwiML and VoiceXML webhooks share: bounded input, a safe engine call, XML out.

Voice platforms retry or drop the call when a webhook is slow or answers with
an error, and anyone can POST to a public URL. So input is read with a size
cap and validated into a 400 with a plain reason, the engine call has a
deadline, and any failure becomes a polite goodbye document — never a 500.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import logging
import re
import xml.etree.ElementTree as ET
from urllib.parse import parse_qsl, urlencode

from aiohttp import web

from engine.types import Handler, Inbound, Reply
from gateways.ivr.options import IvrOptions

log = logging.getLogger("menuflow.ivr.http")
_DTMF_RE = re.compile(r"^[0-9*#]{0,64}$")
_ID_RE = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


class BadInput(Exception):
    """A request we refuse, with the HTTP status and a reason for the caller."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


async def read_form(request: web.Request, max_body: int) -> dict[str, str]:
    """The url-encoded form body (empty for GET), at most ``max_body`` bytes."""
    params: dict[str, str] = {}
    if request.method != "POST":
        return params
    if request.content_length is not None and request.content_length > max_body:
        raise BadInput(413, f"body larger than {max_body} bytes")
    body = await request.content.read(max_body + 1)
    if len(body) > max_body:
        raise BadInput(413, f"body larger than {max_body} bytes")
    ctype = request.content_type
    if body and ctype not in ("application/x-www-form-urlencoded", "", "application/octet-stream"):
        raise BadInput(415, "expected application/x-www-form-urlencoded")
    try:
        params.update(parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=100))
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadInput(400, "body is not a valid url-encoded form") from exc
    return params


def twilio_signature(auth_token: str, url: str, params: dict[str, str]) -> str:
    """Twilio's scheme: HMAC-SHA1 over the URL plus the sorted POST fields, base64."""
    data = url + "".join(k + params[k] for k in sorted(params))
    digest = hmac.new(auth_token.encode(), data.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def check_access(request: web.Request, form: dict[str, str], opts: IvrOptions, signed: bool) -> None:
    """Refuse callers that do not know the webhook token or Twilio's signature."""
    if opts.webhook_token and not hmac.compare_digest(
        request.query.get("token", ""), opts.webhook_token
    ):
        raise BadInput(403, "missing or wrong token")
    if signed and opts.twilio_auth_token:
        url = opts.public_url.rstrip("/") + request.path_qs if opts.public_url else str(request.url)
        expected = twilio_signature(opts.twilio_auth_token, url, form)
        if not hmac.compare_digest(request.headers.get("X-Twilio-Signature", ""), expected):
            raise BadInput(403, "invalid X-Twilio-Signature")


def require(params: dict[str, str], name: str) -> str:
    value = params.get(name, "").strip()
    if not value:
        raise BadInput(400, f"missing field {name}")
    return value


def call_id(value: str, name: str) -> str:
    """Call ids end up in URLs and scripts: only plain characters."""
    if not _ID_RE.match(value):
        raise BadInput(400, f"field {name} has unexpected characters")
    return value


def dtmf(value: str, name: str) -> str:
    digits = value.strip().replace(" ", "")
    if not _DTMF_RE.match(digits):
        raise BadInput(400, f"field {name} must be DTMF keys (0-9 * #), at most 64")
    return digits


def bad_request(exc: BadInput) -> web.Response:
    return web.Response(status=exc.status, text=exc.reason + "\n", content_type="text/plain")


async def ask(handler: Handler, inbound: Inbound, timeout: float) -> Reply | None:
    """The engine's answer, or None when it failed or was too slow (logged, one line)."""
    try:
        replies = await asyncio.wait_for(handler(inbound), timeout)
    except Exception as exc:
        log.error("IVR webhook step failed: %s", type(exc).__name__)
        return None
    return replies[0] if replies else None


async def tell_end(handler: Handler, inbound: Inbound, timeout: float) -> None:
    try:
        await asyncio.wait_for(handler(inbound), timeout)
    except Exception as exc:
        log.warning("IVR end event failed: %s", type(exc).__name__)


def route_params(request: web.Request) -> dict[str, str]:
    """Query parameters carried from one webhook URL to the next."""
    return {k: v for k, v in request.query.items() if k in ("service", "lang", "token")}


def step_url(path: str, keep: dict[str, str], step: str) -> str:
    """The URL the platform comes back to, keeping route parameters (service, lang)."""
    return f"{path}?{urlencode({**keep, 'step': step})}"


def xml_response(root: ET.Element, content_type: str) -> web.Response:
    body = '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode")
    return web.Response(text=body, content_type=content_type, charset="utf-8")


def audio_urls(reply: Reply, opts: IvrOptions) -> list[str]:
    """URLs of the reply's recorded prompts when they should replace its text."""
    if not (opts.prefer_audio and opts.audio_base_url and reply.audio):
        return []
    return [f"{opts.audio_base_url}{a}{opts.audio_ext}" for a in reply.audio]
