"""What each part of the phone screen shows, as prompt_toolkit formatted text.

Kept free of layout and key handling so the drawing rules (who said what,
the USSD dialog, the keypad) read in one place.
"""

from __future__ import annotations

from collections.abc import Callable

from prompt_toolkit.formatted_text import StyleAndTextTuples
from prompt_toolkit.mouse_events import MouseEvent, MouseEventType

from simulator.phone.model import Line, PhoneModel

KEYPAD = ("123", "456", "789", "*0#")
STYLE = {
    "me": "class:me",
    "net": "class:net",
    "sms": "class:push",
    "info": "class:info",
}
START = {
    "sms": "Type a message to 10086: CD for the menu, YE for the balance, 0000 for subscriptions.",
    "ussd": "Press Enter to dial *100#, or type a code such as *100*1#.",
    "ivr": "Press Enter to call 10086; then press keys 0-9 * #, F10 to stay silent, F9 to hang up.",
}
TITLES = {"sms": "SMS with {to}", "ussd": "USSD {to}", "ivr": "Call to {to}"}


def title(model: PhoneModel) -> str:
    return TITLES[model.channel].format(to=model.device.to) + f" · {model.msisdn}"


def who(model: PhoneModel, line: Line) -> str:
    if line.who == "me":
        return "me"
    if line.who == "sms":
        return "SMS from 10086"
    if line.who == "info":
        return "--"
    return {"sms": "10086", "ussd": "USSD", "ivr": "voice"}.get(line.channel, line.channel)


def history(model: PhoneModel) -> StyleAndTextTuples:
    """The conversation thread, newest last; IVR prompts are shown as what the caller hears."""
    out: StyleAndTextTuples = []
    for line in model.history:
        label = who(model, line)
        body = line.text
        if line.who == "net" and line.channel == "ivr":
            body = f"♪ {body}"
        if line.who == "me":
            out.append((STYLE["me"], f"{'':>20}{label}: {body}\n"))
        else:
            out.append((STYLE[line.who], f"{label}: {body}\n"))
    if not out:
        hint = "F2/F3/F4 change channel, number, language; /help lists commands."
        out.append(("class:info", f"{START[model.channel]}\n{hint}\n"))
    return out


def ussd_box(model: PhoneModel) -> StyleAndTextTuples:
    """The network's USSD window: the current message, or how to dial when no dialog is open."""
    if model.open:
        return [("class:net", model.screen)]
    if model.last is not None and model.screen:
        return [("class:net", model.screen), ("class:info", "\n\n(dialog closed: Enter dials again)")]
    return [("class:info", f"Enter dials {model.device.to}; or type another code like *100*1#")]


def keypad(model: PhoneModel, press: Callable[[str], None]) -> StyleAndTextTuples:
    """The keypad as the caller sees it, with the keys typed so far; a click on a key presses it."""
    status = "in call" if model.open else "no call (Enter to call)"
    rows: StyleAndTextTuples = [("class:info", f"{status}   keys: {model.digits or '-'}\n")]
    for row in KEYPAD:
        for key in row:
            rows.append(("", "   "))
            rows.append(("class:key", f"[{key}]", _clicked(key, press)))
        rows.append(("", "\n"))
    return rows


def _clicked(key: str, press: Callable[[str], None]) -> Callable[[MouseEvent], None]:
    def handler(event: MouseEvent) -> None:
        if event.event_type == MouseEventType.MOUSE_UP:
            press(key)

    return handler


def prompt(model: PhoneModel) -> str:
    if model.channel == "sms":
        return "SMS> "
    if model.channel == "ussd":
        return "reply> " if model.open else "dial> "
    return "keys> " if model.open else "call> "


HELP = ("F2 channel F3 number F4 lang F5 restart F6 reload F7 +60s F8 +301s F9 cancel/hang up "
        "F10 silence ^Q quit /help")
