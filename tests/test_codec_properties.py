"""Properties of the SMS codec: what is sent comes back, in any arrival order.

Budgets are small (the whole file runs in about a second) so the suite stays fast
and mutmut can afford to run it per mutant.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.flow.channels import sms_segments
from gateways.sms.codec import (
    GSM7_EXT_TABLE,
    GSM7_TABLE,
    LIMITS,
    CodecError,
    Concat,
    MtPart,
    concat_from_sar,
    decode_text,
    encode_text,
    split_udh,
)
from gateways.sms.reassembly import Reassembler

FAST = settings(max_examples=150, deadline=None)

GSM7 = "".join(sorted(set(GSM7_TABLE.replace("\x1b", "")) | set(GSM7_EXT_TABLE)))
gsm7_text = st.text(alphabet=GSM7, max_size=700)
# Any character Python can encode in UTF-16 (no lone surrogates), with at least one
# outside GSM 03.38 so the text goes as UCS2; emoji and CJK weigh in.
ucs2_text = st.builds(
    lambda head, odd, tail: head + odd + tail,
    st.text(st.characters(exclude_categories=("Cs",)), max_size=150),
    st.sampled_from("你好😀🎉€\u0300\U0010fffd"),
    st.text(alphabet="余额查询😀a€{", max_size=150),
).filter(lambda t: not set(GSM7).issuperset(t))
modes = st.sampled_from(("udh8", "udh16", "sar", "payload"))


class FrozenClock:
    def now(self) -> float:
        return 0.0


def body_of(part: MtPart) -> tuple[object, bytes]:
    """(concatenation info, text octets) as a receiving SMSC would read them."""
    payload = part.tlvs.get("message_payload")
    if isinstance(payload, bytes):
        return None, payload
    if part.esm_class & 0x40:
        return split_udh(part.short_message, part.esm_class)
    return concat_from_sar(part.tlvs), part.short_message


def reassemble(parts: list[MtPart]) -> str:
    reasm = Reassembler(FrozenClock())
    done = []
    for part in parts:
        info, body = body_of(part)
        text = reasm.add("8613800138000>10086", info, decode_text(body, part.data_coding))  # type: ignore[arg-type]
        if text is not None:
            done.append(text)
    assert reasm.pending == 0
    assert len(done) == 1
    return done[0]


@FAST
@given(gsm7_text, modes, st.integers(0, 0xFFFF))
def test_gsm7_round_trips(text: str, mode: Concat, ref: int) -> None:
    parts = encode_text(text, ref=ref, concat=mode)
    assert {p.data_coding for p in parts} == {0}
    assert reassemble(parts) == text


@FAST
@given(ucs2_text, modes, st.integers(0, 0xFFFF))
def test_ucs2_round_trips(text: str, mode: Concat, ref: int) -> None:
    parts = encode_text(text, ref=ref, concat=mode)
    assert {p.data_coding for p in parts} == {8}
    assert reassemble(parts) == text


@FAST
@given(st.one_of(gsm7_text, ucs2_text), st.sampled_from(("udh8", "udh16", "sar")), st.randoms())
def test_parts_reassemble_in_any_order(text: str, mode: Concat, rnd: object) -> None:
    parts = encode_text(text, ref=0x1234, concat=mode)
    rnd.shuffle(parts)  # type: ignore[attr-defined]
    assert reassemble(parts) == text


@FAST
@given(st.one_of(gsm7_text, ucs2_text), st.sampled_from(("udh8", "udh16", "sar")))
def test_every_part_fits_and_decodes_on_its_own(text: str, mode: Concat) -> None:
    """No part ends inside an escape pair or a surrogate pair."""
    parts = encode_text(text, ref=7, concat=mode)
    enc, count = sms_segments(text)  # the engine's count (the linter's) must match what is sent
    assert enc == ("gsm7" if parts[0].data_coding == 0 else "ucs2")
    width = 1 if enc == "gsm7" else 2
    limit = LIMITS[enc]["single" if len(parts) == 1 else mode] * width
    pieces = []
    for part in parts:
        _, body = body_of(part)
        assert len(body) <= limit
        pieces.append(decode_text(body, part.data_coding))
    assert "".join(pieces) == text
    if mode == "udh8":
        assert count == len(parts)


@FAST
@given(st.binary(max_size=40), st.integers(0, 0x1FF))
def test_decoding_arbitrary_octets_raises_only_codec_error(data: bytes, dc: int) -> None:
    try:
        text = decode_text(data, dc)
    except CodecError:
        return
    assert len(text) <= len(data)


@FAST
@given(st.binary(max_size=40), st.sampled_from((0x00, 0x40, 0x43)))
def test_splitting_arbitrary_headers_raises_only_codec_error(data: bytes, esm: int) -> None:
    try:
        info, body = split_udh(data, esm)
    except CodecError:
        return
    assert len(body) <= len(data)
    if info is not None:
        assert 1 <= info.seq <= info.total
