"""Compiled flows: immutable graphs shared by every session on that version."""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, NamedTuple, Protocol, TypeVar, get_args

from engine.flow.building import Building
from engine.flow.diagnostics import Diagnostic, Path
from engine.flow.machine import FlowMachine
from engine.flow.shapes import Shape
from engine.flow.spec import FlowSpec, StateSpec, Text
from engine.flow.templates import Expr, LText, Tpl
from engine.flow.yamlpos import Positions, locate
from engine.ports.backend import OperationInfo
from engine.session import Session
from engine.types import Wait

S = TypeVar("S", bound=StateSpec)

#: Returned by ``StateKind.enter`` when the session already stands in its next
#: state (a subflow's entry), so no edge is fired to get there.
JUMP = "\x00jump"


@dataclass(frozen=True, slots=True)
class COption:
    key: str
    label: LText
    goto: str
    channels: frozenset[str] | None
    when: Expr | None


@dataclass(frozen=True, slots=True)
class Node(Generic[S]):
    """One state, with its texts and expressions compiled; ``kind`` says what it does."""

    name: str
    kind: StateKind[Any]
    spec: S
    text: LText | None = None
    options: tuple[COption, ...] = ()
    #: Options shown on each channel, numbered there: hiding an option on one
    #: channel never leaves a gap in the numbers the others see.
    by_channel: Mapping[str, tuple[COption, ...]] = field(default_factory=dict)
    cases: tuple[tuple[Expr, str], ...] = ()
    params: Mapping[str, Tpl] = field(default_factory=dict)
    pattern: re.Pattern[str] | None = None
    #: The hint said after an invalid input (a menu's ``invalid``, an input's ``error``).
    error: LText | None = None
    edges: tuple[str, ...] = ()
    #: Text, labels and visibility do not depend on variables: the menu can be rendered once.
    static: bool = False

    @property
    def waiting(self) -> bool:
        return self.kind.waiting

    @property
    def ends(self) -> bool:
        """Ends the session (or the subflow) after it runs."""
        return self.kind.ends(self.spec)


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
    nodes: dict[str, Node[Any]]
    title: LText
    messages: dict[str, LText]
    nav: dict[str, NavKeys]
    #: For "back": the menu that first leads to each state (breadth-first from entry).
    parent: dict[str, str]
    secrets: frozenset[str]
    machine: FlowMachine
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

    def message(self, key: str, channel: str, locale: str, ctx: Mapping[str, Any]) -> str:
        """A built-in text (or this flow's override of it), rendered."""
        return self.messages[key].render(channel, locale, self.locale, ctx)

    def footers(self, locale: str) -> tuple[str, str]:
        """The localized "98 更多" / "0 返回" USSD page lines, with the flow's configured keys."""
        cached: tuple[str, str] | None = self.cache.get(("", "footers", locale))  # pragma: no mutate (a cache)
        if cached is None:
            nav = self.nav["ussd"]
            more_key = sorted(nav.more)[0] if nav.more else "98"
            back_key = sorted(nav.back)[0] if nav.back else "0"
            more = f"{more_key} {self.message('more', 'ussd', locale, {})}"
            back = f"{back_key} {self.message('back', 'ussd', locale, {})}"
            cached = self.cache[("", "footers", locale)] = (more, back)  # pragma: no mutate (equivalent: a cache)
        return cached


#: Characters of a state's text shown in its ``menuflow graph`` box.
LABEL_CHARS = 24
_TAG = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.S)


def cut_label(text: str, limit: int) -> str:
    """The first ``limit`` characters, never ending inside a ``{{ ... }}`` or ``{% ... %}``."""
    if len(text) <= limit:
        return text
    cut = limit
    for tag in _TAG.finditer(text):
        if tag.start() < cut < tag.end():  # pragma: no mutate (equivalent: a cut at the tag's end stays there)
            cut = tag.end() if tag.end() - limit <= LABEL_CHARS // 2 else tag.start()  # pragma: no mutate (// or /)
            break
    return text[:cut] + "…"


class Edge(NamedTuple):
    """A state name a spec refers to: where it is written, and what the graph calls the arrow."""

    path: Path
    target: str
    label: str = ""


def warning(flow: CompiledFlow, path: Path, message: str) -> Diagnostic:
    line, col = locate(flow.positions, path)
    return Diagnostic(flow.file, line, col, "warning", path, message)


class Turn(Protocol):
    """What a state may do while a turn runs it; the runtime's ``Turn`` implements this."""

    session: Session
    flow: CompiledFlow
    now: float
    wait: Wait | None

    def ctx(self) -> dict[str, Any]: ...
    def changed(self) -> None: ...
    def say(self, text: str, audio: str | None = None) -> None: ...
    def say_node(self, node: Node[Any]) -> None: ...
    def say_msg(self, key: str, **extra: Any) -> None: ...
    def text(self, node: Node[Any]) -> str: ...
    def end(self) -> None: ...
    def push_sms(self, text: str) -> None: ...
    def emit(self, kind: str, **data: Any) -> None: ...
    async def goto(self, target: str) -> None: ...
    async def invalid(self, node: Node[Any], default_key: str) -> None: ...
    async def fallback(self, node: Node[Any]) -> None: ...
    def enter_subflow(self, flow_id: str, caller: str) -> str | None: ...
    def leave_subflow(self) -> str | None: ...
    def transfer(self, target: str, node: Node[Any] | None) -> None: ...
    def operation(self, name: str) -> OperationInfo | None: ...
    async def call_backend(self, name: str, params: dict[str, Any]) -> dict[str, Any]: ...
    def note_secret(self, paths: list[str]) -> None: ...
    async def allowed(self, info: OperationInfo) -> str | None: ...
    async def proved(self, info: OperationInfo, ok: bool) -> None: ...
    def set_locale(self, locale: str) -> None: ...


class StateKind(ABC, Generic[S]):
    """One kind of state (menu, input, call...): everything the language and the runtime ask of it.

    The compiler, linter, graph and prompt exporters and the runtime all ask
    the kind, so adding a kind is one module in ``engine/states/`` and one
    registration line; nothing switches on kind names.
    """

    #: The pydantic model of this kind's YAML, with a ``type: Literal[...]``.
    model: ClassVar[type[StateSpec]]
    #: Waits for the subscriber's input after its prompt.
    waiting: ClassVar[bool] = False
    #: On SMS, text sent while waiting here is input even if it is also a keyword.
    holds_text: ClassVar[bool] = False
    #: "Back" from a state below returns here.
    menu_level: ClassVar[bool] = False
    #: Continues in another flow's graph (cycles through it are not this flow's loops).
    leaves_flow: ClassVar[bool] = False
    #: An explicit yes before what follows (the linter's "paid without confirm" check).
    guards_payment: ClassVar[bool] = False
    #: Hands control back to the flow that called this one as a subflow.
    returns: ClassVar[bool] = False
    #: Mermaid brackets and Graphviz shape for ``menuflow graph``.
    shape: ClassVar[tuple[str, str, str]] = ("(", ")", "ellipse")

    @property
    def types(self) -> tuple[str, ...]:
        """The ``type:`` values this kind answers to."""
        return tuple(get_args(self.model.model_fields["type"].annotation))

    # -- the language --------------------------------------------------------
    def edges(self, name: str, spec: S) -> Iterator[Edge]:
        goto = getattr(spec, "goto", None)
        if goto:
            yield Edge(("states", name, "goto"), goto)

    def texts(self, name: str, spec: S) -> Iterator[tuple[Path, Text]]:
        """Author-written texts (for translation checks and template variables)."""
        text = getattr(spec, "text", None)
        if text is not None:
            yield ("states", name, "text"), text

    def templates(self, name: str, spec: S) -> Iterator[tuple[Path, str]]:
        """Templates outside texts (call parameters, assignments)."""
        return iter(())

    def expressions(self, name: str, spec: S) -> Iterator[tuple[Path, str]]:
        return iter(())

    def defines(self, name: str, spec: S) -> Iterator[tuple[Path, str]]:
        """Variables this state sets, with where their names are written."""
        return iter(())

    def defines_along(self, name: str, spec: S, edge: Edge, operations: Mapping[str, OperationInfo]
                      ) -> Iterator[str]:
        """Variables set when the state leaves along ``edge`` (a call's result only on success)."""
        for _, var in self.defines(name, spec):  # pragma: no mutate (equivalent: the name is only in the path)
            yield var

    def shapes(self, name: str, spec: S, operations: Mapping[str, OperationInfo], known: Mapping[str, Shape | None]
               ) -> Iterator[tuple[str, Shape | None]]:
        """Fields of the variables this state fills (a call's result, a chosen list item), for the linter."""
        return iter(())

    def scope(self, name: str, spec: S, path: Path, known: Mapping[str, Shape | None]) -> Mapping[str, Shape | None]:
        """Names a template at ``path`` reads besides session variables (a list label's ``item``)."""
        return {}

    def secret_vars(self, spec: S) -> Iterator[str]:
        return iter(())

    def operation(self, spec: S) -> str | None:
        """The backend operation this state runs, if any."""
        return None

    def flows_used(self, name: str, spec: S) -> Iterator[tuple[Path, str]]:
        """Other flows this state runs (checked across files by the registry)."""
        return iter(())

    def ends(self, spec: S) -> bool:
        """Ends the session (or the subflow) after it runs."""
        return False

    def compile(self, b: Building, name: str, spec: S) -> Node[S]:
        source: Text | None = getattr(spec, "text", None)  # kinds without a text simply have none
        text = b.text(("states", name, "text"), source) if source is not None else None
        static = text is None or all(t.static for t in text.by_key.values())
        return Node(name, self, spec, text, edges=self.targets(name, spec), static=static)

    def targets(self, name: str, spec: S) -> tuple[str, ...]:
        return tuple(dict.fromkeys(e.target for e in self.edges(name, spec)))

    def lint(self, flow: CompiledFlow, node: Node[S]) -> Iterator[Diagnostic]:
        """This kind's own warnings (channel fit, option keys...)."""
        return iter(())

    def label(self, flow: CompiledFlow, node: Node[S]) -> str:
        """The box text in ``menuflow graph``: name, kind, first line of the text."""
        head = f"{node.name}: {node.spec.type}"
        if node.text is not None:
            # pragma: no mutate start (equivalent: every text has the flow's own language for any channel)
            src = node.text.get("", flow.locale, flow.locale).source.split("\n")[0]
            # pragma: no mutate end
            if src:
                head += f"\\n{cut_label(src, LABEL_CHARS)}"
        return head

    def graph_edges(self, flow: CompiledFlow, node: Node[S]) -> list[tuple[str, str]]:
        """Arrows for ``menuflow graph``: (target, label), in the order a reader scans them."""
        return [(e.target, e.label) for e in self.edges(node.name, node.spec)]  # pragma: no mutate (name: path only)

    def ivr_text(self, flow: CompiledFlow, node: Node[S], locale: str) -> str:
        """What the IVR says on entering, for the recording studio's list."""
        return node.text.get("ivr", locale, flow.locale).source if node.text is not None else ""

    # -- the runtime ---------------------------------------------------------
    @abstractmethod
    async def enter(self, turn: Turn, node: Node[S]) -> str | None:
        """Run the state; return the next state for automatic ones, None when waiting or ended."""

    def prompt(self, turn: Turn, node: Node[S]) -> None:
        """Say the prompt and set how to collect the answer (waiting kinds)."""
        raise NotImplementedError(f"{node.spec.type} states do not wait for input")

    async def feed(self, turn: Turn, node: Node[S], text: str) -> None:
        """Apply the subscriber's input (waiting kinds)."""
        raise NotImplementedError(f"{node.spec.type} states do not take input")

    async def give_up(self, turn: Turn, node: Node[S]) -> None:
        """Too many invalid inputs or silences."""
        await turn.fallback(node)

    def retries(self, spec: S) -> int | None:
        return None

    def fallback_state(self, spec: S) -> str | None:
        """Where too many invalid inputs lead, when the state says."""
        return None

    def navigable(self, node: Node[S]) -> bool:
        """Navigation keys (main menu, back, repeat, agent) act while waiting here."""
        return True

    def shown_input(self, node: Node[S], text: str) -> str:
        """The input as observers (transcripts, the simulator) may see it."""
        return text
