"""Fuzz every HTTP endpoint on one real aiohttp server on loopback: hostile input never answers 5xx.

The server (USSD dialects, TwiML, VoiceXML, admin, healthz, metrics over the real engine and demo
backend) runs in a thread with its own event loop; hypothesis drives a plain client against it.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import aiohttp
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from app.admin import add_admin_routes
from engine.backend.demo import DemoBackend
from engine.clock import ManualClock
from engine.run.build import build_engine
from gateways.http_app import create_http_app, start_http
from gateways.ivr.options import IvrOptions
from gateways.ivr.twiml import add_twiml_routes
from gateways.ivr.vxml import add_vxml_routes
from gateways.ussd import UssdOptions, add_ussd_routes

PATHS = ["/ussd", "/ussd/at", "/ussd/at/events", "/ivr/twiml", "/ivr/vxml", "/admin/reload", "/healthz", "/metrics",
         "/", "/ussd/../admin/reload", "/ivr/twiml?step=input", "/ivr/vxml?step=input&call=x"]
TYPES = ["application/json", "application/x-www-form-urlencoded", "application/x-www-form-urlencoded; charset=latin-1",
         "text/plain", "multipart/form-data; boundary=x", "", "application/json; charset=utf-16"]
FIELDS = ["sessionId", "serviceCode", "phoneNumber", "networkCode", "text", "status", "CallSid", "From", "To", "Digits",
          "CallStatus", "session_id", "msisdn", "service_code", "type", "input", "request_id", "token"]
VALUES = st.one_of(st.text(max_size=40), st.sampled_from(["+8613800138000", "*100#", "1*2*3", "begin", "continue",
                                                          "abort", "\ud800", "9" * 5000, "", "completed"]))


class Served:
    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.base = ""
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(self._start())
        self._ready.set()
        self.loop.run_forever()

    async def _start(self) -> None:
        clock = ManualClock()
        engine = build_engine("flows", DemoBackend(clock=clock), clock=clock)

        async def push(reply: Any) -> None:
            return None

        app = create_http_app(max_body=8192)
        add_admin_routes(app, lambda: [], "")
        add_ussd_routes(app, engine.handle, push, UssdOptions(), clock=clock)
        opts = IvrOptions()
        add_twiml_routes(app, engine.handle, opts, clock)
        add_vxml_routes(app, engine.handle, opts, clock)
        self.runner, port = await start_http(app, "127.0.0.1", 0)
        self.http = aiohttp.ClientSession()
        self.base = f"http://127.0.0.1:{port}"

    def start(self) -> Served:
        self._thread.start()
        self._ready.wait(10)
        return self

    def request(self, method: str, path: str, body: bytes, ctype: str) -> int:
        async def go() -> int:
            headers = {"Content-Type": ctype} if ctype else {}
            async with self.http.request(method, self.base + path, data=body, headers=headers) as resp:
                await resp.read()
                return resp.status

        return asyncio.run_coroutine_threadsafe(go(), self.loop).result(10)

    def stop(self) -> None:
        async def close() -> None:
            await self.http.close()
            await self.runner.cleanup()

        asyncio.run_coroutine_threadsafe(close(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5)


@pytest.fixture(scope="module")
def server() -> Iterator[Served]:
    served = Served().start()
    yield served
    served.stop()


def form(fields: dict[str, str]) -> bytes:
    return "&".join(f"{quote(k)}={quote(v, errors='surrogatepass')}" for k, v in fields.items()).encode()


@given(st.sampled_from(["POST", "GET"]), st.sampled_from(PATHS), st.binary(max_size=300), st.sampled_from(TYPES))
@example("POST", "/ussd", b'{"type":"begin","session_id":"\\ud800","msisdn":"8613800138000","service_code":"*100#"}',
         "application/json")
@example("POST", "/ussd/at", b"sessionId=%ED%A0%80&serviceCode=*100%23&phoneNumber=8613800138000&text=",
         "application/x-www-form-urlencoded")
def test_raw_bodies(server: Served, method: str, path: str, body: bytes, ctype: str) -> None:
    assert server.request(method, path, body, ctype) < 500


@given(st.sampled_from(["/ussd/at", "/ivr/twiml", "/ivr/vxml", "/ussd/at/events"]),
       st.dictionaries(st.sampled_from(FIELDS), VALUES, max_size=8))
def test_forms(server: Served, path: str, fields: dict[str, str]) -> None:
    body = form(fields)
    assert server.request("POST", path, body, "application/x-www-form-urlencoded") < 500


JSON_VALUES = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), VALUES),
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                                                         max_size=3), max_leaves=8)


@given(st.dictionaries(st.sampled_from(FIELDS), JSON_VALUES, max_size=7))
def test_json(server: Served, fields: dict[str, Any]) -> None:
    body = json.dumps(fields).encode()
    assert server.request("POST", "/ussd", body, "application/json") < 500
