"""Fuzz the byte-level decoders: SMPP PDUs (and what the MO intake makes of them) and FastAGI lines."""

from __future__ import annotations

import asyncio
import contextlib
import struct

from hypothesis import example, given
from hypothesis import strategies as st

from engine.clock import ManualClock
from engine.types import Inbound, Reply
from gateways.ivr.agi_protocol import AgiConnection, AgiHangup, AgiProtocolError, parse_reply
from gateways.ivr.fastagi import AgiCall, AgiStats
from gateways.ivr.options import IvrOptions
from gateways.sms.mo import MoIntake
from gateways.sms.options import SmppOptions
from gateways.sms.pdu import Pdu, PduError, decode, encode

UDH = b"\x05\x00\x03\x01\x02\x01"
DELIVER = encode(Pdu("deliver_sm", 7, fields={"source_addr": "8613800138000", "destination_addr": "10086",
                                               "esm_class": 0x40, "data_coding": 8,
                                               "short_message": UDH + "余额".encode("utf-16-be")}))


def intake(frame: bytes) -> None:
    try:
        pdu = decode(frame)
    except PduError:
        return
    if pdu.command in ("deliver_sm", "data_sm"):
        MoIntake(SmppOptions(), ManualClock()).accept(pdu)


@given(st.binary(min_size=16, max_size=300))
@example(struct.pack(">LLLL", 16, 0x00000005, 0, 1))
def test_random_frames(body: bytes) -> None:
    intake(struct.pack(">L", len(body) + 4) + body[4:] if len(body) >= 16 else body)


@given(st.lists(st.tuples(st.integers(4, len(DELIVER) - 1), st.integers(0, 255)), min_size=1, max_size=8))
def test_mutated_deliver_sm(edits: list[tuple[int, int]]) -> None:
    frame = bytearray(DELIVER)
    for at, value in edits:
        frame[at] = value
    intake(bytes(frame))


@given(st.text(max_size=200))
@example("200 result=")
@example("520-Invalid command syntax")
@example("200 result=1 (timeout) endpos=99999999999999999999999999")
def test_agi_reply_lines(line: str) -> None:
    parsed = parse_reply(line)
    if parsed is not None:
        result, _ = parsed
        assert isinstance(result.number, int)


async def _one_call(data: bytes) -> None:
    async def handler(inbound: Inbound) -> list[Reply]:
        return [Reply("ivr", inbound.msisdn, "hi", "zh")]

    reader = asyncio.StreamReader(limit=4096)
    reader.feed_data(data)
    reader.feed_eof()

    class Sink:
        def write(self, data: bytes) -> None: ...
        async def drain(self) -> None: ...
        def close(self) -> None: ...
        def is_closing(self) -> bool:
            return False
        async def wait_closed(self) -> None: ...
        def transport(self) -> None: ...

    conn = AgiConnection(reader, Sink(), 0.5, 0.1)  # type: ignore[arg-type]
    stats = AgiStats()
    await AgiCall(conn, handler, IvrOptions(agi_env_timeout=0.5), stats, ManualClock()).run("127.0.0.1")
    assert stats.errors == 0, "a call ended by an unexpected exception"


AGI_LINES = st.sampled_from(["agi_callerid: 13800138000", "agi_callerid: \x00", "agi_network_script: 10086?x=%ff",
                             "agi_uniqueid: 1.2", "", "HANGUP", "200 result=49", "200 result=-1", "511 dead",
                             "520-usage", "520 End of proper usage.", "garbage", "agi_language: zz",
                             "agi_dnid: +8610086", "200 result=1 (timeout)", "\udcff"])


@given(st.lists(AGI_LINES, max_size=30), st.binary(max_size=64))
def test_fastagi_call_on_hostile_lines(lines: list[str], tail: bytes) -> None:
    data = "\n".join(lines).encode("utf-8", "surrogateescape") + b"\n" + tail
    with contextlib.suppress(AgiHangup, AgiProtocolError):
        asyncio.run(_one_call(data))
