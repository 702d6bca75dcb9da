"""What the SMSC simulator remembers and which faults it is told to inject.

Kept apart from the protocol handling so tests read like a checklist:
``smsc.submits`` (every submit_sm, decoded), ``smsc.messages`` (long ones put
back together), ``smsc.faults`` (set a field, the next PDUs misbehave).
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field

from engine.clock import SystemClock
from gateways.sms.codec import CodecError, concat_from_sar, decode_text, split_udh
from gateways.sms.reassembly import Reassembler


@dataclass
class Faults:
    """Misbehaviour to inject; every field can be changed while running."""

    #: Answer the next N submit_sm with ESME_RTHROTTLED.
    throttle_next: int = 0
    #: Answer this fraction of submit_sm with ESME_RTHROTTLED (random).
    throttle_ratio: float = 0.0
    #: Drop the connection after this many more PDUs received from the ESME.
    drop_after: int | None = None
    #: Seconds to hold every submit_sm_resp.
    resp_delay: float = 0.0
    #: Leave the next N enquire_link unanswered (the ESME must notice the dead link).
    ignore_enquire: int = 0

    def throttle(self) -> bool:
        if self.throttle_next > 0:
            self.throttle_next -= 1
            return True
        return self.throttle_ratio > 0 and random.random() < self.throttle_ratio


@dataclass(frozen=True, slots=True)
class Submitted:
    """One submit_sm as the SMSC saw it; ``text`` is this part's text."""

    system_id: str
    source: str
    destination: str
    text: str | None
    data_coding: int
    esm_class: int
    short_message: bytes
    tlvs: dict[str, object]
    message_id: str
    part: int = 1
    total: int = 1
    ref: int | None = None


@dataclass(frozen=True, slots=True)
class Message:
    """A whole MT, its parts reassembled in order."""

    source: str
    destination: str
    text: str
    parts: int


@dataclass
class Records:
    submits: list[Submitted] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)
    throttled: int = 0
    binds: int = 0
    bind_refusals: int = 0
    unbinds_received: int = 0
    enquire_links_sent: int = 0
    #: generic_nack we sent (to requests we did not understand).
    generic_nacks: int = 0
    #: generic_nack the ESME sent us (answers to our malformed PDUs).
    nacks_received: int = 0
    enquire_links_received: int = 0
    mo_acked: int = 0
    mo_rejected: list[int] = field(default_factory=list)
    mo_redelivered: int = 0


_TLV_NAMES = ("sar_msg_ref_num", "sar_total_segments", "sar_segment_seqnum", "message_payload",
              "ussd_service_op", "its_session_info", "user_message_reference")


class SubmitDecoder:
    """Decodes submits for inspection and puts concatenated parts back together."""

    def __init__(self) -> None:
        self._reassembler = Reassembler(SystemClock(), timeout=300.0)

    def decode(self, system_id: str, fields: dict[str, object], message_id: str) -> tuple[Submitted, Message | None]:
        sm = fields.get("short_message") or fields.get("message_payload") or b""
        assert isinstance(sm, bytes)
        esm = int(fields.get("esm_class") or 0)  # type: ignore[call-overload]
        dc = int(fields.get("data_coding") or 0)  # type: ignore[call-overload]
        tlvs = {k: fields[k] for k in _TLV_NAMES if fields.get(k) is not None}
        try:
            info, body = split_udh(sm, esm)
            info = info or concat_from_sar(fields)
            text: str | None = decode_text(body, dc)
        except CodecError:
            info, text = None, None
        source, dest = str(fields.get("source_addr", "")), str(fields.get("destination_addr", ""))
        sub = Submitted(system_id, source, dest, text, dc, esm, sm, tlvs, message_id,
                        info.seq if info else 1, info.total if info else 1, info.ref if info else None)
        if text is None:
            return sub, None
        whole = self._reassembler.add(f"{source}>{dest}", info, text)
        if whole is None:
            return sub, None
        return sub, Message(source, dest, whole, sub.total)


def receipt_fields(sub: Submitted) -> dict[str, object]:
    """A delivery receipt for ``sub``: SMPP 3.4 Appendix B text plus the TLVs."""
    stamp = time.strftime("%y%m%d%H%M")
    text = (f"id:{sub.message_id} sub:001 dlvrd:001 submit date:{stamp} done date:{stamp} "
            f"stat:DELIVRD err:000 text:")
    return {
        "source_addr_ton": 1, "source_addr_npi": 1, "source_addr": sub.destination,
        "destination_addr": sub.source, "esm_class": 0x04, "data_coding": 0,
        "short_message": text.encode("ascii"), "receipted_message_id": sub.message_id, "message_state": 2,
    }
