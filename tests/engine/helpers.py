"""A phone for engine tests: real engine, real demo backend, manual clock."""

from __future__ import annotations

import textwrap
from pathlib import Path

from engine.backend.demo import DemoBackend
from engine.clock import ManualClock
from engine.ports.backend import Backend
from engine.ports.events import EngineEvent
from engine.run.build import build_engine
from engine.run.engine import Engine
from engine.types import Channel, Inbound, Reply

ZH = "8613800138000"
EN = "8613900139000"
POOR = "8613700137000"


def write_flow(tmp: Path, text: str, name: str = "flow.yaml") -> Path:
    path = tmp / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def engine_for(paths: str | list[str], backend: Backend | None = None,
               clock: ManualClock | None = None) -> tuple[Engine, ManualClock, list[EngineEvent]]:
    clock = clock or ManualClock()
    be = backend or DemoBackend(clock=clock)
    engine = build_engine(paths, be, clock=clock)
    events: list[EngineEvent] = []
    engine.observers.append(events.append)
    return engine, clock, events


class Phone:
    def __init__(self, engine: Engine, channel: Channel, msisdn: str = ZH, to: str = "",
                 call: str = "c1") -> None:
        self.engine = engine
        self.channel = channel
        self.msisdn = msisdn
        self.to = to or {"sms": "10086", "ussd": "*100#", "ivr": "10086"}[channel]
        self.call = call
        self.last: list[Reply] = []

    def _key(self) -> str:
        return self.msisdn if self.channel == "sms" else self.call

    async def dial(self, code: str | None = None) -> Reply:
        self.last = await self.engine.handle(Inbound(self.channel, self.msisdn, "", "begin", self._key(),
                                                     code or self.to))
        return self.last[0]

    async def send(self, text: str, event: str = "input") -> Reply:
        self.last = await self.engine.handle(Inbound(self.channel, self.msisdn, text, event,  # type: ignore[arg-type]
                                                     self._key(), self.to))
        return self.last[0]

    @property
    def pushes(self) -> list[Reply]:
        return [r for r in self.last if r.push]
