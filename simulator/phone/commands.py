"""Slash commands typed into the phone's input line: the long form of every key.

``/channel ussd``, ``/from 8613900139000``, ``/lang en``, ``/advance 301``,
``/fail balance unavailable``… Keys are quicker; commands take arguments and
are what the README documents for each control.
"""

from __future__ import annotations

from engine.types import AGENT_OUTCOMES, CHANNELS
from simulator.fixtures import FAILURES, Fixture
from simulator.phone.model import PhoneModel

USAGE = """commands:
  /channel sms|ussd|ivr     switch channel (new session)
  /from MSISDN              switch subscriber (new session)
  /lang zh|en|auto          language hint sent with each input (auto: subscriber's profile)
  /dial [CODE]              dial USSD code / call a number
  /hangup                   cancel the USSD dialog / hang up the call
  /noinput                  IVR: let the prompt time out without a key
  /agent OUTCOME            IVR after a transfer: the queue reports answered|timeout|full|no_agents|busy|failed
  /restart                  drop the session and start over
  /reload                   reload flows from disk (the live session keeps its version)
  /advance SECONDS          move the clock forward (expiry, confirm windows)
  /fail OP KIND [CODE]      make backend operation OP fail: unavailable|timeout|business CODE
  /ok OP                    backend operation OP answers normally again
  /quit                     leave (and write the --record file)"""


class Quit(Exception):
    """Raised by ``/quit`` so the app can close cleanly."""


async def run_command(model: PhoneModel, line: str) -> None:
    """Carry out one ``/command``; problems become notes in the thread, never exceptions."""
    name, *args = line[1:].split()
    if name in ("quit", "exit", "q"):
        raise Quit
    if name == "help":
        model.note(USAGE)
    elif name == "channel" and args and args[0] in CHANNELS:
        await model.switch(channel=args[0])
    elif name == "from" and args and args[0].isdigit():
        await model.switch(msisdn=args[0])
    elif name == "lang" and args and args[0] in ("zh", "en", "auto"):
        await model.switch(lang=None if args[0] == "auto" else args[0])
    elif name == "dial":
        await model.dial(args[0] if args else None)
    elif name == "hangup":
        await model.hangup()
    elif name == "noinput":
        await model.noinput()
    elif name == "agent" and args and args[0] in AGENT_OUTCOMES:
        await model.agent(args[0])
    elif name == "restart":
        await model.restart()
    elif name == "reload":
        model.reload()
    elif name == "advance" and args and _number(args[0]):
        model.advance(float(args[0]))
    elif name == "fail" and len(args) >= 2 and args[1] in FAILURES:
        if args[1] == "business" and len(args) < 3:
            model.note("/fail OP business CODE: a business failure needs its code")
            return
        model.fixture(args[0], Fixture(fail=args[1], code=args[2] if len(args) > 2 else ""))
    elif name == "ok" and args:
        model.fixture(args[0], None)
    else:
        model.note(f"not understood: {line}\n{USAGE}")


def _number(text: str) -> bool:
    try:
        return float(text) > 0
    except ValueError:
        return False
