"""SMS text <-> SMPP ``short_message`` bytes, including concatenation headers.

Why our own codec: smpplib's ``make_parts`` can split a GSM escape pair or an
emoji's surrogate pair across two parts and leaves SAR to the caller, so a
subscriber sees garbage at the cut. Here a part boundary never falls inside a
character, and every option an SMSC may want (8/16-bit UDH reference, SAR
TLVs, one ``message_payload``) comes out of one function.

GSM-7 travels *unpacked* (one septet per octet), which is what SMPP's
``data_coding`` 0 means on the wire. Anything outside GSM 03.38 goes as UCS2
(UTF-16 big-endian, so emoji survive as surrogate pairs).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

Concat = Literal["udh8", "udh16", "sar", "payload"]

#: GSM 03.38 default alphabet, indexed by septet value. 0x1B is the escape to
#: the extension table, never a character of its own (placeholder here).
GSM7_TABLE = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ"
    " !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
ESC = 0x1B
#: GSM 03.38 extension table: character -> septet that follows ESC.
GSM7_EXT_TABLE: dict[str, int] = {
    "\f": 0x0A, "^": 0x14, "{": 0x28, "}": 0x29, "\\": 0x2F,
    "[": 0x3C, "~": 0x3D, "]": 0x3E, "|": 0x40, "€": 0x65,
}
_GSM7_CHARS = frozenset(GSM7_TABLE.replace("\x1b", "")) | frozenset(GSM7_EXT_TABLE)
#: str.translate table giving one Latin-1 code point per septet, so that
#: ``.encode("latin-1")`` yields the unpacked GSM-7 octets in one C-level pass.
_GSM7_TRANSLATE = {ord(ch): chr(i) for i, ch in enumerate(GSM7_TABLE) if i != ESC} | {
    ord(ch): f"\x1b{chr(code)}" for ch, code in GSM7_EXT_TABLE.items()
}
_DEC_EXT = {code: ch for ch, code in GSM7_EXT_TABLE.items()}
_GSM7_DECODE = dict(enumerate(GSM7_TABLE))
#: Python codec names, kept out of the functions: codec lookup ignores case,
#: so a mutant spelling them in capitals would be an equivalent mutant.
_OCTETS = "latin-1"  # one code point per octet, both ways
_UCS2 = "utf-16-be"
#: SMPP data_coding values with one fixed alphabet (SMPP 3.4 §5.2.19).
_ALPHABETS = {0x00: "gsm7", 0x01: "ascii", 0x03: _OCTETS, 0x08: "ucs2"}

#: Units (septets / UTF-16 code units) per message: single, with 8-bit-ref
#: UDH (also SAR, which costs the same at the handset), with 16-bit-ref UDH.
LIMITS: dict[str, dict[str, int]] = {
    "gsm7": {"single": 160, "udh8": 153, "sar": 153, "udh16": 152},
    "ucs2": {"single": 70, "udh8": 67, "sar": 67, "udh16": 66},
}
DC_GSM7 = 0x00
DC_UCS2 = 0x08
ESM_UDHI = 0x40
MAX_PARTS = 255


class CodecError(ValueError):
    """Bytes that are not text in the announced coding, or a malformed header."""


@dataclass(frozen=True)
class MtPart:
    """One submit_sm's worth of message: body, coding, esm_class and extra TLVs."""

    short_message: bytes
    data_coding: int
    esm_class: int
    tlvs: dict[str, int | bytes]


@dataclass(frozen=True)
class ConcatInfo:
    """Where one part sits in a concatenated message (``seq`` counts from 1)."""

    ref: int
    total: int
    seq: int


def _encode_whole(text: str) -> tuple[str, bytes]:
    """(encoding, body) for ``text`` in one piece: GSM-7 when possible, else UCS2."""
    if _GSM7_CHARS.issuperset(text):
        return "gsm7", text.translate(_GSM7_TRANSLATE).encode(_OCTETS)
    # A lone surrogate (not a character) becomes "?" rather than an exception.
    return "ucs2", text.encode(_UCS2, errors="replace")


def _cut(body: bytes, enc: str, limit: int) -> list[bytes]:
    """Parts of at most ``limit`` octets, never ending inside a character.

    In GSM-7 an octet 0x1B always starts an escape pair (no extension code is
    0x1B), so a part ending in it gives the octet to the next part; in UCS2 a
    part ending in a high surrogate (0xD800-0xDBFF) gives the pair away whole.
    """
    parts: list[bytes] = []
    start = 0
    while len(body) - start > limit:
        end = start + limit
        if enc == "gsm7" and body[end - 1] == ESC:
            end -= 1
        elif enc == "ucs2" and 0xD8 <= body[end - 2] <= 0xDB:
            end -= 2
        parts.append(body[start:end])
        start = end
    parts.append(body[start:])
    return parts


def _split(text: str, concat: Concat) -> tuple[str, list[bytes], bool]:
    """(encoding, bodies, fits in one plain message) for ``text``."""
    enc, whole = _encode_whole(text)
    width = 1 if enc == "gsm7" else 2
    limits = LIMITS[enc]
    if len(whole) <= limits["single"] * width:
        return enc, [whole], True
    if concat == "payload":
        return enc, [whole], False
    bodies = _cut(whole, enc, limits[concat] * width)
    if len(bodies) > MAX_PARTS:
        raise CodecError(f"text needs {len(bodies)} parts; concatenation allows {MAX_PARTS}")
    return enc, bodies, False


def encode_text(text: str, *, ref: int, concat: Concat = "udh8") -> list[MtPart]:
    """Encode ``text`` as one or more submit_sm bodies.

    A text that fits one message is one plain part whatever ``concat`` says,
    because every SMSC and handset accepts that. Longer text is cut per
    ``concat``; ``ref`` is the concatenation reference (only its low 8 bits are
    used with ``udh8``, 16 bits otherwise). ``payload`` gives one part whose
    text sits in the ``message_payload`` TLV, for SMSCs that segment themselves.
    """
    enc, bodies, fits = _split(text, concat)
    dc = DC_GSM7 if enc == "gsm7" else DC_UCS2
    if fits:
        return [MtPart(bodies[0], dc, 0, {})]
    if concat == "payload":
        return [MtPart(b"", dc, 0, {"message_payload": bodies[0]})]
    total = len(bodies)
    parts: list[MtPart] = []
    for seq, body in enumerate(bodies, start=1):
        if concat == "udh8":
            udh = bytes((5, 0x00, 3, ref & 0xFF, total, seq))
            parts.append(MtPart(udh + body, dc, ESM_UDHI, {}))
        elif concat == "udh16":
            udh = bytes((6, 0x08, 4, (ref >> 8) & 0xFF, ref & 0xFF, total, seq))
            parts.append(MtPart(udh + body, dc, ESM_UDHI, {}))
        else:
            sar: dict[str, int | bytes] = {
                "sar_msg_ref_num": ref & 0xFFFF,
                "sar_total_segments": total,
                "sar_segment_seqnum": seq,
            }
            parts.append(MtPart(body, dc, 0, sar))
    return parts


def encode_single(text: str) -> tuple[bytes, int]:
    """(body, data_coding) for ``text`` as one un-split body, whatever its length.

    For USSD over SMPP, where a screen is one message (up to 182 GSM-7
    septets, 80 UCS2 units) and is never concatenated.
    """
    enc, body = _encode_whole(text)
    return body, DC_GSM7 if enc == "gsm7" else DC_UCS2


def _decode_gsm7(data: bytes) -> str:
    """Unpacked septets to text; without escapes, one C-level pass."""
    if not data.isascii():
        at = next(i for i, b in enumerate(data) if b > 0x7F)
        raise CodecError(f"octet 0x{data[at]:02x} at {at} is not a GSM-7 septet")
    if ESC not in data:
        return data.decode(_OCTETS).translate(_GSM7_DECODE)
    out: list[str] = []
    i = 0
    while i < len(data):
        if data[i] != ESC:
            out.append(GSM7_TABLE[data[i]])
            i += 1
            continue
        if i + 1 >= len(data):
            raise CodecError("GSM-7 escape at the end of the message")
        nxt = data[i + 1]
        # 23.038: an unknown extension shows as the default-table character.
        out.append(_DEC_EXT.get(nxt, " " if nxt == ESC else GSM7_TABLE[nxt]))
        i += 2
    return "".join(out)


def _decode_as(data: bytes, codec: str) -> str:
    try:
        return data.decode(codec)
    except UnicodeDecodeError as exc:
        raise CodecError(f"not valid {codec}: {exc.reason} at octet {exc.start}") from None


def _alphabet(dc: int) -> str:
    """Map an SMPP data_coding to an alphabet name, or raise for binary/unknown."""
    if dc in _ALPHABETS:
        return _ALPHABETS[dc]
    if dc in (0x02, 0x04):
        raise CodecError(f"data_coding {dc} is 8-bit binary data, not text")
    # GSM 03.38 DCS groups (the high nibble) a handset may use (e.g. flash SMS = class 0).
    group = dc >> 4
    if group in (0x1, 0x4):
        alpha = (dc >> 2) & 0x03
        if alpha == 0:
            return "gsm7"
        if alpha == 2:
            return "ucs2"
    elif group == 0xF and not dc & 0x04:
        return "gsm7"
    raise CodecError(f"data_coding 0x{dc:02x} is not a supported text coding")


def decode_text(data: bytes, data_coding: int) -> str:
    """Decode a short_message (UDH already removed) to text.

    Decisions: data_coding 0 is GSM-7 unpacked and an octet above 0x7F is an
    error (no silent Latin-1 guess: a wrong guess answers the wrong menu);
    2 and 4 are binary and refused; UCS2 is read as UTF-16-BE so emoji decode,
    and an odd length or a lone surrogate is an error.
    """
    alpha = _alphabet(data_coding)
    if alpha == "gsm7":
        return _decode_gsm7(data)
    if alpha == "ucs2":
        if len(data) % 2:
            raise CodecError(f"UCS2 text of odd length {len(data)}")
        return _decode_as(data, _UCS2)
    return _decode_as(data, alpha)


def split_udh(short_message: bytes, esm_class: int) -> tuple[ConcatInfo | None, bytes]:
    """Separate the user data header (if esm_class says there is one) from the text."""
    if not esm_class & ESM_UDHI:
        return None, short_message
    if not short_message:
        raise CodecError("UDH indicator set but the message is empty")
    udhl = short_message[0]
    if 1 + udhl > len(short_message):
        raise CodecError(f"UDH length {udhl} runs past the {len(short_message)}-octet message")
    header, body = short_message[1 : 1 + udhl], short_message[1 + udhl :]
    info: ConcatInfo | None = None
    i = 0
    while i < len(header):
        if i + 2 > len(header):
            raise CodecError("truncated information element in UDH")
        iei, iel = header[i], header[i + 1]
        data = header[i + 2 : i + 2 + iel]
        if len(data) != iel:
            raise CodecError(f"UDH element 0x{iei:02x} is truncated")
        if iei == 0x00 or iei == 0x08:
            info = _concat_ie(iei, data)
        i += 2 + iel
    return info, body


def _concat_ie(iei: int, data: bytes) -> ConcatInfo:
    want = 3 if iei == 0x00 else 4
    if len(data) != want:
        raise CodecError(f"concatenation element 0x{iei:02x} has length {len(data)}, not {want}")
    ref = data[0] if iei == 0x00 else int.from_bytes(data[:2])  # big-endian, the default
    return _checked(ref, data[-2], data[-1])


def _checked(ref: int, total: int, seq: int) -> ConcatInfo:
    if not 1 <= seq <= total:
        raise CodecError(f"concatenation part {seq} of {total} is impossible")
    return ConcatInfo(ref, total, seq)


_SAR = ("sar_msg_ref_num", "sar_total_segments", "sar_segment_seqnum")


def concat_from_sar(tlvs: Mapping[str, object]) -> ConcatInfo | None:
    """ConcatInfo from the three SAR TLVs (ints or big-endian bytes), or None."""
    if all(tlvs.get(name) is None for name in _SAR):
        return None
    values: list[int] = []
    for name in _SAR:
        v = tlvs.get(name)
        if isinstance(v, bytes):
            values.append(int.from_bytes(v))  # big-endian, the default
        elif isinstance(v, int):
            values.append(v)
        else:
            raise CodecError(f"SAR TLV {name} is missing or not a number")
    return _checked(*values)
