"""The QA side panel: what the engine did for the last thing the subscriber did.

Plain text lines so the same function feeds the full-screen app, the README
captures and the tests. Secret session variables are masked here even though
the engine already wipes them after every turn: the panel must never be the
place a password shows up.
"""

from __future__ import annotations

from typing import Any

from engine.flow.channels import sms_segments, ussd_length
from engine.flow.registry import FlowRegistry
from engine.ports.events import MASK, EngineEvent
from engine.types import Reply
from simulator.phone.model import PhoneModel


def _short(value: Any, width: int = 60) -> str:
    text = repr(value) if not isinstance(value, str) else value
    return text if len(text) <= width else text[: width - 1] + "…"


def _call(ev: EngineEvent) -> str:
    d = ev.data
    mark = "ok" if d.get("ok") else f"FAIL {d.get('failure')}{' ' + d['code'] if d.get('code') else ''}"
    result = f" -> {_short(d.get('result'), 40)}" if d.get("ok") else ""
    return f"  {d.get('op')} {_short(d.get('params') or {}, 40)} {mark} {d.get('ms')} ms{result}"


def rendering(reply: Reply, pages: int = 1, page: int = 0) -> list[str]:
    """How the reply is carried on its channel: SMS parts, USSD page use, IVR prompts and wait."""
    if reply.channel == "sms":
        enc, parts = sms_segments(reply.text)
        return [f"  SMS {enc.upper()}, {parts} part{'s' if parts != 1 else ''}, {len(reply.text)} chars"]
    if reply.channel == "ussd":
        enc, used, limit = ussd_length(reply.text)
        return [f"  USSD {enc.upper()} {used}/{limit} units, page {page + 1} of {pages}"]
    wait = reply.wait
    lines = [f"  IVR prompts: {', '.join(reply.audio) or '(text to speech)'}"]
    if wait is not None:
        lines.append(f"  collect {wait.kind}, max {wait.max_digits}, finish '{wait.finish_key}', "
                     f"timeout {wait.timeout:g} s{', barge-in' if wait.barge_in else ''}")
    return lines


def panel_lines(model: PhoneModel, registry: FlowRegistry | None) -> list[str]:
    dev = model.device
    out = [f"Channel  {model.channel.upper()} to {dev.to}", f"From     {model.msisdn}",
           f"Language {model.lang or 'from profile'}   Clock +{model.advanced:g} s"]
    if model.recorder is not None:
        out.append(f"Recording to {model.recorder.path}")
    last = model.last
    reply = last.reply if last else None
    if reply is None:
        out += ["", "No session yet: " + {"sms": "type a message (e.g. CD, YE).",
                                          "ussd": "press Enter to dial.", "ivr": "press Enter to call."}[model.channel]]
        return out
    meta = reply.meta
    if not meta:
        why = ("Remote server: only what the wire carries." if registry is None
               else "No session behind this answer (expired or never started).")
        return [*out, "", why, "Rendering", *rendering(reply)]
    out += ["", f"Flow     {meta.get('flow', '?')} v{meta.get('version', '?')}",
            f"State    {meta.get('state', '?')}{'' if reply.wait else '  (ended)'}"]
    session = model.session
    if session is not None:
        # A subflow's secret (the auth flow's password) outlives the subflow: mask every flow's secrets.
        secret = {name for f in (registry.current.values() if registry else ()) for name in f.secrets}
        shown = dict(session.vars)
        out.append("Session vars" + ("" if shown else "  (none)"))
        out += [f"  {k} = {MASK if k in secret else _short(v)}" for k, v in sorted(shown.items())]
        if session.stack:
            out.append("Subflow stack  " + " > ".join(f"{f}:{s}" for f, _, s in session.stack))
        if session.pending:
            out.append(f"Confirm window ends in {session.pending - session.updated:.0f} s")
    calls = [e for e in last.events if e.kind == "call"] if last else []
    if calls:
        out.append("Backend calls")
        out += [_call(e) for e in calls]
    states = [e.state for e in last.events if e.kind == "state"] if last else []
    if states:
        out.append("Path     " + " > ".join(states))
    pages = len(session.pages or [1]) if session is not None else 1
    out.append("Rendering")
    out += rendering(reply, pages, session.page if session is not None else 0)
    for push in last.pushes if last else []:
        enc, parts = sms_segments(push.text)
        out.append(f"  pushed SMS: {enc.upper()}, {parts} part{'s' if parts != 1 else ''}")
    return out
