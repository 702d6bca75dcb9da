"""Small flows written inline, compiled by the real compiler and run by the real engine and Turn.

Each state kind's tests build the few states they need on top of ``HEAD``
(triggers on every channel, entry ``main``) instead of sharing one big flow,
so a failure points at the kind that broke.
"""

from __future__ import annotations

import textwrap
from typing import Any

from engine.backend.demo import DemoBackend
from engine.clock import ManualClock
from engine.flow.compiler import compile_spec, parse_file
from engine.flow.diagnostics import FlowError
from engine.flow.model import CompiledFlow
from engine.flow.registry import FlowRegistry
from engine.ports.backend import Backend
from engine.ports.events import EngineEvent
from engine.run.build import profile_locale
from engine.run.engine import Engine
from engine.run.turn import Turn
from engine.session import Session
from engine.states import LANGUAGE
from engine.store.memory import MemoryStore
from engine.types import Channel
from simulator.fixtures import FixtureBackend, parse_fixture
from tests.engine.helpers import ZH, Phone

HEAD = """\
flow: {flow}
title: {{zh: 测试, en: Test}}
version: {version}
entry: {entry}
triggers:
  sms: [{{keywords: [{keyword}]}}]
  ussd: [{{code: "{code}"}}]
  ivr: [{{code: "{number}"}}]
"""


def flow_text(states: str, *, flow: str = "k", version: int = 1, extra: str = "", keyword: str = "GO",
              code: str = "*100#", number: str = "10086", entry: str = "main") -> str:
    """A flow file: ``HEAD``, any top-level ``extra`` settings, then ``states`` (indented YAML, dedented here)."""
    head = HEAD.format(flow=flow, version=version, keyword=keyword, code=code, number=number, entry=entry)
    body = textwrap.indent(textwrap.dedent(states).strip("\n"), "  ")
    return head + textwrap.dedent(extra) + "states:\n" + body + "\n"


def compile_text(text: str, file: str = "f.yaml") -> CompiledFlow:
    """Compile one flow file's text; raises FlowError with located diagnostics."""
    spec, positions, diags = parse_file(LANGUAGE, file, text)
    if diags or spec is None:
        raise FlowError(diags)
    return compile_spec(LANGUAGE, spec, file, positions, text)


def compile_states(states: str, **head: Any) -> CompiledFlow:
    return compile_text(flow_text(states, **head))


def errors_of(text: str) -> list[str]:
    """The located diagnostics a broken flow file gets, as the CLI prints them."""
    try:
        compile_text(text)
    except FlowError as exc:
        return [str(d) for d in exc.diagnostics]
    raise AssertionError("the flow compiled")


def registry_of(*flows: CompiledFlow) -> FlowRegistry:
    registry = FlowRegistry(LANGUAGE)
    registry.install(list(flows))
    return registry


class Kit:
    """An engine over inline flows, with the demo backend (optionally with fixtures) and a manual clock."""

    def __init__(self, *flows: CompiledFlow, fixtures: dict[str, Any] | None = None,
                 backend: Backend | None = None) -> None:
        self.clock = ManualClock()
        self.demo = DemoBackend(clock=self.clock)
        inner = backend or self.demo
        self.backend = FixtureBackend(inner, {op: parse_fixture(op, raw) for op, raw in (fixtures or {}).items()})
        self.registry = registry_of(*flows)
        self.engine = Engine(self.registry, self.backend, MemoryStore(self.clock), self.clock,
                             locale_lookup=profile_locale(self.backend))
        self.events: list[EngineEvent] = []
        self.engine.observers.append(self.events.append)

    def phone(self, channel: Channel, msisdn: str = ZH, call: str = "c1", to: str = "") -> Phone:
        return Phone(self.engine, channel, msisdn, to=to, call=call)

    def turn(self, channel: Channel = "ussd", locale: str = "zh", flow: str | None = None,
             state: str | None = None) -> Turn:
        """A Turn standing in ``state`` (default: the entry) of a fresh session, before anything ran."""
        f = self.registry.current[flow] if flow else next(iter(self.registry.current.values()))
        session = Session(f"{channel}:t", ZH, channel, f.id, f.version, state or f.spec.entry, locale,
                          self.clock.now())
        return Turn(self.engine.world, session, f, self.clock.now())

    def of(self, kind: str) -> list[EngineEvent]:
        return [e for e in self.events if e.kind == kind]

