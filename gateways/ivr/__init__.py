"""IVR over DTMF: Asterisk FastAGI, TwiML and VoiceXML webhooks, prompt export.

``menuflow serve`` wires these: ``add_ivr_arguments`` registers the flags,
``ivr_options_from_args`` reads them, ``start_agi`` listens for Asterisk and
``add_twiml_routes`` / ``add_vxml_routes`` add the voice webhooks to the
shared aiohttp application.
"""

from gateways.ivr.fastagi import AgiServer, AgiStats, start_agi
from gateways.ivr.options import (
    IvrOptions,
    add_ivr_arguments,
    ivr_options_from_args,
    parse_agi_address,
)
from gateways.ivr.twiml import add_twiml_routes
from gateways.ivr.vxml import add_vxml_routes

__all__ = [
    "AgiServer",
    "AgiStats",
    "IvrOptions",
    "add_ivr_arguments",
    "add_twiml_routes",
    "add_vxml_routes",
    "ivr_options_from_args",
    "parse_agi_address",
    "start_agi",
]
