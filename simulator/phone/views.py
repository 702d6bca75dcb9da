"""What each part of the phone screen shows, as prompt_toolkit formatted text.

Kept free of layout and key handling so the drawing rules (who said what,
the USSD dialog, the keypad) read in one place.
"""

from __future__ import annotations

from prompt_toolkit.formatted_text import StyleAndTextTuples

from simulator.phone.model import PhoneModel

KEYPAD = ("123", "456", "789", "*0#")
STYLE = {
    "me": "class:me",
    "net": "class:net",
    "sms": "class:push",
    "info": "class:info",
}
TITLES = {"sms": "SMS with {to}", "ussd": "USSD {to}", "ivr": "Call to {to}"}


def title(model: PhoneModel) -> str:
    return TITLES[model.channel].format(to=model.device.to) + f" · {model.msisdn}"


def who(model: PhoneModel, kind: str) -> str:
    if kind == "me":
        return "me"
    if kind == "sms":
        return "SMS from 10086"
    if kind == "info":
        return "--"
    return {"sms": model.device.to, "ussd": "USSD", "ivr": "voice"}[model.channel]


def history(model: PhoneModel) -> StyleAndTextTuples:
    """The conversation thread, newest last; IVR prompts are shown as what the caller hears."""
    out: StyleAndTextTuples = []
    for line in model.history:
        label = who(model, line.who)
        body = line.text
        if line.who == "net" and model.channel == "ivr":
            body = f"♪ {body}"
        if line.who == "me":
            out.append((STYLE["me"], f"{'':>20}{label}: {body}\n"))
        else:
            out.append((STYLE[line.who], f"{label}: {body}\n"))
    if not out:
        out.append(("class:info", "(nothing yet)\n"))
    return out


def ussd_box(model: PhoneModel) -> StyleAndTextTuples:
    """The network's USSD window: the current message, or how to dial when no dialog is open."""
    if model.open:
        return [("class:net", model.screen)]
    if model.last is not None and model.screen:
        return [("class:net", model.screen), ("class:info", "\n\n(dialog closed: Enter dials again)")]
    return [("class:info", f"Enter dials {model.device.to}; or type another code like *100*1#")]


def keypad(model: PhoneModel) -> StyleAndTextTuples:
    """The keypad as the caller sees it, with the keys typed so far."""
    status = "in call" if model.open else "no call (Enter to call)"
    rows: StyleAndTextTuples = [("class:info", f"{status}   keys: {model.digits or '-'}\n")]
    for row in KEYPAD:
        rows.append(("class:key", "   " + "   ".join(f"[{k}]" for k in row) + "\n"))
    return rows


def prompt(model: PhoneModel) -> str:
    if model.channel == "sms":
        return "SMS> "
    if model.channel == "ussd":
        return "reply> " if model.open else "dial> "
    return "keys> " if model.open else "call> "


HELP = (
    "F2 channel  F3 subscriber  F4 language  F5 restart  F6 reload flows  F7 +60 s  F8 +301 s  "
    "F9 cancel/hang up  F10 no input  Ctrl-Q quit  (/help for commands)"
)
