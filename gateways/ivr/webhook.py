"""What the TwiML and VoiceXML webhooks share: admission, a safe engine call, XML out.

Voice platforms retry or drop the call when a webhook is slow or answers with
an error, and anyone can POST to a public URL. So every request goes through
``VoiceWebhook.handle``: the body is read by ``gateways.http_input`` (size cap,
refusals with a status and a plain reason), the caller must hold the
dialect's token (and, for TwiML, Twilio's signature), the engine call has a
deadline, and any engine failure becomes a polite goodbye document — never a
500. A dialect only translates fields in and documents out, as the USSD
dialects do (``gateways.ussd.dialects.base``).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import re
import xml.etree.ElementTree as ET
from abc import ABC, abstractmethod
from typing import ClassVar
from urllib.parse import urlencode

from aiohttp import web

from engine.clock import Clock, SystemClock
from engine.types import Handler, Inbound, Reply
from gateways.http_input import RequestError, check_token, plain_error, read_form
from gateways.ivr.options import IvrOptions

log = logging.getLogger("menuflow.ivr.http")
_DTMF_RE = re.compile(r"^[0-9*#]{0,64}$")
_ID_RE = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


class VoiceWebhook(ABC):
    """One voice dialect's endpoint: the shared admission rules, then the dialect's ``step``."""

    #: URL path the dialect answers on (GET and POST).
    path: ClassVar[str]

    def __init__(self, handler: Handler, opts: IvrOptions, clock: Clock | None = None) -> None:
        self._handler = handler
        self._opts = opts
        self._clock = clock or SystemClock()

    def mount(self, app: web.Application) -> None:
        app.router.add_post(self.path, self.handle)
        app.router.add_get(self.path, self.handle)

    async def handle(self, request: web.Request) -> web.Response:
        try:
            form = await read_form(request, self._opts.max_body)
            self.admit(request, form)
            return await self.step(request, form)
        except RequestError as exc:
            return plain_error(exc)

    @abstractmethod
    def token(self) -> str:
        """The shared secret callers must carry (Bearer or ``?token=``); empty: none configured."""

    def admit(self, request: web.Request, form: dict[str, str]) -> None:
        """Refuse callers without the token; a dialect whose platform signs requests checks that too."""
        check_token(request, self.token())

    @abstractmethod
    async def step(self, request: web.Request, form: dict[str, str]) -> web.Response:
        """One platform request (``form`` is its POST body, ``{}`` for GET) → one document."""


def require(params: dict[str, str], name: str) -> str:
    value = params.get(name, "").strip()
    if not value:
        raise RequestError(f"missing field {name}")
    return value


def call_id(value: str, name: str) -> str:
    """Call ids end up in URLs and scripts: only plain characters."""
    if not _ID_RE.match(value):
        raise RequestError(f"field {name} has unexpected characters")
    return value


def dtmf(value: str, name: str) -> str:
    digits = value.strip().replace(" ", "")
    if not _DTMF_RE.match(digits):
        raise RequestError(f"field {name} must be DTMF keys (0-9 * #), at most 64")
    return digits


async def ask(handler: Handler, inbound: Inbound, timeout: float) -> Reply | None:
    """The engine's answer, or None when it failed or was too slow (logged, one line)."""
    try:
        # asyncio.timeout, not wait_for: wait_for (3.11) runs the engine in a task of its own per request.
        async with asyncio.timeout(timeout):
            replies = await handler(inbound)
    except Exception as exc:
        log.error("IVR webhook step failed: %s", type(exc).__name__)
        return None
    return replies[0] if replies else None


async def tell_end(handler: Handler, inbound: Inbound, timeout: float) -> None:
    try:
        async with asyncio.timeout(timeout):
            await handler(inbound)
    except Exception as exc:
        log.warning("IVR end event failed: %s", type(exc).__name__)


def route_params(request: web.Request) -> dict[str, str]:
    """Query parameters carried from one webhook URL to the next."""
    return {k: v for k, v in request.query.items() if k in ("service", "lang", "token")}


def step_url(path: str, keep: dict[str, str], step: str) -> str:
    """The URL the platform comes back to, keeping route parameters (service, lang)."""
    return _step_url(path, tuple(keep.items()), step)


@functools.lru_cache(maxsize=1024)
def _step_url(path: str, keep: tuple[tuple[str, str], ...], step: str) -> str:
    # Cached: the same few URLs are built twice per TwiML answer, and urlencode was
    # ~6 % of a 'serve' process's profile under wrk; the route parameters repeat.
    return f"{path}?{urlencode((*keep, ('step', step)))}"


def xml_response(root: ET.Element, content_type: str) -> web.Response:
    body = '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode")
    return web.Response(text=body, content_type=content_type, charset="utf-8")


def audio_urls(reply: Reply, opts: IvrOptions) -> list[str]:
    """URLs of the reply's recorded prompts when they should replace its text."""
    if not (opts.prefer_audio and opts.audio_base_url and reply.audio):
        return []
    return [f"{opts.audio_base_url}{a}{opts.audio_ext}" for a in reply.audio]
