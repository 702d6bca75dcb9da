"""``menuflow sim --record FILE``: a walk-through written down as a transcript.

Each exchange becomes a step whose checks are what came back: the state it
reached, whether the dialog ended, pushes and transfers, and the first line of
the reply. Figures that change from day to day (amounts with decimals, dates,
times, ticket and order numbers of four digits or more) become patterns in a
regex, so the transcript still passes when replayed on another day; the small
numbers that name a product ("5元100MB") stay, so a recorded test still tells
one package from another. Secret inputs are never written: the step says ``send: {secret: NAME}``
and the value comes from ``MENUFLOW_SECRET_<NAME>`` (or a ``secrets:`` block)
when the transcript runs.
"""

from __future__ import annotations

import os
import re
from typing import Any

import yaml

from simulator.fixtures import Fixture
from simulator.phone.device import Exchange

#: Figures that vary between runs: dates and times, amounts with decimals, long numbers (with any letter prefix).
_VOLATILE = re.compile(r"\d{4}-\d{2}(?:-\d{2})?|\d{1,2}:\d{2}(?::\d{2})?|\d+\.\d+|\d{4,}")
_PATTERN = {"date": r"\d{4}-\d{2}(?:-\d{2})?", "time": r"\d{1,2}:\d{2}(?::\d{2})?", "number": r"\d+(?:\.\d+)?"}


def _pattern(figure: str) -> str:
    if re.fullmatch(_PATTERN["date"], figure):
        return _PATTERN["date"]
    if ":" in figure:
        return _PATTERN["time"]
    return _PATTERN["number"]


def _text_check(text: str) -> dict[str, str]:
    line = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    if not line:
        return {}
    figures = list(_VOLATILE.finditer(line))
    if not figures:
        return {"contains": line}
    out, last = [], 0
    for m in figures:
        out += [re.escape(line[last:m.start()]), _pattern(m.group())]
        last = m.end()
    out.append(re.escape(line[last:]))
    return {"regex": "".join(out)}


def step_of(ex: Exchange, to: str) -> dict[str, Any]:
    """One transcript step (action and checks) for an exchange."""
    step: dict[str, Any]
    if ex.action == "dial":
        step = {"dial": to}
    elif ex.action == "send":
        step = {"send": {"secret": ex.secret} if ex.secret else ex.shown}
    elif ex.action == "agent":
        step = {"agent": ex.shown}
    else:
        step = {ex.action: True}
    reply = ex.reply
    if reply is None:
        return step
    if ex.action != "hangup":
        step.update(_text_check(reply.text))
    if ex.after:
        step["state"] = ex.after
    step["end"] = reply.end
    if ex.pushes:
        step["push"] = True
    if reply.transfer is not None:
        step["transfer"] = reply.transfer.target
    return step


def _fixture_dict(f: Fixture | None) -> dict[str, Any] | None:
    if f is None:
        return None
    if f.fail is None:
        return {"result": dict(f.result or {})}
    return {"fail": f.fail, **({"code": f.code} if f.code else {})}


class Recorder:
    """Collects steps; a change of channel, subscriber or language starts a new transcript."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.segments: list[dict[str, Any]] = []
        self._key: tuple[str, str, str | None] | None = None
        self._held: list[dict[str, Any]] = []

    def _steps(self, channel: str, msisdn: str, lang: str | None) -> list[dict[str, Any]]:
        key = (channel, msisdn, lang)
        if key != self._key:
            self._key = key
            doc: dict[str, Any] = {"name": f"recorded {channel} session of {msisdn}", "channel": channel,
                                   "from": msisdn}
            if lang:
                doc["locale"] = lang
            doc["steps"] = self._held
            self._held = []
            self.segments.append(doc)
        steps: list[dict[str, Any]] = self.segments[-1]["steps"]
        return steps

    def _current(self) -> list[dict[str, Any]]:
        """Steps that happen between exchanges (clock, fixtures) go to the transcript in progress."""
        return self.segments[-1]["steps"] if self.segments else self._held

    def exchange(self, channel: str, msisdn: str, lang: str | None, to: str, ex: Exchange) -> None:
        self._steps(channel, msisdn, lang).append(step_of(ex, to))

    def advance(self, seconds: float) -> None:
        self._current().append({"advance": seconds})

    def fixture(self, op: str, fixture: Fixture | None) -> None:
        self._current().append({"fixtures": {op: _fixture_dict(fixture)}})

    def files(self) -> list[str]:
        stem, ext = os.path.splitext(self.path)
        return [self.path if i == 0 else f"{stem}-{i + 1}{ext or '.yaml'}" for i in range(len(self.segments))]

    def save(self) -> list[str]:
        """Write every recorded transcript (``FILE``, then ``FILE-2.yaml``…); returns the paths."""
        written: list[str] = []
        for path, doc in zip(self.files(), self.segments, strict=True):
            if not doc["steps"]:
                continue
            secrets = sorted({s["send"]["secret"] for s in doc["steps"] if isinstance(s.get("send"), dict)})
            header = "# Recorded by `menuflow sim --record`; run it with `menuflow test`.\n"
            for name in secrets:
                header += (f"# Secret '{name}' is not stored: set MENUFLOW_SECRET_{name.upper()}=... "
                           f"or add `secrets: {{{name}: ...}}`.\n")
            body = yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, width=1000)
            folder = os.path.dirname(path)
            if folder:
                os.makedirs(folder, exist_ok=True)
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(header + body)
            written.append(path)
        return written
