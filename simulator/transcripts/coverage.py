"""Node and edge coverage of flows by transcripts.

A state counts as covered once any transcript entered it (the engine's
``state`` events); a menu option counts once a subscriber chose it (an
``input`` at a menu followed by entering that option's target). Coverage is
measured against the newest version of every loaded flow.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from engine.flow.registry import FlowRegistry
from engine.ports.events import EngineEvent

StateId = tuple[str, str]  # (flow, state)
OptionId = tuple[str, str, str]  # (flow, menu state, target state)


@dataclass
class Visits:
    """An engine observer collecting states entered and menu options taken."""

    registry: FlowRegistry
    states: set[StateId] = field(default_factory=set)
    options: set[OptionId] = field(default_factory=set)
    _pending: dict[str, tuple[str, str, str]] = field(default_factory=dict)

    def __call__(self, event: EngineEvent) -> None:
        if event.kind == "input":
            self._pending[event.session_key] = (event.flow, event.state, str(event.data.get("text", "")).strip())
        elif event.kind == "state":
            self.states.add((event.flow, event.state))
            pending = self._pending.pop(event.session_key, None)
            if pending is not None:
                self._option(pending, event)
        elif event.kind == "end":
            self._pending.pop(event.session_key, None)

    def _option(self, pending: tuple[str, str, str], event: EngineEvent) -> None:
        flow_id, menu, text = pending
        flow = self.registry.current.get(flow_id)
        node = flow.nodes.get(menu) if flow is not None and flow_id == event.flow else None
        if node is None or not node.options:
            return
        for opt in node.by_channel.get(event.channel, ()):
            if opt.key == text and opt.goto == event.state:
                self.options.add((flow_id, menu, opt.goto))

    def merge(self, other: Visits) -> None:
        self.states |= other.states
        self.options |= other.options


@dataclass(frozen=True, slots=True)
class FlowCoverage:
    flow: str
    states: int
    states_hit: int
    options: int
    options_hit: int
    missed_states: tuple[str, ...]
    missed_options: tuple[str, ...]


def _pct(hit: int, total: int) -> float:
    return 100.0 * hit / total if total else 100.0


@dataclass(frozen=True, slots=True)
class Coverage:
    flows: tuple[FlowCoverage, ...]

    @classmethod
    def measure(cls, registry: FlowRegistry, visits: Visits) -> Coverage:
        out: list[FlowCoverage] = []
        for flow_id in sorted(registry.current):
            flow = registry.current[flow_id]
            states = sorted(flow.nodes)
            options = sorted({(name, o.goto) for name, n in flow.nodes.items() if n.options
                              for o in n.options})
            missed_s = tuple(s for s in states if (flow_id, s) not in visits.states)
            missed_o = tuple(f"{m} -> {g}" for m, g in options if (flow_id, m, g) not in visits.options)
            out.append(FlowCoverage(flow_id, len(states), len(states) - len(missed_s), len(options),
                                    len(options) - len(missed_o), missed_s, missed_o))
        return cls(tuple(out))

    @property
    def state_percent(self) -> float:
        return _pct(sum(f.states_hit for f in self.flows), sum(f.states for f in self.flows))

    @property
    def option_percent(self) -> float:
        return _pct(sum(f.options_hit for f in self.flows), sum(f.options for f in self.flows))

    def lines(self, verbose: bool = False) -> list[str]:
        """A per-flow table; with ``verbose``, the states and options never reached."""
        rows = [f"{'flow':<12} {'states':>14} {'options':>14}"]
        for f in self.flows:
            rows.append(f"{f.flow:<12} {f.states_hit:>4}/{f.states:<4}{_pct(f.states_hit, f.states):5.1f}% "
                        f"{f.options_hit:>4}/{f.options:<4}{_pct(f.options_hit, f.options):5.1f}%")
        rows.append(f"{'TOTAL':<12} {self.state_percent:>13.1f}% {self.option_percent:>13.1f}%")
        for f in self.flows:
            if verbose and f.missed_states:
                rows.append(f"  {f.flow}: states never entered: {', '.join(f.missed_states)}")
            if verbose and f.missed_options:
                rows.append(f"  {f.flow}: options never taken: {', '.join(f.missed_options)}")
        return rows
