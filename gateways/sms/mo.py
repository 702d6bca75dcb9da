"""From a deliver_sm to an engine ``Inbound`` (or a delivery receipt).

This is the part of the SMS gateway that decides what the deliver_sm_resp
says, so it runs synchronously and fast: the resp leaves before the engine
sees the text. Redelivery is the subtle bit. SMPP MOs carry no universal id,
and a subscriber legitimately sends "1" twice in a minute, so content alone
must never be a duplicate. An MO is treated as a re-delivery only when
(a) it carries ``user_message_reference`` and that reference, sender and
content were seen within ``dedupe_ttl``; or (b) it matches, once, an MO we
acknowledged just before a link was lost, since our deliver_sm_resp may
never have reached the SMSC, which then delivers it again after the rebind.
``meta["mo_id"]`` (the reference, else the content fingerprint) is the MO's
identity for the durable inbox, which recognises redeliveries across a crash.
"""

from __future__ import annotations

import hashlib
import logging
from collections import OrderedDict, deque
from dataclasses import dataclass
from typing import Any

from engine.clock import Clock
from engine.msisdn import normalise_msisdn
from engine.types import Inbound
from gateways.sms.codec import CodecError, concat_from_sar, decode_text, split_udh
from gateways.sms.options import SmppOptions
from gateways.sms.pdu import ESME_ROK, ESME_RX_R_APPN, Pdu
from gateways.sms.reassembly import Deduper, PartialMessage, Reassembler

log = logging.getLogger(__name__)

#: esm_class bits 2-5: message type (SMSC delivery receipt, SME ack, ...).
ESM_TYPE_MASK = 0x3C
#: message_state values (SMPP 3.4 §5.2.28) by the names receipts use in text.
STATES = {1: "ENROUTE", 2: "DELIVRD", 3: "EXPIRED", 4: "DELETED", 5: "UNDELIV", 6: "ACCEPTD",
          7: "UNKNOWN", 8: "REJECTD"}


@dataclass(frozen=True, slots=True)
class Receipt:
    """A delivery receipt for one submitted part, keyed by the SMSC's message id."""

    smsc_id: str
    state: str


@dataclass(frozen=True, slots=True)
class Accepted:
    """What to answer the SMSC with, and what (if anything) to do next."""

    status: int
    inbound: Inbound | None = None
    receipt: Receipt | None = None
    duplicate: bool = False
    reason: str = ""


def parse_receipt(fields: dict[str, Any], text: str) -> Receipt:
    """Receipt from the TLVs when present, else from the 'id:… stat:…' text (SMPP 3.4 App. B)."""
    words = dict(w.split(":", 1) for w in text.replace("submit date", "submit_date")
                 .replace("done date", "done_date").split() if ":" in w)
    smsc_id = fields.get("receipted_message_id") or words.get("id", "")
    state = STATES.get(fields.get("message_state", 0)) or words.get("stat", "UNKNOWN")
    return Receipt(str(smsc_id), state.upper())


class MoIntake:
    """Turns each deliver_sm / data_sm into an ``Accepted`` decision."""

    def __init__(self, opts: SmppOptions, clock: Clock) -> None:
        self.opts = opts
        self.clock = clock
        self.reassembler = Reassembler(clock, opts.reassembly_timeout, on_expire=self._incomplete)
        #: Long MOs dropped because a part never came (acknowledged, never answered).
        self.incomplete = 0
        self._refs = Deduper(clock, opts.dedupe_ttl)
        #: Fingerprints of MOs acknowledged recently, oldest first.
        self._recent: deque[tuple[float, str]] = deque(maxlen=50_000)
        #: Fingerprint -> (count, expiry) of MOs whose ack may have been lost.
        self._uncertain: OrderedDict[str, list[float]] = OrderedDict()

    def _incomplete(self, partial: PartialMessage) -> None:
        self.incomplete += 1
        log.warning("long MO from %s dropped: %d of %d parts arrived", partial.key.split(">")[0],
                    len(partial.parts), partial.total)

    def link_lost(self) -> None:
        """Acks sent in the last moments may not have arrived: expect re-deliveries."""
        now = self.clock.now()
        horizon = now - max(5.0, 3 * self.opts.resp_timeout)
        for at, fp in self._recent:
            if at >= horizon:
                entry = self._uncertain.setdefault(fp, [0, 0.0])
                entry[0] += 1
                entry[1] = now + self.opts.dedupe_ttl
        self._recent.clear()

    def accept(self, pdu: Pdu) -> Accepted:
        f = pdu.fields
        esm = int(f.get("esm_class") or 0)
        body: bytes = f.get("short_message") or f.get("message_payload") or b""
        dc = int(f.get("data_coding") or 0)
        if esm & ESM_TYPE_MASK:
            try:
                text = decode_text(body, dc if dc in (0, 1, 3, 8) else 1)
            except CodecError:
                text = body.decode("latin-1")
            return Accepted(ESME_ROK, receipt=parse_receipt(f, text))
        try:
            info, payload = split_udh(body, esm)
            if info is None:
                info = concat_from_sar(f)
            text = decode_text(payload, dc)
        except CodecError as exc:
            return Accepted(ESME_RX_R_APPN, reason=str(exc))
        source = str(f.get("source_addr", ""))
        dest = str(f.get("destination_addr", ""))
        fp = self._fingerprint(pdu, source, dest, body)
        if self._is_redelivery(pdu, fp):
            return Accepted(ESME_ROK, duplicate=True)
        umr = f.get("user_message_reference")
        ref = None if umr is None else f"{umr}|{fp}"
        self.reassembler.expire()
        whole = self.reassembler.add(f"{source}>{dest}", info, text)
        if whole is None:
            return Accepted(ESME_ROK)
        ton = int(f.get("source_addr_ton") or 0)  # 1 international, 2 national
        msisdn = normalise_msisdn(source, self.opts.country_code, international=ton == 1, national=ton == 2)
        # An alphanumeric or odd sender still has to be answered: keep its digits, else it as sent.
        msisdn = msisdn or "".join(c for c in source if c.isdigit()) or source
        inbound = Inbound(
            channel="sms", msisdn=msisdn, text=whole, session_key=msisdn, service_code=dest,
            received_at=self.clock.now(),
            meta={"data_coding": dc, "smpp_source": source, "mo_ref": ref, "mo_id": ref or fp},
        )
        return Accepted(ESME_ROK, inbound=inbound)

    @staticmethod
    def _fingerprint(pdu: Pdu, source: str, dest: str, body: bytes) -> str:
        f = pdu.fields
        digest = hashlib.blake2b(body, digest_size=12).hexdigest()
        sar = (f.get("sar_msg_ref_num"), f.get("sar_segment_seqnum"))
        return f"{source}>{dest}|{f.get('esm_class')}|{f.get('data_coding')}|{sar}|{digest}"

    def _is_redelivery(self, pdu: Pdu, fp: str) -> bool:
        umr = pdu.fields.get("user_message_reference")
        if umr is not None and self._refs.seen(f"{umr}|{fp}"):
            return True
        now = self.clock.now()
        while self._uncertain:
            oldest, (_, until) = next(iter(self._uncertain.items()))
            if until > now:
                break
            del self._uncertain[oldest]
        entry = self._uncertain.get(fp)
        if entry is not None:
            entry[0] -= 1
            if entry[0] <= 0:
                del self._uncertain[fp]
            return True
        self._recent.append((now, fp))
        return False
