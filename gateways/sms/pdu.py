"""SMPP 3.4 PDUs as plain values, framed over asyncio streams.

The field layouts are smpplib's (compiled in ``layout``); this module gives
them a safe face. smpplib's objects want ``str`` when generating and give
``bytes`` when parsing, forget a response's sequence number unless it is set
after construction and need a client object for sequence numbers. Here a PDU
is a small dataclass with ``str`` for C-strings, ``bytes`` for octet strings
and ``int`` otherwise, in both directions, and every parse failure is one
``PduError`` carrying the status to answer with.
"""

from __future__ import annotations

import asyncio
import struct
from dataclasses import dataclass, field
from typing import Any

from smpplib import command_codes

from gateways.sms.layout import LAYOUTS, decode_body, encode_body

# Command status values this package uses (SMPP 3.4 §5.1.3).
ESME_ROK = 0x00
ESME_RINVCMDLEN = 0x02
ESME_RINVCMDID = 0x03
ESME_RINVBNDSTS = 0x04
ESME_RALYBND = 0x05
ESME_RSYSERR = 0x08
ESME_RBINDFAIL = 0x0D
ESME_RINVPASWD = 0x0E
ESME_RINVSYSID = 0x0F
ESME_RMSGQFUL = 0x14
ESME_RTHROTTLED = 0x58
ESME_RX_T_APPN = 0x64
ESME_RX_P_APPN = 0x65
ESME_RX_R_APPN = 0x66
ESME_RINVOPTPARSTREAM = 0xC0

#: A PDU larger than this is refused: no SMPP 3.4 PDU we speak comes close,
#: and the length prefix is the only thing we can trust before reading.
MAX_PDU = 65_536
_HEADER = struct.Struct(">LLLL")

_NAMES: dict[int, str] = {code: name for name, code in command_codes.commands.items()}
_CODES: dict[str, int] = dict(command_codes.commands)
#: Bodies that are empty: built and parsed with struct alone.
_BODILESS = {"unbind", "unbind_resp", "enquire_link", "enquire_link_resp", "generic_nack"}


class PduError(Exception):
    """A frame we cannot understand; ``status`` is what to answer it with."""

    def __init__(self, message: str, *, status: int, seq: int, command: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.seq = seq
        self.command = command


class FramingError(Exception):
    """The byte stream lost PDU boundaries: the only cure is closing the connection."""


@dataclass(slots=True)
class Pdu:
    """One SMPP PDU: header values plus body fields by their SMPP names."""

    command: str
    seq: int
    status: int = ESME_ROK
    fields: dict[str, Any] = field(default_factory=dict)

    @property
    def is_response(self) -> bool:
        return bool(_CODES[self.command] & 0x8000_0000)

    def get(self, name: str, default: Any = None) -> Any:
        return self.fields.get(name, default)


def response_name(command: str) -> str:
    """The response command that answers ``command`` (generic_nack for unknown ones)."""
    name = command + "_resp"
    return name if name in _CODES else "generic_nack"


def encode(pdu: Pdu) -> bytes:
    """Serialise ``pdu``; a field its command does not have is a ValueError."""
    code = _CODES[pdu.command]
    if pdu.command in _BODILESS or (pdu.status and pdu.is_response):
        # An error response carries no body (SMPP 3.4 §3.3: SMSCs send none either).
        return _HEADER.pack(16, code, pdu.status, pdu.seq)
    body = encode_body(pdu.command, LAYOUTS[pdu.command], pdu.fields)
    return _HEADER.pack(16 + len(body), code, pdu.status, pdu.seq) + body


def decode(frame: bytes) -> Pdu:
    """Parse one whole frame (length prefix included)."""
    if len(frame) < 16:
        raise PduError("PDU shorter than its header", status=ESME_RINVCMDLEN, seq=0)
    _, code, status, seq = _HEADER.unpack_from(frame)
    name = _NAMES.get(code)
    if name is None or name not in LAYOUTS:
        raise PduError(f"unknown command_id 0x{code:08x}", status=ESME_RINVCMDID, seq=seq)
    if name in _BODILESS or len(frame) == 16:
        return Pdu(name, seq, status)
    try:
        fields = decode_body(LAYOUTS[name], frame)
    except (ValueError, UnicodeDecodeError) as exc:
        raise PduError(f"malformed {name}: {exc}", status=ESME_RINVCMDLEN, seq=seq, command=name) from exc
    return Pdu(name, seq, status, fields)


class FrameReader:
    """Cuts a TCP byte stream into whole PDU frames without a read per field."""

    def __init__(self, reader: asyncio.StreamReader, max_len: int = MAX_PDU) -> None:
        self._reader = reader
        self._buf = bytearray()
        self._max = max_len

    async def read(self) -> bytes | None:
        """The next frame, or None at end of stream (a partial frame is dropped)."""
        while True:
            if len(self._buf) >= 4:
                (length,) = struct.unpack_from(">L", self._buf)
                if length < 16 or length > self._max:
                    raise FramingError(f"PDU length {length} outside 16..{self._max}")
                if len(self._buf) >= length:
                    frame = bytes(self._buf[:length])
                    del self._buf[:length]
                    return frame
            chunk = await self._reader.read(65_536)  # pragma: no mutate (equivalent: a read size, not a limit)
            if not chunk:
                return None
            self._buf += chunk
