"""The phone against a running ``menuflow serve``, through the real protocols.

QA then tests exactly what subscribers get: the gateways' parsing, reply
budgets and texts, not just the engine. USSD speaks the generic JSON dialect
(POST ``/ussd``, see ``gateways/ussd/dialects/generic_json.py``); IVR is a
TwiML caller (``remote_ivr``); SMS goes through the SMSC simulator the phone
hosts (``remote_sms``). The server's clock and backend are its own, so the
side panel shows only what the wire carries.
"""

from __future__ import annotations

import itertools
import os
from typing import Any

from engine.session import Session
from engine.types import CHANNELS, Channel, Reply, Wait
from simulator.phone.device import DEFAULT_TO, Action, Device, Exchange
from simulator.phone.lazy_http import LazyHttp
from simulator.phone.model import PhoneModel
from simulator.phone.remote_ivr import RemoteTwimlDevice
from simulator.phone.remote_sms import SmscSmsDevice
from simulator.smsc import SmscSimulator

_IDS = itertools.count(1)


class RemoteUssdDevice:
    """A USSD handset posting to ``{base}/ussd`` in the JSON dialect."""

    def __init__(self, base_url: str, msisdn: str, to: str | None = None, locale: str | None = None,
                 timeout: float = 10.0) -> None:
        self.channel: Channel = "ussd"
        self.msisdn = msisdn
        self.to = to or DEFAULT_TO["ussd"]
        self.locale = locale
        self.open = False
        self.wait: Wait | None = None
        self.url = base_url.rstrip("/") + "/ussd"
        self.session_id = ""
        self._http = LazyHttp(timeout)

    async def _post(self, action: Action, kind: str, text: str = "") -> Exchange:
        body: dict[str, Any] = {"session_id": self.session_id, "msisdn": self.msisdn, "type": kind}
        if kind == "begin":
            body["service_code"] = self.to
        if kind == "continue":
            body["input"] = text
        async with self._http.session().post(self.url, json=body) as resp:
            data = await resp.json(content_type=None)
            if resp.status != 200:
                raise RuntimeError(f"HTTP {resp.status}: {data.get('error', data)}")
        more = data.get("action") == "continue"
        self.open = more and kind != "abort"
        self.wait = Wait("choice", max_digits=3) if self.open else None
        reply = Reply("ussd", self.msisdn, str(data.get("message", "")), self.locale or "zh", self.wait)
        return Exchange(action, text, [reply])

    async def dial(self, code: str | None = None) -> Exchange:
        if code:
            self.to = code
        self.session_id = f"sim-{os.getpid()}-{next(_IDS)}"
        return await self._post("dial", "begin")

    async def send(self, text: str) -> Exchange:
        return await self._post("send", "continue", text)

    async def noinput(self) -> Exchange:
        raise RuntimeError("USSD has no 'no input' event")

    async def agent(self, outcome: str) -> Exchange:
        raise RuntimeError("USSD has no agents: only IVR calls are transferred")

    async def hangup(self) -> Exchange:
        exchange = await self._post("hangup", "abort")
        self.open, self.wait = False, None
        return exchange

    async def snapshot(self) -> Session | None:
        """The server's session store is not ours to read."""
        return None

    async def close(self) -> None:
        await self._http.close()



def remote_model(channel: Channel, msisdn: str, lang: str | None, to: str | None = None, *,
                 url: str | None = None, smsc: SmscSimulator | None = None) -> PhoneModel:
    """A phone on the channels it can reach: USSD and IVR at ``url``, SMS through ``smsc``."""
    channels = tuple(c for c in CHANNELS if (c == "sms" and smsc is not None) or (c != "sms" and url))

    def connect(ch: Channel, number: str, locale: str | None) -> Device:
        first = to if ch == channel else None
        if ch == "sms" and smsc is not None:
            return SmscSmsDevice(smsc, number, first, locale)
        assert url is not None, "no server URL for USSD/IVR"
        if ch == "ivr":
            return RemoteTwimlDevice(url, number, first, locale)
        return RemoteUssdDevice(url, number, first, locale)

    return PhoneModel(connect, channel, msisdn, lang, channels=channels)
