"""The transcript format: a conversation written down as a test.

A transcript names a channel and a subscriber, optional backend fixtures, and
steps. Each step is one action (``send``, ``dial``, ``noinput``, ``hangup``,
``agent`` — the IVR platform's report after a transfer —, ``advance`` the clock,
or swap ``fixtures``) followed by what must come back.
Errors in a transcript file are reported as ``file:line: message`` like flow
errors, so a typo is found as fast as a wrong answer.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from engine.flow.registry import flow_files
from engine.types import AGENT_OUTCOMES, CHANNELS, Channel
from simulator.fixtures import Fixture, FixtureError, parse_fixtures
from simulator.transcripts.checks import CallCheck, TextCheck

ACTIONS = ("send", "dial", "noinput", "hangup", "agent", "advance", "fixtures")
EXPECTS = frozenset({"contains", "not_contains", "regex", "exact", "end", "state", "push", "call", "transfer"})
TOP = frozenset({"name", "channel", "from", "to", "locale", "fixtures", "secrets", "steps"})


class TranscriptError(ValueError):
    """A transcript file that cannot be run; the message starts with ``file:line:``."""


@dataclass(frozen=True, slots=True)
class Step:
    action: str
    line: int
    #: Text for ``send``, service code for ``dial`` ("" = the transcript's ``to``), the outcome for ``agent``.
    value: str = ""
    #: ``send: {secret: NAME}``: the value comes from ``secrets`` or ``MENUFLOW_SECRET_<NAME>``.
    secret: str | None = None
    seconds: float = 0.0
    fixtures: Mapping[str, Fixture | None] = field(default_factory=dict)
    reply: TextCheck | None = None
    end: bool | None = None
    state: str | None = None
    #: True: some SMS was pushed; a TextCheck: one push must match; False: none may be.
    push: TextCheck | bool | None = None
    calls: tuple[CallCheck, ...] = ()
    transfer: str | None = None

    def describe(self) -> str:
        if self.action == "send":
            return f"send {('<secret ' + self.secret + '>') if self.secret else repr(self.value)}"
        if self.action == "dial":
            return f"dial {self.value}".rstrip()
        if self.action == "advance":
            return f"advance clock {self.seconds:g} s"
        if self.action == "agent":
            return f"agents report {self.value}"
        return self.action


@dataclass(frozen=True, slots=True)
class Transcript:
    path: str
    name: str
    channel: Channel
    msisdn: str
    to: str | None
    locale: str | None
    fixtures: Mapping[str, Fixture]
    secrets: Mapping[str, str]
    steps: tuple[Step, ...]

    def secret(self, name: str) -> str | None:
        value = self.secrets.get(name)
        return value if value is not None else os.environ.get(f"MENUFLOW_SECRET_{name.upper()}")


def _text(value: Any) -> str:
    """YAML reads ``1`` as an int; a subscriber only ever types text."""
    if isinstance(value, bool):
        raise TranscriptError("YAML read this as true/false: quote it (\"YES\", \"no\")")
    return "" if value is None else str(value)


def _step(raw: Any, line: int, where: str) -> Step:
    if not isinstance(raw, Mapping):
        raise TranscriptError(f"{where}: a step is a mapping like {{send: '1', contains: ...}}")
    actions = [k for k in raw if k in ACTIONS]
    unknown = sorted(str(k) for k in raw if k not in ACTIONS and k not in EXPECTS)
    if unknown:
        raise TranscriptError(f"{where}: unknown key(s) {', '.join(unknown)}; actions: {', '.join(ACTIONS)}; "
                              f"checks: {', '.join(sorted(EXPECTS))}")
    if len(actions) != 1:
        raise TranscriptError(f"{where}: a step needs exactly one action of {', '.join(ACTIONS)}")
    action = actions[0]
    value, secret, seconds = "", None, 0.0
    fixtures: dict[str, Fixture | None] = {}
    arg = raw[action]
    if isinstance(arg, bool) and action in ("send", "dial") and arg is not True:
        raise TranscriptError(f"{where}: YAML read {action}'s value as false: quote it")
    if action == "send":
        if isinstance(arg, Mapping):
            if set(arg) != {"secret"}:
                raise TranscriptError(f"{where}: send takes text or {{secret: NAME}}")
            secret = str(arg["secret"])
        elif isinstance(arg, bool):
            raise TranscriptError(f"{where}: YAML read send's value as true/false: quote it (\"YES\")")
        else:
            value = _text(arg)
    elif action == "dial":
        value = "" if arg in (None, True) else _text(arg)
    elif action == "agent":
        if arg not in AGENT_OUTCOMES:
            raise TranscriptError(f"{where}: agent takes one of {', '.join(AGENT_OUTCOMES)}, got {arg!r}")
        value = str(arg)
    elif action == "advance":
        if isinstance(arg, bool) or not isinstance(arg, int | float) or arg <= 0:
            raise TranscriptError(f"{where}: advance takes a number of seconds > 0")
        seconds = float(arg)
    elif action == "fixtures":
        try:
            fixtures = {op: None for op, v in (arg or {}).items() if v is None}
            fixtures.update(parse_fixtures({op: v for op, v in (arg or {}).items() if v is not None}))
        except (FixtureError, AttributeError) as exc:
            raise TranscriptError(f"{where}: {exc}") from None
    try:
        reply = TextCheck.parse(raw)
        push = raw.get("push")
        push_check = push if isinstance(push, bool) or push is None else TextCheck.parse(push, required=True)
        calls_raw = raw.get("call")
        calls_list = calls_raw if isinstance(calls_raw, list) else [] if calls_raw is None else [calls_raw]
        calls = tuple(CallCheck.parse(c) for c in calls_list)
    except (ValueError, re.error) as exc:
        raise TranscriptError(f"{where}: {exc}") from None
    end = raw.get("end")
    if end is not None and not isinstance(end, bool):
        raise TranscriptError(f"{where}: end must be true or false")
    state = raw.get("state")
    transfer = raw.get("transfer")
    return Step(action, line, value, secret, seconds, fixtures, reply, end,
                None if state is None else str(state), push_check, calls,
                None if transfer is None else str(transfer))


def load_transcript(path: str) -> Transcript:
    """Read and check one transcript file."""
    with open(path, encoding="utf-8") as fh:
        source = fh.read()
    try:
        root = yaml.compose(source, Loader=yaml.SafeLoader)
        data = yaml.safe_load(source)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        raise TranscriptError(f"{path}:{line}: not valid YAML: {getattr(exc, 'problem', exc)}") from None
    if not isinstance(data, Mapping) or root is None:
        raise TranscriptError(f"{path}:1: a transcript is a mapping with channel, from and steps")
    unknown = sorted(str(k) for k in data if k not in TOP)
    if unknown:
        raise TranscriptError(f"{path}:1: unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(TOP))}")
    channel = data.get("channel")
    if channel not in CHANNELS:
        raise TranscriptError(f"{path}:1: channel must be one of {', '.join(CHANNELS)}, got {channel!r}")
    msisdn = _text(data.get("from"))
    if not msisdn.isdigit():
        raise TranscriptError(f"{path}:1: 'from' must be the subscriber's MSISDN in digits, got {msisdn!r}")
    try:
        fixtures = parse_fixtures(data.get("fixtures"))
    except FixtureError as exc:
        raise TranscriptError(f"{path}:1: {exc}") from None
    steps_raw = data.get("steps")
    if not isinstance(steps_raw, list) or not steps_raw:
        raise TranscriptError(f"{path}:1: 'steps' must be a non-empty list")
    step_nodes = next((v for k, v in root.value if k.value == "steps"), None)
    lines = [n.start_mark.line + 1 for n in step_nodes.value] if step_nodes is not None else []
    steps = tuple(_step(raw, lines[i], f"{path}:{lines[i]}") for i, raw in enumerate(steps_raw))
    secrets = {str(k): _text(v) for k, v in (data.get("secrets") or {}).items()}
    to, locale = data.get("to"), data.get("locale")
    return Transcript(path, str(data.get("name") or os.path.basename(path)), channel, msisdn,
                      None if to is None else _text(to), None if locale is None else str(locale),
                      fixtures, secrets, steps)


def find_transcripts(paths: list[str]) -> list[str]:
    """Every ``*.yaml``/``*.yml`` under the given directories, plus files named directly."""
    return flow_files(paths)
