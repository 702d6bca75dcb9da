"""Reading a webhook body defensively: size, content type, UTF-8, form fields.

aiohttp's ``request.post()`` silently returns an empty form for an unexpected
content type and replaces undecodable percent-escapes; a USSD gateway needs
the opposite (say exactly what was wrong, with a 4xx), so we parse ourselves.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from aiohttp import hdrs, web

from gateways.ussd.dialects.base import RequestError

FORM = "application/x-www-form-urlencoded"
MAX_FORM_FIELDS = 64


def check_content_type(request: web.Request, expected: str, *, allow_missing: bool = False) -> None:
    """Refuse a body we would have to guess about (415 names what we expected)."""
    ctype = request.content_type
    # aiohttp reports a missing header as application/octet-stream.
    missing = hdrs.CONTENT_TYPE not in request.headers
    if not (ctype == expected or (allow_missing and missing)):
        raise RequestError(f"Content-Type must be {expected}, got {ctype!r}", status=415)
    charset = request.charset
    if charset is not None and charset.lower() not in ("utf-8", "utf8", "us-ascii", "ascii"):
        raise RequestError(f"charset must be utf-8, got {charset!r}", status=415)


async def read_text(request: web.Request) -> str:
    """The body as UTF-8 text; 413 past the app's ``client_max_size``."""
    try:
        body = await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise RequestError(
            f"request body larger than {request.client_max_size} bytes", status=413
        ) from None
    try:
        return body.decode()  # UTF-8, the default
    except UnicodeDecodeError:
        raise RequestError("request body is not valid UTF-8") from None


async def read_form(request: web.Request) -> dict[str, str]:
    """An urlencoded form as a dict; a field given twice is refused rather than guessed."""
    check_content_type(request, FORM, allow_missing=True)
    text = await read_text(request)
    try:
        # Percent-escapes decode as UTF-8 (parse_qsl's default), strictly (not its default).
        pairs = parse_qsl(text, keep_blank_values=True, errors="strict", max_num_fields=MAX_FORM_FIELDS)
    except UnicodeDecodeError:
        raise RequestError("form field is not valid UTF-8 after percent-decoding") from None
    except ValueError:
        raise RequestError(f"too many form fields (at most {MAX_FORM_FIELDS})") from None
    form: dict[str, str] = {}
    for name, value in pairs:
        if name in form:
            raise RequestError(f"field '{name}' given more than once")
        form[name] = value
    return form
