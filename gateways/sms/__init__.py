"""SMS over SMPP 3.4: the gateway (``SmsService``) and its settings.

Modules, one job each: ``pdu``/``layout`` (wire format), ``link`` (one
connection), ``esme`` (staying bound), ``mo`` (deliver_sm -> Inbound),
``outbox`` (MTs until accepted), ``tracking`` (what became of each MT),
``codec``/``reassembly`` (text and concatenation), ``service`` (the wiring).
"""

from gateways.sms.options import SmppOptions, add_smpp_arguments, smpp_options_from_args
from gateways.sms.service import SmsService, SmsStats, UssdHandler

__all__ = ["SmppOptions", "SmsService", "SmsStats", "UssdHandler", "add_smpp_arguments", "smpp_options_from_args"]
