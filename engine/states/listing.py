"""``list``: a menu whose options come from the business system — one per item of a call's list result.

Products and prices live in the backend (BOSS), the same in every channel and
on and off sale at the same moment, so a flow lists them instead of copying
them. Each item is labelled by a template over ``item``; the chosen item is
stored whole in ``var``. SMS and USSD number every item (a long USSD list is
cut into pages by the engine's paging); the IVR says a few at a time, with
"more options, press 9", because callers remember at most a handful.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import Field

from engine.flow.building import Building
from engine.flow.channels import PROFILES
from engine.flow.diagnostics import Path
from engine.flow.model import CompiledFlow, COption, Edge, Node, StateKind, Turn
from engine.flow.shapes import Shape, expr_shape
from engine.flow.spec import StateRef, StateSpec, Text, VarName
from engine.flow.templates import Expr, LText
from engine.ports.backend import OperationInfo
from engine.states.menu import Option, render_choices
from engine.types import Wait

#: The IVR key for the next chunk of items.
MORE_KEY = "9"
#: Items the IVR says at once: one place is kept for "more options".
IVR_CHUNK = PROFILES["ivr"].max_ivr_options - 1


class ListState(StateSpec):
    """A menu of the items of a list from the backend, plus optional fixed options after them.

    Example::

        package_list:
          type: list
          text: {zh: 请选择套餐：, en: "Choose a package:"}
          items: catalog.packages
          label: {zh: "{{ item.name_zh }} {{ item.price }}元/月", en: "{{ item.name_en }} {{ item.price }}/month"}
          var: chosen
          goto: confirm_package
          empty: no_packages
          options:
            - {label: {zh: 已订业务, en: My subscriptions}, goto: subscriptions}
    """

    type: Literal["list"]
    text: Text
    items: str = Field(description="Expression giving the list, e.g. `catalog.packages` from a call's result")
    label: Text = Field(description="Each item's label; the item is `item`")
    var: VarName = Field(description="Variable that receives the chosen item (all its fields)")
    goto: StateRef
    empty: StateRef | None = Field(None, description="Where an empty list leads; default: only the fixed options")
    options: list[Option] = Field(default_factory=list, description="Fixed options numbered after the items")
    invalid: Text | None = None
    retries: int | None = Field(None, ge=1, le=10)
    fallback: StateRef | None = None


@dataclass(frozen=True, slots=True)
class ListNode(Node[ListState]):
    items: Expr | None = None
    label: LText | None = None


def items_of(node: Node[Any], ctx: Mapping[str, Any]) -> list[Any]:
    """The list the ``items:`` expression gives now; anything else (a failed lookup) is an empty list."""
    expr = node.items if isinstance(node, ListNode) else None  # pragma: no mutate (equivalent: only lists ask)
    if expr is None:
        return []
    try:
        value = expr.compiled(**ctx)
    except Exception:  # a broken expression lists nothing rather than failing the turn
        return []
    return list(value) if isinstance(value, (list, tuple)) else []


Choice = tuple[str, str, Any]  # (key, label, the item or the fixed option)


def choices(flow: CompiledFlow, node: Node[Any], channel: str, locale: str, ctx: Mapping[str, Any],
            offset: int = 0) -> tuple[list[Choice], bool]:
    """What the channel offers now, numbered; True when the IVR has more items after this chunk."""
    items = items_of(node, ctx)
    label = node.label if isinstance(node, ListNode) else None  # pragma: no mutate (equivalent: only lists ask)
    shown, more = list(enumerate(items)), False
    if channel == "ivr":
        shown, more = shown[offset:offset + IVR_CHUNK], offset + IVR_CHUNK < len(items)
    out: list[Choice] = []
    for n, (_, item) in enumerate(shown, start=1):
        # pragma: no mutate start (equivalent: a list node always has a label)
        text = label.render(channel, locale, flow.locale, {**ctx, "item": item}) if label is not None else str(item)
        # pragma: no mutate end
        out.append((str(n), text, item))
    if not more:
        fixed = [o for o in node.options if (o.channels is None or channel in o.channels) and (
            o.when is None or o.when(ctx))]
        n = len(out)
        for opt in fixed:
            n += 1
            key = opt.key if opt.key != "\x00" else str(n)
            out.append((key, opt.label.render(channel, locale, flow.locale, ctx), opt))
    return out, more


def render_list(flow: CompiledFlow, node: Node[Any], channel: str, locale: str, ctx: Mapping[str, Any],
                offset: int = 0) -> str:
    header = node.text.render(channel, locale, flow.locale, ctx) if node.text else ""  # pragma: no mutate (has one)
    offered, more = choices(flow, node, channel, locale, ctx, offset)
    return render_choices(flow, header, [(k, lab) for k, lab, _ in offered], channel, locale,
                          MORE_KEY if more else None)


class Listing(StateKind[ListState]):
    model = ListState
    waiting = True
    menu_level = True
    shape = ("[/", "/]", "box")

    def edges(self, name: str, spec: ListState) -> Iterator[Edge]:
        yield Edge(("states", name, "goto"), spec.goto, f"chosen → {spec.var}")
        if spec.empty:
            yield Edge(("states", name, "empty"), spec.empty, "empty list")
        if spec.fallback:
            yield Edge(("states", name, "fallback"), spec.fallback, "too many tries")
        for i, opt in enumerate(spec.options):
            yield Edge(("states", name, "options", i, "goto"), opt.goto)

    def texts(self, name: str, spec: ListState) -> Iterator[tuple[Path, Text]]:
        yield from super().texts(name, spec)
        yield ("states", name, "label"), spec.label
        if spec.invalid is not None:
            yield ("states", name, "invalid"), spec.invalid
        for i, opt in enumerate(spec.options):
            yield ("states", name, "options", i, "label"), opt.label

    def expressions(self, name: str, spec: ListState) -> Iterator[tuple[Path, str]]:
        yield ("states", name, "items"), spec.items
        for i, opt in enumerate(spec.options):
            if opt.when:
                yield ("states", name, "options", i, "when"), opt.when

    def defines(self, name: str, spec: ListState) -> Iterator[tuple[Path, str]]:
        yield ("states", name, "var"), spec.var

    def defines_along(self, name: str, spec: ListState, edge: Edge, operations: Mapping[str, OperationInfo]
                      ) -> Iterator[str]:
        if edge.path == ("states", name, "goto"):
            yield spec.var

    def shapes(self, name: str, spec: ListState, operations: Mapping[str, OperationInfo],
               known: Mapping[str, Shape | None]) -> Iterator[tuple[str, Shape | None]]:
        shape, _ = expr_shape(spec.items, known)
        yield spec.var, shape.element if shape is not None else None

    def scope(self, name: str, spec: ListState, path: Path, known: Mapping[str, Shape | None]
              ) -> Mapping[str, Shape | None]:
        if path != ("states", name, "label"):
            return {}
        shape, _ = expr_shape(spec.items, known)
        return {"item": shape.element if shape is not None else None}

    def label(self, flow: CompiledFlow, node: Node[ListState]) -> str:
        return f"{node.name}: list of {node.spec.items}"

    def compile(self, b: Building, name: str, spec: ListState) -> Node[ListState]:
        base: Path = ("states", name)
        options = []
        for i, opt in enumerate(spec.options):
            when = b.expr((*base, "options", i, "when"), opt.when) if opt.when else None
            chans = frozenset(opt.channels) if opt.channels else None
            label = b.text((*base, "options", i, "label"), opt.label)
            options.append(COption(opt.key or "\x00", label, opt.goto, chans, when))
        error = b.text((*base, "invalid"), spec.invalid) if spec.invalid is not None else None
        return ListNode(name, self, spec, b.text((*base, "text"), spec.text), tuple(options), error=error,
                        edges=self.targets(name, spec), items=b.expr((*base, "items"), spec.items),
                        label=b.text((*base, "label"), spec.label))

    async def enter(self, turn: Turn, node: Node[ListState]) -> str | None:
        if node.spec.empty and not items_of(node, turn.ctx()):
            return node.spec.empty
        self.prompt(turn, node)
        return None

    def prompt(self, turn: Turn, node: Node[ListState]) -> None:
        s = turn.session
        offset = s.counters.get("offset", 0)
        turn.say(render_list(turn.flow, node, s.channel, s.locale, turn.ctx(), offset))
        # pragma: no mutate start (equivalent: only keys are read here; the labels' language never changes them)
        offered, _ = choices(turn.flow, node, s.channel, s.locale, turn.ctx(), offset)
        # pragma: no mutate end
        # pragma: no mutate start (equivalent: "choice" is the default kind of Wait)
        turn.wait = Wait("choice", max_digits=max((len(k) for k, _, _ in offered), default=1))
        # pragma: no mutate end

    async def feed(self, turn: Turn, node: Node[ListState], text: str) -> None:
        s = turn.session
        offset = s.counters.get("offset", 0)
        # pragma: no mutate start (equivalent: only keys are read here; the labels' language never changes them)
        offered, more = choices(turn.flow, node, s.channel, s.locale, turn.ctx(), offset)
        # pragma: no mutate end
        if more and text == MORE_KEY:
            s.counters["offset"] = offset + IVR_CHUNK
            self.prompt(turn, node)
            return
        for key, _, picked in offered:
            if key != text:
                continue
            if isinstance(picked, COption):
                await turn.goto(picked.goto)
            else:
                s.vars[node.spec.var] = picked
                turn.changed()
                await turn.goto(node.spec.goto)
            return
        await turn.invalid(node, "invalid_choice")

    def retries(self, spec: ListState) -> int | None:
        return spec.retries

    def fallback_state(self, spec: ListState) -> str | None:
        return spec.fallback


KIND = Listing()
