"""IVR settings, their command-line flags, and the caller-id / language rules.

All three IVR front doors (FastAGI, TwiML, VoiceXML) read one ``IvrOptions`` so
an operator configures transfer targets, timeouts and prompt audio once.
Caller ids and languages arrive in each platform's own spelling; the helpers
here turn them into what ``Inbound`` promises (E.164 digits, ``zh``/``en``).
"""

from __future__ import annotations

import argparse
import os
import re
from dataclasses import dataclass, field
from ipaddress import IPv4Network, IPv6Network, ip_network

from gateways.hostport import parse_host_port

DEFAULT_AGI_PORT = 4573
#: A voice webhook's form is a few hundred bytes; ``--http-max-body`` overrides.
DEFAULT_MAX_BODY = 16384
TRANSFER_MODES = ("queue", "dial", "goto", "dialplan")
_TARGET_RE = re.compile(r"^[A-Za-z0-9_@./+:-]{1,80}$")


@dataclass(frozen=True, slots=True)
class IvrOptions:
    """Settings shared by the FastAGI server and the HTTP voice webhooks."""

    #: Country code put in front of national caller ids (13800138000 → 86…).
    country_code: str = "86"
    #: Service code used when the call carries no route (no script, no DNID).
    default_service: str = "10086"
    #: Asterisk application that speaks text (``MRCPSynth``, ``Festival``…);
    #: empty → recorded audio ids plus SAY NUMBER / SAY DIGITS for figures.
    tts_app: str = ""
    #: Argument template for ``tts_app``: ``{text}`` and ``{lang}`` are replaced.
    tts_args: str = "{text}"
    #: How an agent transfer happens on Asterisk: ``queue`` (EXEC Queue),
    #: ``dial`` (EXEC Dial with ``transfer_arg`` as template), ``goto`` (SET
    #: CONTEXT ``transfer_arg`` / EXTENSION target / PRIORITY 1, then leave the
    #: AGI) or ``dialplan`` (only set MENUFLOW_TRANSFER and leave the AGI).
    transfer_mode: str = "queue"
    transfer_arg: str = ""
    #: Play recorded audio ids instead of the text when a reply has them
    #: (only right when the flows record complete prompts).
    prefer_audio: bool = False
    #: Seconds allowed between two keys of a multi-digit entry.
    inter_digit_timeout: float = 3.0
    #: Sound file spoken for the decimal point of an amount (50 · 00).
    point_sound: str = "letters/dot"
    #: Seconds the engine may take for one step before the call is ended.
    handler_timeout: float = 10.0
    #: Seconds to wait for one AGI reply (a prompt may play this long).
    agi_reply_timeout: float = 300.0
    #: After Asterisk's HANGUP line, seconds to wait for the reply behind it.
    hangup_grace: float = 1.0
    #: Steps after which a call is ended, whatever the flow does (loop guard).
    max_steps: int = 500
    #: Where the HTTP platforms fetch recorded prompts: ``{base}{id}{ext}``
    #: (used with ``prefer_audio``).
    audio_base_url: str = ""
    audio_ext: str = ".wav"
    #: TwiML ``<Say voice=…>``; empty leaves the provider's default.
    twiml_voice: str = ""
    #: TwiML ``<Dial>`` target template; ``sip:`` targets become ``<Sip>``.
    twiml_dial: str = "{target}"
    #: VoiceXML ``<transfer dest=…>`` template.
    vxml_transfer: str = "tel:{target}"
    #: Twilio auth token: when set, POSTs to /ivr/twiml must carry a valid
    #: X-Twilio-Signature (read from MENUFLOW_TWILIO_AUTH_TOKEN, never a flag).
    twilio_auth_token: str = field(default="", repr=False)
    #: Shared secret the webhook URLs carry as ``?token=`` or ``Authorization:
    #: Bearer`` (TwiML and VoiceXML; from MENUFLOW_IVR_WEBHOOK_TOKEN).
    webhook_token: str = field(default="", repr=False)
    #: VoiceXML's own secret, used instead of ``webhook_token`` on /ivr/vxml
    #: (from MENUFLOW_VXML_TOKEN): VoiceXML has no request signature, so a
    #: deployment that relies on Twilio's needs a token for VoiceXML still.
    vxml_token: str = field(default="", repr=False)
    #: Public base URL the provider calls (``https://ivr.example.com``), for
    #: signature checks behind a reverse proxy; empty → the request's own URL.
    public_url: str = ""
    #: Largest accepted webhook body, in bytes (``--http-max-body``).
    max_body: int = DEFAULT_MAX_BODY
    #: FastAGI peers allowed to connect (the Asterisk hosts); empty = any peer.
    agi_allow: tuple[IPv4Network | IPv6Network, ...] = ()
    #: Shared secret Asterisk passes in the AGI URL (``agi://host/10086?secret=…``), from
    #: MENUFLOW_AGI_SECRET; empty = not checked.
    agi_secret: str = field(default="", repr=False)
    #: FastAGI connections served at once; more are closed at once (a flood cannot exhaust us).
    agi_max_connections: int = 1000
    #: Seconds the whole AGI environment may take to arrive.
    agi_env_timeout: float = 5.0
    #: Engine locale → language tag for TwiML ``<Say>`` and VoiceXML ``xml:lang``.
    say_languages: dict[str, str] = field(default_factory=lambda: {"zh": "zh-CN", "en": "en-US"})

    def say_language(self, locale: str) -> str:
        return self.say_languages.get(locale, locale)


def service_from_number(raw: str, country_code: str = "86") -> str:
    """The dialled service number: ``+8610086`` or ``tel:10086`` → ``10086``."""
    text = raw.strip()
    user = text.split(":", 1)[1] if text[:4].lower() in ("tel:", "sip:") else text
    user = user.split("@", 1)[0].split(";", 1)[0].strip()
    if user.startswith("+" + country_code):
        user = user[1 + len(country_code) :]
    return re.sub(r"[^0-9*#A-Za-z_-]", "", user)


def map_locale(raw: str | None) -> str | None:
    """Channel language → engine locale: zh, cmn, zh_CN → ``zh``; en* → ``en``."""
    if not raw:
        return None
    tag = raw.strip().lower().replace("-", "_")
    if tag.startswith(("zh", "cmn", "yue")):
        return "zh"
    if tag.startswith("en"):
        return "en"
    return None


def valid_transfer_target(target: str) -> bool:
    """Targets end up in dialplan strings: only plain characters get through."""
    return bool(_TARGET_RE.match(target))


def parse_agi_address(text: str) -> tuple[str, int]:
    """``--agi`` may leave out either half, as Asterisk's ``agi://host`` URLs do: loopback, port 4573."""
    return parse_host_port(text, default_host="127.0.0.1", default_port=DEFAULT_AGI_PORT)


def add_ivr_arguments(parser: argparse.ArgumentParser) -> None:
    """Register the IVR flags on ``menuflow serve`` (or any parser)."""
    g = parser.add_argument_group("IVR (FastAGI, TwiML, VoiceXML)")
    g.add_argument("--agi", metavar="HOST:PORT", default=None,
                   help="listen for Asterisk FastAGI on HOST:PORT (e.g. 127.0.0.1:4573)")
    g.add_argument("--ivr-tts-app", metavar="APP", default="",
                   help="Asterisk application that speaks text, run as EXEC APP \"text\"")
    g.add_argument("--ivr-tts-args", metavar="TEMPLATE", default="{text}",
                   help="argument template for --ivr-tts-app; {text} and {lang} are replaced")
    g.add_argument("--ivr-prefer-audio", action="store_true",
                   help="play a reply's recorded prompt ids instead of speaking its text")
    g.add_argument("--ivr-transfer", metavar="MODE[:ARG]", default="queue",
                   help="agent transfer: queue | dial:TEMPLATE (e.g. dial:PJSIP/{target}) | "
                        "goto:CONTEXT | dialplan")
    g.add_argument("--ivr-country-code", metavar="CC", default="86",
                   help="country code added to national caller ids (default 86)")
    g.add_argument("--ivr-service-code", metavar="CODE", default="10086",
                   help="service code for calls that carry no route (default 10086)")
    g.add_argument("--ivr-inter-digit-timeout", metavar="SECONDS", type=float, default=3.0,
                   help="seconds allowed between keys of a multi-digit entry (default 3)")
    g.add_argument("--ivr-point-sound", metavar="FILE", default="letters/dot",
                   help="sound played for the decimal point of amounts (default letters/dot)")
    g.add_argument("--ivr-handler-timeout", metavar="SECONDS", type=float, default=10.0,
                   help="seconds one engine step may take before the call ends (default 10)")
    g.add_argument("--ivr-audio-base-url", metavar="URL", default="",
                   help="TwiML/VoiceXML: URL prefix of recorded prompts ({url}{id}.wav)")
    g.add_argument("--ivr-twiml-voice", metavar="VOICE", default="", help="TwiML <Say voice>")
    g.add_argument("--ivr-twiml-dial", metavar="TEMPLATE", default="{target}",
                   help="TwiML <Dial> target template (sip:… becomes <Sip>)")
    g.add_argument("--ivr-public-url", metavar="URL", default="",
                   help="public base URL of the webhooks, for Twilio signature checks behind a proxy")
    g.add_argument("--agi-allow", metavar="CIDR[,CIDR]", default="",
                   help="FastAGI: only these peers may connect (the Asterisk hosts), e.g. 10.0.0.0/24; "
                        "the shared secret comes from MENUFLOW_AGI_SECRET")
    g.add_argument("--agi-max-connections", metavar="N", type=int, default=1000,
                   help="FastAGI connections served at once; more are closed (default 1000)")
    g.add_argument("--ivr-vxml-transfer", metavar="TEMPLATE", default="tel:{target}",
                   help="VoiceXML <transfer dest> template (default tel:{target})")


def ivr_options_from_args(args: argparse.Namespace) -> IvrOptions:
    """Build ``IvrOptions`` from parsed flags; errors name the flag and value."""
    mode, _, arg = str(args.ivr_transfer).partition(":")
    if mode not in TRANSFER_MODES:
        raise ValueError(f"--ivr-transfer: unknown mode {mode!r} (expected one of {TRANSFER_MODES})")
    if mode in ("dial", "goto") and not arg:
        raise ValueError(f"--ivr-transfer: {mode} needs an argument, e.g. {mode}:PJSIP/{{target}}")
    if not str(args.ivr_country_code).isdigit():
        raise ValueError(f"--ivr-country-code: expected digits, got {args.ivr_country_code!r}")
    if args.agi:
        try:
            parse_agi_address(args.agi)
        except ValueError as exc:
            raise ValueError(f"--agi: {exc}") from None
    return IvrOptions(
        country_code=args.ivr_country_code,
        default_service=args.ivr_service_code,
        tts_app=args.ivr_tts_app,
        tts_args=args.ivr_tts_args,
        prefer_audio=args.ivr_prefer_audio,
        transfer_mode=mode,
        transfer_arg=arg,
        inter_digit_timeout=args.ivr_inter_digit_timeout,
        point_sound=args.ivr_point_sound,
        handler_timeout=args.ivr_handler_timeout,
        audio_base_url=args.ivr_audio_base_url,
        twiml_voice=args.ivr_twiml_voice,
        twiml_dial=args.ivr_twiml_dial,
        vxml_transfer=args.ivr_vxml_transfer,
        twilio_auth_token=os.environ.get("MENUFLOW_TWILIO_AUTH_TOKEN", ""),
        webhook_token=os.environ.get("MENUFLOW_IVR_WEBHOOK_TOKEN", ""),
        vxml_token=os.environ.get("MENUFLOW_VXML_TOKEN", ""),
        public_url=args.ivr_public_url,
        agi_allow=parse_networks(args.agi_allow),
        agi_secret=os.environ.get("MENUFLOW_AGI_SECRET", ""),
        agi_max_connections=args.agi_max_connections,
        max_body=getattr(args, "http_max_body", DEFAULT_MAX_BODY),
    )


def parse_networks(text: str) -> tuple[IPv4Network | IPv6Network, ...]:
    """``10.0.0.5,10.1.0.0/16`` → networks; errors name the flag and the value."""
    out = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        try:
            out.append(ip_network(part, strict=False))
        except ValueError:
            raise ValueError(f"--agi-allow: {part!r} is not an IP address or CIDR network") from None
    return tuple(out)
