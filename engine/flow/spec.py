"""The flow language's shared vocabulary: texts, triggers, navigation, the flow file itself.

Each state kind declares its own model in ``engine/states/``; ``Language``
joins them into the discriminated union a flow file's ``states:`` is checked
against. These models are the single source of truth for validation and for
``flows/schema.json`` (``menuflow schema``). Semantics that need the whole
document (unknown states, templates, reachability) live in the compiler and
the linter, which report through the same located diagnostics.
"""

from __future__ import annotations

import unicodedata
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

ChannelName = Literal["sms", "ussd", "ivr"]
Locale = Literal["zh", "en"]
DEFAULT_LOCALES: tuple[Locale, ...] = ("zh", "en")
StateRef = Annotated[str, Field(min_length=1, description="Name of a state in this flow")]
#: Flow variables: the engine keeps its own bookkeeping in session slots, so a leading ``_`` is refused.
VarName = Annotated[str, Field(pattern=r"^[a-z_][a-z0-9_]*$")]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True, frozen=True)


class LocaleText(Model):
    zh: str | None = None
    en: str | None = None


class TextSpec(Model):
    """A text in each locale, with optional per-channel overrides and an IVR prompt id."""

    zh: str | None = None
    en: str | None = None
    sms: str | LocaleText | None = None
    ussd: str | LocaleText | None = None
    ivr: str | LocaleText | None = None
    audio: str | None = Field(None, description="Recorded IVR prompt id played instead of TTS")


Text = str | TextSpec


class StateSpec(Model):
    """What every state kind's model shares; ``type`` picks the kind."""

    type: str
    note: str | None = Field(None, description="Free comment for authors; ignored")


def normalize_command(text: str) -> str:
    """Full-width → half-width, case folded, inner spaces dropped: how SMS keywords match."""
    # pragma: no mutate start (equivalent: upper or lower, every comparison normalises both sides here)
    return "".join(unicodedata.normalize("NFKC", text).split()).upper()
    # pragma: no mutate end


class SmsTrigger(Model):
    keywords: list[str] = Field(min_length=1, description="Commands and aliases, case-insensitive")
    goto: StateRef | None = Field(None, description="Start state; default: the flow's entry")


class CodeTrigger(Model):
    code: str = Field(description="USSD service code (*100#) or IVR called number (10086)")
    goto: StateRef | None = None


class Triggers(Model):
    sms: list[SmsTrigger] = Field(default_factory=list)
    ussd: list[CodeTrigger] = Field(default_factory=list)
    ivr: list[CodeTrigger] = Field(default_factory=list)


class NavKeys(Model):
    main: list[str] | None = None
    back: list[str] | None = None
    repeat: list[str] | None = None
    agent: list[str] | None = None
    more: list[str] | None = Field(None, description="USSD: next page")


class Navigation(Model):
    sms: NavKeys | None = None
    ussd: NavKeys | None = None
    ivr: NavKeys | None = None


class ConfirmConfig(Model):
    yes: list[str] = Field(default_factory=lambda: ["是", "Y", "YES", "1"])
    no: list[str] = Field(default_factory=lambda: ["否", "N", "NO", "2"])
    window: int = Field(300, ge=10, le=86400)


class AgentConfig(Model):
    target: str = Field(description="Queue or number an IVR caller is transferred to")
    hours: str | None = Field(None, pattern=r"^\d{2}:\d{2}-\d{2}:\d{2}$", description="e.g. 08:00-22:00")
    #: Bounded by what every IVR platform accepts: Twilio's <Dial timeout> takes 5 to 600 seconds.
    max_wait: int | None = Field(
        None, ge=5, le=600,
        description="Seconds an IVR caller may wait for an agent. Past it, or when the queue is full or has no "
        "agents, the caller hears agent_busy and gets the busy SMS agent_wait_sms")


class FlowSpec(Model):
    """One flow file."""

    flow: str = Field(pattern=r"^[A-Za-z0-9_.-]+$", description="Flow id, unique across files")
    title: Text
    version: int = Field(ge=1)
    locale: Locale = "zh"
    locales: list[Locale] = Field(default_factory=lambda: list(DEFAULT_LOCALES))
    entry: StateRef
    triggers: Triggers = Field(default_factory=Triggers)
    navigation: Navigation = Field(default_factory=Navigation)
    confirm: ConfirmConfig = Field(default_factory=lambda: ConfirmConfig())
    agent: AgentConfig | None = None
    retries: int = Field(3, ge=1, le=10, description="Default invalid tries before a fallback")
    messages: dict[str, Text] = Field(default_factory=dict, description="Overrides of built-in texts")
    secrets: list[str] = Field(default_factory=list, description="Extra variables to treat as secret")
    default_for: list[ChannelName] = Field(
        default_factory=list,
        description="Channels on which this flow answers what no trigger claims: unrecognised SMS text (sms), "
        "unknown USSD codes (ussd), unknown called numbers (ivr). At most one flow per channel.")
    #: Narrowed by ``Language`` to the union of the registered kinds' models.
    states: dict[str, StateSpec] = Field(min_length=1)
