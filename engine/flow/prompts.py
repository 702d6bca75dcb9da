"""Every IVR prompt per locale, for a recording studio (``menuflow prompts export``).

Ids match what the engine puts in ``Reply.audio``: a state's ``audio`` or
``flow/state``, ``flow/state/error`` for its error text and
``flow/msg/KEY`` for the engine's own texts. Prompts with template markup
vary per caller; they are listed so the studio sees them, marked dynamic by
the exporter.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from engine.flow.registry import FlowRegistry


@dataclass(frozen=True, slots=True)
class Prompt:
    flow: str
    state: str
    id: str
    locale: str
    text: str


def iter_prompts(registry: FlowRegistry) -> Iterator[Prompt]:
    for flow in registry.current.values():
        for loc in flow.spec.locales:
            for name, node in flow.nodes.items():
                if node.text is None:
                    continue
                pid = node.text.audio or f"{flow.id}/{name}"
                text = node.kind.ivr_text(flow, node, loc)
                if text:
                    yield Prompt(flow.id, name, pid, loc, text)
                if node.error is not None:
                    yield Prompt(flow.id, name, f"{flow.id}/{name}/error", loc,
                                 node.error.get("ivr", loc, flow.locale).source)
            for key, message in flow.messages.items():
                yield Prompt(flow.id, "", f"{flow.id}/msg/{key}", loc, message.get("ivr", loc, flow.locale).source)
