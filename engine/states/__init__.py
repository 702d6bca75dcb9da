"""The state kinds of the flow language: one module each, registered here in one line each.

Order matters only for the JSON Schema and the README reference, which list
the kinds as registered.
"""

from engine.flow.language import Language
from engine.states import (
    call,
    confirm,
    input,
    listing,
    menu,
    message,
    offer,
    send,
    set,
    subflow,
    survey,
    switch,
    transfer,
)

LANGUAGE = Language((
    menu.KIND,
    input.KIND,
    call.KIND,
    confirm.KIND,
    message.KIND,
    switch.KIND,
    subflow.SUBFLOW,
    subflow.RETURN,
    transfer.KIND,
    send.KIND,
    set.KIND,
    listing.KIND,
    offer.KIND,
    survey.KIND,
))

__all__ = ["LANGUAGE"]
