"""Per-number, per-channel rate limits in front of the engine, on by default.

Every channel's gateway hands its ``Inbound`` to one handler; wrapping that
handler here limits them all the same way: USSD dials and IVR calls (FastAGI,
TwiML, VoiceXML) count when a dialog begins, SMS MOs count each message. A
number over its limit gets a polite "操作过于频繁，请稍后再试" on the channel it
used, never silence — except that an SMS flood gets that answer once per
window (answering every MO would make us the flood). The counters are a
``RateLimiter`` (engine.store.limits): in Redis when Redis is the store, so every
worker of ``serve --workers`` counts together.

Operation-level limits (reset codes per hour) and failed-password limits are
the engine's (``engine.run.guard``): they depend on what the flow calls.
"""

from __future__ import annotations

import argparse
import logging
from dataclasses import dataclass

from engine.flow.messages import BUILTIN
from engine.ports.limits import RateLimiter
from engine.types import Handler, Inbound, Reply

log = logging.getLogger("menuflow.ratelimit")


@dataclass(frozen=True, slots=True)
class ChannelLimits:
    """Dialogs (USSD, IVR) or messages (SMS) one number may start per ``window`` seconds; 0 = no limit.

    The defaults leave room for a subscriber who redials after a dropped session
    and stop a script: 300 dials in 0.1 s is not a person.
    """

    ussd: int = 20
    ivr: int = 10
    sms: int = 30
    window: float = 60.0

    def of(self, channel: str) -> int:
        return int(getattr(self, channel, 0))


def too_frequent(inbound: Inbound) -> Reply:
    locale = inbound.locale if inbound.locale in BUILTIN["too_frequent"] else "zh"
    return Reply(inbound.channel, inbound.msisdn, BUILTIN["too_frequent"][locale], locale)


def rate_limited(handler: Handler, limiter: RateLimiter, limits: ChannelLimits) -> Handler:
    """``handler`` behind the per-number limits (``end`` events always pass: they free resources)."""

    async def handle(inbound: Inbound) -> list[Reply]:
        limit = limits.of(inbound.channel)
        counts = inbound.event == "begin" or inbound.channel == "sms"
        if not limit or not counts or not inbound.msisdn:
            return await handler(inbound)
        name = f"{inbound.channel}:{inbound.msisdn}"
        if await limiter.allow(name, limit, limits.window):
            return await handler(inbound)
        log.warning("%s from %s refused: over %d per %.0f s", inbound.channel, inbound.msisdn, limit, limits.window)
        if inbound.channel == "sms" and await limiter.used(name, limits.window) > limit + 1:
            return []  # told once this window already
        return [too_frequent(inbound)]

    return handle


def add_ratelimit_arguments(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("rate limits (per number, shared through Redis when --store is Redis)")
    d = ChannelLimits()
    g.add_argument("--limit-ussd", metavar="N", type=int, default=d.ussd,
                   help=f"USSD dials per number per minute, 0 = no limit (default {d.ussd})")
    g.add_argument("--limit-ivr", metavar="N", type=int, default=d.ivr,
                   help=f"IVR calls (FastAGI, TwiML, VoiceXML) per number per minute, 0 = no limit (default {d.ivr})")
    g.add_argument("--limit-sms", metavar="N", type=int, default=d.sms,
                   help=f"SMS MOs per number per minute, 0 = no limit (default {d.sms})")


def limits_from_args(args: argparse.Namespace) -> ChannelLimits:
    for flag in ("limit_ussd", "limit_ivr", "limit_sms"):
        if getattr(args, flag) < 0:
            raise ValueError(f"--{flag.replace('_', '-')}: expected 0 or more, got {getattr(args, flag)}")
    return ChannelLimits(ussd=args.limit_ussd, ivr=args.limit_ivr, sms=args.limit_sms)
