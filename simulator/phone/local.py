"""The phone's default world: flows, the demo operator and the engine, in this process.

Everything QA controls lives here: the clock it advances, the fixtures it
switches on, and the flow reload (new sessions get the new version; a live
session keeps the one it started on).
"""

from __future__ import annotations

from engine.backend.loader import load_backend
from engine.flow.diagnostics import FlowError
from engine.flow.registry import FlowRegistry
from engine.ports.backend import Backend
from engine.run.build import build_engine
from engine.run.engine import Engine
from engine.types import Channel
from simulator.fixtures import Fixture, FixtureBackend
from simulator.phone.device import LocalDevice
from simulator.phone.model import OffsetClock, PhoneModel


class LocalWorld:
    def __init__(self, registry: FlowRegistry, backend: str | Backend = "demo", to: str | None = None) -> None:
        self.clock = OffsetClock()
        inner = load_backend(backend, clock=self.clock) if isinstance(backend, str) else backend
        self.backend = FixtureBackend(inner)
        self.engine: Engine = build_engine(registry, self.backend, clock=self.clock)
        self.to = to
        #: The channel ``to`` was given for (``--to *100#`` means nothing to SMS).
        self.to_channel: Channel | None = None

    def connect(self, channel: Channel, msisdn: str, lang: str | None) -> LocalDevice:
        return LocalDevice(self.engine, channel, msisdn, self.to if channel == self.to_channel else None, lang)

    def reload(self) -> str:
        registry = self.engine.registry
        try:
            registry.load()
        except FlowError as exc:
            first = exc.diagnostics[0] if exc.diagnostics else "unknown error"
            return f"reload failed ({len(exc.diagnostics)} problems), flows unchanged: {first}"
        versions = ", ".join(f"{f.id} v{f.version}" for f in registry.current.values())
        return f"flows reloaded: {versions}; the current session keeps its version"

    def set_fixture(self, op: str, fixture: Fixture | None) -> str:
        if op not in self.backend.operations():
            return f"unknown operation {op!r}; known: {', '.join(sorted(self.backend.operations()))}"
        self.backend.set(op, fixture)
        return ""

    def model(self, channel: Channel, msisdn: str, lang: str | None) -> PhoneModel:
        """A phone wired to this world (``--to`` applies to the channel it was given for)."""
        self.to_channel = channel
        return PhoneModel(self.connect, channel, msisdn, lang, advance_clock=self.clock.advance,
                          reload_flows=self.reload, set_fixture=self.set_fixture)

    async def close(self) -> None:
        await self.backend.close()
