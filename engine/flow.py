"""Compiled flows: immutable graphs shared by every session on that version."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from transitions import Machine

from engine.spec import FlowSpec
from engine.templates import Expr, LText, Tpl
from engine.yamlpos import Positions

WAITING = frozenset({"menu", "input", "confirm"})
TERMINAL = frozenset({"transfer", "return"})


@dataclass(frozen=True, slots=True)
class COption:
    key: str
    label: LText
    goto: str
    channels: frozenset[str] | None
    when: Expr | None


@dataclass(frozen=True, slots=True)
class Node:
    """One state, with its texts and expressions compiled."""

    name: str
    kind: str
    spec: Any
    text: LText | None = None
    options: tuple[COption, ...] = ()
    #: Options shown on each channel, numbered there: hiding an option on one
    #: channel never leaves a gap in the numbers the others see.
    by_channel: Mapping[str, tuple[COption, ...]] = field(default_factory=dict)
    cases: tuple[tuple[Expr, str], ...] = ()
    params: Mapping[str, Tpl] = field(default_factory=dict)
    pattern: re.Pattern[str] | None = None
    error: LText | None = None
    edges: tuple[str, ...] = ()
    #: Text, labels and visibility do not depend on variables: the menu can be rendered once.
    static: bool = False

    @property
    def waiting(self) -> bool:
        return self.kind in WAITING

    @property
    def ends(self) -> bool:
        """Ends the session (or the subflow) after it runs."""
        return self.kind in TERMINAL or (self.kind in ("message", "end", "send") and self.spec.goto is None)


@dataclass(frozen=True, slots=True)
class NavKeys:
    main: frozenset[str]
    back: frozenset[str]
    repeat: frozenset[str]
    agent: frozenset[str]
    more: frozenset[str]


@dataclass(slots=True)
class CompiledFlow:
    spec: FlowSpec
    file: str
    positions: Positions
    nodes: dict[str, Node]
    title: LText
    messages: dict[str, LText]
    nav: dict[str, NavKeys]
    #: For "back": the menu that first leads to each state (breadth-first from entry).
    parent: dict[str, str]
    secrets: frozenset[str]
    machine: Machine
    digest: str
    #: Renders that depend only on (state, channel, locale): static menus, page footers.
    cache: dict[tuple[str, str, str], Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return self.spec.flow

    @property
    def version(self) -> int:
        return self.spec.version

    @property
    def locale(self) -> str:
        return self.spec.locale

    def fire(self, session: Any, dest: str) -> None:
        """Move ``session`` along a declared edge through the shared machine."""
        self.machine.events[f"{session.state}>{dest}"].trigger(session)
