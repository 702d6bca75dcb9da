"""USSD over HTTP (aiohttp): Africa's Talking, generic JSON, and room for more dialects.

``serve`` wires it as::

    app = create_http_app(max_body=args.http_max_body)
    opts = ussd_options_from_args(args)
    add_ussd_routes(app, engine.handle, push, opts)

USSD over SMPP lives in ``gateways.ussd.smpp``.
"""

from gateways.ussd.dialects import DIALECTS, RequestError, UssdAnswer, UssdDialect, UssdRequest, get_dialect
from gateways.ussd.http import UssdGateway, add_ussd_routes
from gateways.ussd.options import UssdOptions, add_ussd_arguments, ussd_options_from_args
from gateways.ussd.progress import ProgressStore, SessionProgress
from gateways.ussd.progress_memory import MemoryProgressStore

__all__ = [
    "DIALECTS",
    "MemoryProgressStore",
    "ProgressStore",
    "RequestError",
    "SessionProgress",
    "UssdAnswer",
    "UssdDialect",
    "UssdGateway",
    "UssdOptions",
    "UssdRequest",
    "add_ussd_arguments",
    "add_ussd_routes",
    "get_dialect",
    "ussd_options_from_args",
]
