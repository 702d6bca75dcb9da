"""The campaign file (YAML) and its audience (CSV).

Errors name the file and the key, like flow errors do, because an operator
writes these by hand the night before a campaign.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import yaml
from jinja2 import TemplateSyntaxError, UndefinedError
from jinja2.sandbox import SandboxedEnvironment
from pydantic import BaseModel, ConfigDict, Field, ValidationError

HOURS = re.compile(r"^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$")
_ENV = SandboxedEnvironment(autoescape=False)


class CampaignError(ValueError):
    """A campaign file or audience that cannot be used, with where and why."""


class CampaignSpec(BaseModel):
    """One campaign: what to send, to whom, how fast, and what replies mean."""

    model_config = ConfigDict(extra="forbid")

    campaign: str = Field(pattern=r"^[A-Za-z0-9_.-]+$", description="Id; progress is kept under it")
    audience: str = Field(description="CSV file with an `msisdn` column (relative to the campaign file)")
    message: str | None = Field(None, min_length=1, description="Jinja template; the CSV's columns are its "
                                "variables")
    start: str | None = Field(None, min_length=1, description="Instead of a message: the SMS keyword whose flow "
                              "each subscriber is started in (its first answer is the message, replies go on in it)")
    flows: str = Field("flows", description="Flow files for `start` (relative to the campaign file)")
    backend: str = Field("demo", description="Backend for `start`: demo | demo:FILE.sqlite | http(s)://URL")
    convert_events: list[str] = Field(default_factory=list, description="Engine events that count as converted "
                                      "in a `start` campaign (e.g. offer_accepted)")
    smsc: str = Field("127.0.0.1:2775", description="HOST:PORT of the SMSC")
    system_id: str = ""
    password_env: str = Field("MENUFLOW_SMPP_PASSWORD", description="Environment variable holding the password")
    shortcode: str = Field("10086", description="Source address; replies to it come to this campaign")
    tps: float = Field(10.0, gt=0, description="Messages per second at most")
    quiet_hours: str | None = Field(None, description="No sending in this window, e.g. 21:00-08:00 (wraps midnight)")
    utc_offset_hours: float = Field(8.0, description="Time zone of quiet_hours (China: 8)")
    opt_out: list[str] = Field(default_factory=lambda: ["TD", "退订"], description="Reply keywords that opt out")
    opt_out_reply: str = "您已退订营销短信，我们将不再向您发送。"
    convert: list[str] = Field(default_factory=list, description="Reply keywords that count as converted")
    convert_reply: str | None = None
    receipt_wait: float = Field(10.0, ge=0, description="Seconds to wait for delivery receipts at the end")
    listen: float = Field(0.0, ge=0, description="Seconds to keep taking replies after the last message "
                          "(surveys, offers); Ctrl-C ends it early")
    state: str = Field("campaigns.sqlite", description="Progress and opt-out database, shared by campaigns "
                       "(relative to the campaign file)")

    def quiet_window(self) -> tuple[int, int] | None:
        """(start, end) in minutes after local midnight."""
        if self.quiet_hours is None:
            return None
        start, end = self.quiet_hours.split("-")
        return _minutes(start), _minutes(end)


def _minutes(hhmm: str) -> int:
    h, m = hhmm.split(":")
    return int(h) * 60 + int(m)


class Campaign:
    """A loaded campaign: the spec, where its files are, and the compiled message."""

    def __init__(self, path: Path, spec: CampaignSpec) -> None:
        self.path = path
        self.spec = spec
        self.audience_path = (path.parent / spec.audience).resolve()
        self.state_path = (path.parent / spec.state).resolve()
        if (spec.message is None) == (spec.start is None):
            raise CampaignError(f"{path}: give either message or start")
        self.flows_path = str((path.parent / spec.flows).resolve())
        try:
            self.template = _ENV.from_string(spec.message or "")
        except TemplateSyntaxError as exc:
            raise CampaignError(f"{path}: message: {exc.message}") from None

    def render(self, row: dict[str, str]) -> str:
        try:
            return self.template.render(row).strip()
        except UndefinedError as exc:
            raise CampaignError(f"{self.path}: message: {exc.message}") from None

    def audience(self) -> list[dict[str, str]]:
        """The rows, in file order, one per MSISDN (a repeated MSISDN is sent once)."""
        try:
            with self.audience_path.open(encoding="utf-8-sig", newline="") as f:
                reader = csv.DictReader(f)
                if reader.fieldnames is None or "msisdn" not in reader.fieldnames:
                    raise CampaignError(f"{self.audience_path}: needs an 'msisdn' column")
                rows: dict[str, dict[str, str]] = {}
                for n, row in enumerate(reader, start=2):
                    msisdn = (row.get("msisdn") or "").strip().lstrip("+")
                    if not msisdn.isdigit():
                        raise CampaignError(f"{self.audience_path}:{n}: msisdn {msisdn!r} is not digits")
                    rows.setdefault(msisdn, {**row, "msisdn": msisdn})
        except OSError as exc:
            raise CampaignError(f"{self.audience_path}: {exc.strerror}") from None
        return list(rows.values())


def load(path: str | Path) -> Campaign:
    p = Path(path)
    try:
        doc = yaml.safe_load(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CampaignError(f"{p}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise CampaignError(f"{p}: not YAML: {exc}") from None
    try:
        spec = CampaignSpec.model_validate(doc)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(x) for x in first["loc"]) or "(top)"
        raise CampaignError(f"{p}: {where}: {first['msg']}") from None
    if spec.quiet_hours is not None and not HOURS.match(spec.quiet_hours):
        raise CampaignError(f"{p}: quiet_hours: {spec.quiet_hours!r} is not HH:MM-HH:MM")
    return Campaign(p, spec)
