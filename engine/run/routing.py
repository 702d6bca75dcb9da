"""Which flow and state an input starts: SMS keywords, USSD codes and star shortcuts, IVR numbers.

The tables are built from the flows of the last load and rebuilt when a
reload installs new ones; a shortcut ``*100*2*1#`` is the code ``*100#``
followed by the inputs 2 and 1.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.flow.registry import FlowRegistry
from engine.flow.spec import normalize_command


@dataclass(frozen=True, slots=True)
class Route:
    flow: str
    state: str | None
    #: For USSD star shortcuts: inputs to replay after the entry (*100*2*1# → ("2", "1")).
    path: tuple[str, ...] = ()


class Router:
    def __init__(self, registry: FlowRegistry) -> None:
        self.registry = registry
        self._generation = -1
        self.sms: dict[str, Route] = {}
        self.ussd: dict[str, Route] = {}
        self.ivr: dict[str, Route] = {}
        self.defaults: dict[str, Route] = {}

    def refresh(self) -> None:
        """Rebuild the tables if flows were (re)loaded since the last look."""
        if self._generation == self.registry.generation:
            return
        sms: dict[str, Route] = {}
        ussd: dict[str, Route] = {}
        ivr: dict[str, Route] = {}
        for f in self.registry.live:
            for trig in f.spec.triggers.sms:
                for word in trig.keywords:
                    sms[normalize_command(word)] = Route(f.id, trig.goto)
            for t in f.spec.triggers.ussd:
                ussd[t.code] = Route(f.id, t.goto)
            for t in f.spec.triggers.ivr:
                ivr[t.code] = Route(f.id, t.goto)
        self.sms, self.ussd, self.ivr = sms, ussd, ivr
        self.defaults = {ch: Route(f.id, None) for f in self.registry.live for ch in f.spec.default_for}
        self._generation = self.registry.generation

    def sms_keyword(self, text: str) -> Route | None:
        self.refresh()
        return self.sms.get(normalize_command(text))

    def ussd_code(self, code: str) -> Route | None:
        """``*100#`` → entry; ``*100*2*1#`` → entry, then inputs 2 and 1."""
        self.refresh()
        if code in self.ussd:
            return self.ussd[code]
        parts = code.rstrip("#").split("*")  # pragma: no mutate (equivalent: "X" is no USSD character)
        for cut in range(len(parts) - 1, 1, -1):
            route = self.ussd.get("*".join(parts[:cut]) + "#")
            if route is not None:
                return Route(route.flow, route.state, tuple(p for p in parts[cut:] if p))
        return None

    def ivr_number(self, number: str) -> Route | None:
        self.refresh()
        return self.ivr.get(number) or self.ivr.get(number.split("?", 1)[0])  # pragma: no mutate ([0] of any split)

    def default(self, channel: str) -> Route | None:
        """Where input no trigger claims goes: the flow that declares ``default_for: [channel]``, if any.

        Never the first flow loaded: adding a file must not change what another flow answers.
        """
        self.refresh()
        return self.defaults.get(channel)
