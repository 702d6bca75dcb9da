"""How every webhook (USSD dialects, TwiML, VoiceXML) reads its request and decides who may send it.

A public webhook URL gets garbage, oversized bodies and strangers. aiohttp's
``request.post()`` guesses instead of refusing (an empty form for an unknown
content type, replacement characters for bad UTF-8), and
``request.content.read(n)`` returns only what the first TCP segment brought.
Every channel reads its body here instead, in full, and refuses with a status
and a plain reason: 413 past the size limit, 415 for a content type or
charset we would have to guess about, 400 for bad UTF-8, a field given twice
or too many fields, 401 without the shared token, 403 with a bad signature.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import ipaddress
from urllib.parse import unquote

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

FORM = "application/x-www-form-urlencoded"
#: A Twilio callback has about 30 fields, a USSD one 5: room, but not for a hash-flooding body.
MAX_FORM_FIELDS = 64


class RequestError(Exception):
    """A request we refuse: the HTTP status and a reason that names the field and what we expected."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def check_content_type(request: web.Request, expected: str, *, allow_missing: bool = False) -> None:
    """Refuse a body we would have to guess about (415 names what we expected)."""
    ctype = request.content_type
    # aiohttp reports a missing header as application/octet-stream.
    missing = "Content-Type" not in request.headers  # pragma: no mutate (header names are case-insensitive)
    if not (ctype == expected or (allow_missing and missing)):
        raise RequestError(f"Content-Type must be {expected}, got {ctype!r}", status=415)
    charset = request.charset  # reported as the client sent it
    if charset is not None and charset.lower() not in ("utf-8", "utf8", "us-ascii", "ascii"):
        raise RequestError(f"charset must be utf-8, got {charset!r}", status=415)


async def read_body(request: web.Request, max_body: int | None = None) -> bytes:
    """The whole body, however many TCP pieces it came in; 413 past ``max_body``
    (at most the app's ``client_max_size``) before buffering more than that."""
    limit = request.client_max_size if max_body is None else min(max_body, request.client_max_size)
    if request.content_length is not None and request.content_length > limit:
        raise RequestError(f"request body larger than {limit} bytes", status=413)
    chunks: list[bytes] = []
    size = 0
    while chunk := await request.content.readany():
        size += len(chunk)
        if size > limit:
            raise RequestError(f"request body larger than {limit} bytes", status=413)
        chunks.append(chunk)
    return b"".join(chunks)


async def read_text(request: web.Request, max_body: int | None = None) -> str:
    """The body as UTF-8 text (``decode``'s default, strict): bad bytes are refused, not replaced."""
    body = await read_body(request, max_body)
    try:
        return body.decode()
    except UnicodeDecodeError:
        raise RequestError("request body is not valid UTF-8") from None


async def read_form(request: web.Request, max_body: int | None = None) -> dict[str, str]:
    """An urlencoded form as a dict; a field given twice is refused rather than guessed."""
    check_content_type(request, FORM, allow_missing=True)
    return parse_form(await read_text(request, max_body))


def parse_form(text: str) -> dict[str, str]:
    """``parse_qsl``'s decoding, strict UTF-8, at most ``MAX_FORM_FIELDS``, no field twice.

    Written out because ``parse_qsl`` was a fifth of a USSD request's CPU in
    serve's profile: it percent-decodes every name and value through
    ``unquote`` even when there is nothing to decode. Here a part without
    ``%`` or ``+`` (names always, many USSD values) is taken as is, and a part
    that needs decoding (``%2A100%23``, ``%2B86…``, ``1%2A1``) is decoded once
    and then found in a bounded cache: an Africa's Talking form costs ~2 us
    instead of ~14 us (the profile's form share went from ~5 % to ~2 %).
    """
    form: dict[str, str] = {}
    if not text:
        return form
    parts = text.split("&")
    if len(parts) > MAX_FORM_FIELDS:
        raise RequestError(f"too many form fields (at most {MAX_FORM_FIELDS})")
    for part in parts:
        if not part:
            continue
        name, _, value = part.partition("=")
        if "%" in name or "+" in name:
            name = _decode(name)
        if "%" in value or "+" in value:
            value = _decode(value)
        if name in form:
            raise RequestError(f"field '{name}' given more than once")
        form[name] = value
    return form


@functools.lru_cache(maxsize=4096)
def _decode(part: str) -> str:
    """Percent-decode one part; cached, since service codes, numbers and menu choices repeat."""
    try:
        return unquote(part.replace("+", " "), encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        raise RequestError("form field is not valid UTF-8 after percent-decoding") from None


def plain_error(error: RequestError) -> web.Response:
    """The refusal as text/plain (aiohttp's type and charset for ``text``: ``text/plain; charset=utf-8``),
    for callers (voice platforms, operators' logs) that show it as is."""
    return web.Response(status=error.status, text=error.message + "\n")


# -- who may call ------------------------------------------------------------------


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a name or an address) is this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


#: Headers a reverse proxy adds: a request carrying one came from elsewhere, whatever its socket says.
PROXY_HEADERS = ("Forwarded", "X-Forwarded-For", "X-Real-IP", "X-Forwarded-Host", "X-Forwarded-Proto", "Via")


def direct_loopback(request: web.Request) -> bool:
    """The caller is on this host and not relayed: a reverse proxy on the same host connects from
    loopback too, so a request with proxy headers is not trusted as local."""
    remote = request.remote or ""  # pragma: no mutate (no peer: any non-address is not loopback)
    return is_loopback(remote) and not any(h in request.headers for h in PROXY_HEADERS)


def has_token(request: web.Request, token: str, *, in_query: bool = True) -> bool:
    """Whether the request carries ``token`` as ``Authorization: Bearer`` or (``in_query``) ``?token=``.

    Gateways that can only be given a callback URL (Africa's Talking, most
    VoiceXML platforms) cannot set headers, so the query form is accepted for
    webhooks; the admin endpoint, whose URL may end up in shell history, asks
    for the header only.
    """
    auth = request.headers.get("Authorization", "")  # pragma: no mutate (header case; no "Bearer " default)
    if auth.startswith("Bearer "):
        given = auth[7:]
    elif in_query and "token" in request.query:
        given = request.query["token"]
    else:
        return False
    return hmac.compare_digest(given.encode(), token.encode())


def check_token(request: web.Request, token: str) -> None:
    """401 unless the request carries ``token``; an empty ``token`` means no token is configured."""
    if token and not has_token(request, token):
        raise RequestError("missing or wrong token", status=401)


def token_guard(prefix: str, token: str) -> Middleware:
    """Middleware: requests under ``prefix`` must carry ``token`` (USSD dialects have no hook of their own)."""

    @web.middleware
    async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path.startswith(prefix):
            try:
                check_token(request, token)
            except RequestError as exc:
                return web.Response(status=exc.status, text=exc.message, content_type="text/plain")
        return await handler(request)

    return guard


def twilio_signature(auth_token: str, url: str, params: dict[str, str]) -> str:
    """Twilio's scheme: HMAC-SHA1 over the URL plus the sorted POST fields, base64."""
    data = url + "".join(k + params[k] for k in sorted(params))
    digest = hmac.new(auth_token.encode(), data.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def check_twilio_signature(request: web.Request, form: dict[str, str], auth_token: str, public_url: str = "") -> None:
    """403 unless ``X-Twilio-Signature`` signs this URL and form with ``auth_token`` (empty: not checked).

    Behind a reverse proxy the URL Twilio signed is the public one, not the
    one we see: ``public_url`` replaces our scheme and host.
    """
    if not auth_token:
        return
    url = public_url.rstrip("/") + request.path_qs if public_url else str(request.url)
    expected = twilio_signature(auth_token, url, form)
    given = request.headers.get("X-Twilio-Signature", "")  # pragma: no mutate (header case; never signs)
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise RequestError("invalid X-Twilio-Signature", status=403)
