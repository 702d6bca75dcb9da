"""Send a campaign through the SMS outbox: TPS-limited, quiet hours, opt-outs, resumable.

The runner binds its own ``SmsService`` (so the outbox's window, token-bucket
TPS limit and retries apply as for any MT) and keeps only a window's worth of
messages in the outbox: a crash then leaves at most that many ``uncertain``,
and nothing is ever sent twice (see ``store``). Replies to the campaign's
source address come back on the same bind: an opt-out keyword is remembered
for every later campaign, a conversion keyword is counted.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from collections.abc import Awaitable, Callable

from app.campaign.spec import Campaign
from app.campaign.store import CampaignStore
from engine.flow.spec import normalize_command
from engine.types import Handler, Inbound, Reply
from gateways.sms.options import SmppOptions
from gateways.sms.service import SmsService

#: Messages allowed to wait in the outbox at once (about one second at the default 10 TPS).
BACKLOG = 10
#: How often the runner looks at what the SMSC made of the messages in flight.
POLL = 0.02
#: What the tracker's MT states become in the progress table.
FINAL = {"accepted": "sent", "failed": "failed", "delivered": "delivered", "undelivered": "undelivered"}

Progress = Callable[[int, int, Counter[str]], None]


def quiet_for(campaign: Campaign, now: float) -> float:
    """Seconds until the quiet window ends; 0 outside it."""
    window = campaign.spec.quiet_window()
    if window is None:
        return 0.0
    start, end = window
    minute = ((now + campaign.spec.utc_offset_hours * 3600) % 86400) / 60
    inside = start <= minute < end if start < end else (minute >= start or minute < end)
    return ((end - minute) % 1440) * 60 if inside else 0.0


class CampaignRunner:
    def __init__(self, campaign: Campaign, store: CampaignStore, options: SmppOptions, *,
                 now: Callable[[], float] = time.time,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
                 on_progress: Progress | None = None, flow: Handler | None = None) -> None:
        self.campaign = campaign
        self.store = store
        self.options = options
        self._now = now
        self._sleep = sleep
        self._on_progress = on_progress
        #: The engine, for a campaign that starts a flow (``start``): it writes the message and takes replies.
        self._flow = flow
        self._opt_out = {normalize_command(k) for k in campaign.spec.opt_out}
        self._convert = {normalize_command(k) for k in campaign.spec.convert}
        #: Our message id → (MSISDN, state last written) for messages whose fate is still open.
        self._open: dict[str, tuple[str, str]] = {}
        self.uncertain = 0
        self._stop = asyncio.Event()

    async def run(self) -> Counter[str]:
        """Send to everyone not yet dealt with; return the campaign's counts."""
        self.uncertain = self.store.recover(self._now())
        done = self.store.done()
        audience = self.campaign.audience()
        todo = [row for row in audience if row["msisdn"] not in done]
        service = SmsService(self._on_reply, self.options)
        await service.start()
        try:
            await service.wait_bound()
            for n, row in enumerate(todo, start=1):
                await self._send(service, row)
                self._report(len(audience) - len(todo) + n, len(audience))
            await self._finish(service)
        finally:
            self._settle(service)
            await service.close()
            self._settle(service)
        return self.store.counts()

    async def _send(self, service: SmsService, row: dict[str, str]) -> None:
        while (wait := quiet_for(self.campaign, self._now())) > 0:
            await self._sleep(wait)
        msisdn = row["msisdn"]
        if self.store.opted_out(msisdn):
            self.store.mark(msisdn, "opted_out", self._now())
            return
        text = await self._message(msisdn, row)
        if not text:
            self.store.mark(msisdn, "failed", self._now())
            return
        message_id = await service.send_text(msisdn, text)
        # Written before the runner next yields: the sender task cannot have submitted anything yet, so a
        # crash from here on finds the row 'queued' (uncertain, never resent) and never a sent, unrecorded one.
        self.store.mark(msisdn, "queued", self._now(), message_id)
        self._open[message_id] = (msisdn, "queued")
        while len(service.outbox) >= BACKLOG:
            await asyncio.sleep(POLL)
            self._settle(service)
        self._settle(service)

    async def _message(self, msisdn: str, row: dict[str, str]) -> str:
        """The rendered message, or the first answer of the flow the subscriber is started in."""
        start = self.campaign.spec.start
        if start is None or self._flow is None:
            return self.campaign.render(row)
        replies = await self._flow(Inbound("sms", msisdn, start, session_key=msisdn,
                                           service_code=self.options.shortcode, received_at=self._now()))
        return next((r.text for r in replies if not r.push), "")

    async def _finish(self, service: SmsService) -> None:
        """Wait for the outbox to empty, then up to ``receipt_wait`` s for delivery receipts."""
        while any(state == "queued" for _, state in self._open.values()):
            await asyncio.sleep(POLL)
            self._settle(service)
        deadline = time.monotonic() + self.campaign.spec.receipt_wait
        while self._open and time.monotonic() < deadline:
            await asyncio.sleep(POLL)
            self._settle(service)
        if self.campaign.spec.listen:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self.campaign.spec.listen)

    def stop(self) -> None:
        """End the listening period now (replies already received are still answered)."""
        self._stop.set()

    def _settle(self, service: SmsService) -> None:
        """Write down what the SMSC made of each open message; forget those whose fate is final."""
        changed: list[tuple[str, str]] = []
        for message_id, (msisdn, written) in list(self._open.items()):
            record = service.status(message_id)
            state = FINAL.get(record.state, written) if record is not None else written
            if state != written:
                changed.append((msisdn, state))
                self._open[message_id] = (msisdn, state)
            if state in ("failed", "delivered", "undelivered"):
                del self._open[message_id]
        self.store.mark_many(changed, self._now())  # one commit for the lot: each is an fsync

    def _report(self, done: int, total: int) -> None:
        if self._on_progress is not None:
            self._on_progress(done, total, self.store.counts())

    async def _on_reply(self, inbound: Inbound) -> list[Reply]:
        """A reply to the campaign: opt-out (remembered for every campaign), conversion, or just a reply."""
        word, msisdn = normalize_command(inbound.text), inbound.msisdn
        if word in self._opt_out:
            self.store.opt_out(msisdn, word, self._now())
            self.store.reply(msisdn, converted=False)
            return [Reply("sms", msisdn, self.campaign.spec.opt_out_reply)]
        converted = word in self._convert
        reached = self.store.reply(msisdn, converted)
        if self._flow is not None and reached:
            return await self._flow(inbound)  # the conversation goes on in the flow
        if reached and converted and self.campaign.spec.convert_reply:
            return [Reply("sms", msisdn, self.campaign.spec.convert_reply)]
        return []

    def on_event(self, kind: str, session_key: str) -> None:
        """An engine event of a ``start`` campaign: the configured ones count as conversions."""
        if kind in self.campaign.spec.convert_events:
            self.store.reply(session_key.rpartition(":")[2], converted=True)
