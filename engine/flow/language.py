"""The set of state kinds a flow may use, and the flow-file model they make together.

``engine.states`` registers the kinds; everything in ``engine.flow`` takes a
``Language`` rather than importing them, so the language machinery never
depends on any one kind.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any

from pydantic import BaseModel, Field, create_model

from engine.flow import spec as common
from engine.flow.model import StateKind
from engine.flow.spec import FlowSpec, StateSpec


@dataclass(frozen=True)
class Language:
    kinds: tuple[StateKind[Any], ...]
    by_type: Mapping[str, StateKind[Any]] = field(init=False)
    #: ``FlowSpec`` with ``states:`` narrowed to the kinds' discriminated union.
    flow_model: type[FlowSpec] = field(init=False)

    def __post_init__(self) -> None:
        by_type: dict[str, StateKind[Any]] = {}
        for kind in self.kinds:
            for name in kind.types:
                if name in by_type:
                    raise ValueError(f"state type {name!r} registered twice")
                by_type[name] = kind
        union: Any = functools.reduce(operator.or_, (k.model for k in self.kinds))
        states: Any = (dict[str, Annotated[union, Field(discriminator="type")]], Field(min_length=1))
        # pragma: no mutate start (equivalent: the model's name shows nowhere: the schema title is set by the command)
        model = create_model("FlowSpec", __base__=FlowSpec, __doc__=FlowSpec.__doc__, states=states)
        # pragma: no mutate end
        object.__setattr__(self, "by_type", by_type)
        object.__setattr__(self, "flow_model", model)

    def kind(self, spec: StateSpec) -> StateKind[Any]:
        return self.by_type[spec.type]

    @property
    def type_names(self) -> str:
        return ", ".join(self.by_type)

    @functools.cached_property
    def vocabulary(self) -> list[str]:
        """Every key the flow language knows, for "did you mean" hints."""
        models: list[type[BaseModel]] = [k.model for k in self.kinds]
        models += [obj for obj in vars(common).values()
                   if isinstance(obj, type) and issubclass(obj, BaseModel) and obj.__module__ == common.__name__]
        names: set[str] = set()
        for m in models:
            names |= set(m.model_fields)
        return sorted(names)
