"""The phone as a voice platform calling ``menuflow serve``'s TwiML webhook (``/ivr/twiml``).

It does what Twilio would: POST the call's form fields, read the returned
TwiML, "say" the ``<Say>`` texts, collect keys as the ``<Gather>`` asks
(digit count, finish key), follow the Gather ``action`` with the keys or the
``<Redirect>`` on silence, and send the completed status when the caller hangs
up. A ``<Dial>`` is a transfer to an agent; with an ``action`` (a wait threshold)
``agent()`` answers it with a ``DialCallStatus``, as Twilio does when the dial
ends. ``<Hangup>`` ends the call.
"""

from __future__ import annotations

import itertools
import os
import xml.etree.ElementTree as ET
from urllib.parse import urlencode, urljoin

from engine.ports.events import MASK
from engine.session import Session
from engine.types import Channel, Reply, Transfer, Wait
from simulator.phone.device import DEFAULT_TO, Action, Exchange
from simulator.phone.lazy_http import LazyHttp

_IDS = itertools.count(1)
#: The engine's transfer outcomes as Twilio words them (it has none for a full or empty queue).
DIAL_STATUS = {"answered": "completed", "timeout": "no-answer", "busy": "busy", "failed": "failed"}


def parse_twiml(body: str, msisdn: str, locale: str) -> tuple[Reply, str, str]:
    """A TwiML document → (the reply as the caller experiences it, Gather or Dial action URL, Redirect URL)."""
    root = ET.fromstring(body)
    texts = [e.text or "" for e in root.iter("Say")]
    audio = tuple(e.text or "" for e in root.iter("Play"))
    gather = root.find("Gather")
    dial = root.find("Dial")
    wait = None
    action = redirect = ""
    if gather is not None:
        digits = gather.get("numDigits", "1") != "1"
        # TwiML does not say which entry is a PIN: every multi-digit entry is masked on screen.
        wait = Wait("digits" if digits else "choice", max_digits=int(gather.get("numDigits", "1")),
                    finish_key=gather.get("finishOnKey") or "#", timeout=float(gather.get("timeout", "5")),
                    secret=digits, barge_in=bool(list(gather)))
        action = gather.get("action", "")
        node = root.find("Redirect")
        redirect = node.text or "" if node is not None else ""
    transfer = None
    if dial is not None:
        sip = dial.find("Sip")
        action = dial.get("action", "")
        timeout = dial.get("timeout")
        transfer = Transfer((sip.text if sip is not None else dial.text) or "",
                            max_wait=int(timeout) if action and timeout else None)
    return Reply("ivr", msisdn, " ".join(t for t in texts if t), locale, wait, audio, transfer), action, redirect


class RemoteTwimlDevice:
    """A caller on ``{base}/ivr/twiml``."""

    def __init__(self, base_url: str, msisdn: str, to: str | None = None, locale: str | None = None,
                 timeout: float = 10.0) -> None:
        self.channel: Channel = "ivr"
        self.msisdn = msisdn
        self.to = to or DEFAULT_TO["ivr"]
        self.locale = locale
        self.open = False
        self.wait: Wait | None = None
        self.base = base_url.rstrip("/")
        self.call_sid = ""
        self._action = self._redirect = ""
        self._http = LazyHttp(timeout)

    def _url(self, path: str) -> str:
        return urljoin(self.base + "/", path.lstrip("/")) if path else self.base + "/ivr/twiml"

    async def _post(self, action: Action, url: str, fields: dict[str, str], shown: str = "") -> Exchange:
        form = {"CallSid": self.call_sid, "From": "+" + self.msisdn, "To": self.to, **fields}
        async with self._http.session().post(url, data=form) as resp:
            body = await resp.text()
            if resp.status != 200:
                raise RuntimeError(f"HTTP {resp.status}: {body.strip()}")
        reply, self._action, self._redirect = parse_twiml(body, self.msisdn, self.locale or "zh")
        self.wait = reply.wait
        self.open = reply.wait is not None and action != "hangup"
        return Exchange(action, shown, [reply])

    async def dial(self, code: str | None = None) -> Exchange:
        if code:
            self.to = code
        self.call_sid = f"CAsim{os.getpid()}x{next(_IDS)}"
        query = {"service": self.to, **({"lang": self.locale} if self.locale else {})}
        return await self._post("dial", f"{self.base}/ivr/twiml?{urlencode(query)}",
                                {"CallStatus": "in-progress"})

    async def send(self, text: str) -> Exchange:
        shown = MASK if self.wait is not None and self.wait.secret and text else text
        return await self._post("send", self._url(self._action), {"Digits": text}, shown)

    async def noinput(self) -> Exchange:
        return await self._post("noinput", self._url(self._redirect), {})

    async def hangup(self) -> Exchange:
        exchange = await self._post("hangup", self._url(""), {"CallStatus": "completed"})
        self.open, self.wait = False, None
        return exchange

    async def agent(self, outcome: str) -> Exchange:
        status = DIAL_STATUS.get(outcome)
        if status is None:
            raise RuntimeError(f"TwiML has no DialCallStatus for {outcome!r}: {', '.join(DIAL_STATUS)}")
        if not self._action:
            raise RuntimeError("no agent transfer is waiting for its outcome")
        return await self._post("agent", self._url(self._action), {"DialCallStatus": status}, outcome)

    async def snapshot(self) -> Session | None:
        return None

    async def close(self) -> None:
        await self._http.close()
