"""Issue 12, hole 8: the smaller leaks and slips — confirm hints, line-mode echo, remote IVR PIN."""

from __future__ import annotations

import io

from simulator.linemode import run_lines
from simulator.phone.remote_ivr import parse_twiml
from tests.engine.helpers import EN, Phone, engine_for


async def test_the_english_ussd_confirm_fits_its_instructions_on_page_one() -> None:
    """'是/否' switched page 1 to UCS2 and pushed the yes/no instructions to page 2."""
    engine, _, _ = engine_for("flows")
    phone = Phone(engine, "ussd", msisdn=EN)
    await phone.dial()
    for key in ("4", "1"):
        await phone.send(key)
    r = await phone.send("654321")
    assert r.text.endswith("1. Confirm\n2. Cancel") and "98 More" not in r.text
    assert r.text.isascii()
    assert "已订购" not in (await phone.send("是")).text  # 是 is still accepted


async def test_line_mode_does_not_echo_a_password() -> None:
    engine, _, _ = engine_for("flows")
    out = io.StringIO()
    await run_lines(engine, "ussd", "8613800138000", "*100#", ["4", "1", "123456", "1"], out)
    text = out.getvalue()
    assert "> ******" in text and "123456" not in text and "> 4" in text


def test_the_remote_ivr_phone_masks_multi_digit_entries() -> None:
    """`sim --remote` for IVR showed the typed PIN in clear: TwiML does not say which Gather is a PIN."""
    body = ('<Response><Gather numDigits="6" finishOnKey="#" action="/ivr/twiml?step=input">'
            '<Say>Enter your password</Say></Gather></Response>')
    reply, action, _ = parse_twiml(body, "8613800138000", "en")
    assert reply.wait is not None and reply.wait.secret and action.endswith("step=input")
    menu, _, _ = parse_twiml('<Response><Gather numDigits="1"><Say>Menu</Say></Gather></Response>', "1", "en")
    assert menu.wait is not None and not menu.wait.secret
