"""The report as one self-contained HTML page: inline CSS and SVG, no script, no network.

People read the charts first (volume over time per channel, share against the
target, where each flow loses subscribers), then the tables. Everything shown
comes from ``figures.compute``; nothing is computed here but layout.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from html import escape
from typing import Any

from app.analytics.svg import bars, gauge, line_chart

#: States per funnel chart (the ones most entered).
FUNNEL_ROWS = 12

CSS = """
body{font:14px/1.4 system-ui,"Noto Sans CJK SC",sans-serif;margin:24px auto;max-width:820px;color:#222}
h1{font-size:22px;margin-bottom:4px}h2{font-size:17px;margin-top:28px;border-bottom:1px solid #ddd}
.kpis{display:flex;flex-wrap:wrap;gap:10px}.kpi{border:1px solid #ddd;border-radius:6px;padding:8px 12px;
min-width:150px}.kpi b{display:block;font-size:22px}table{border-collapse:collapse;width:100%}
td,th{border-bottom:1px solid #eee;padding:3px 6px;text-align:left}td.n{text-align:right}
svg text{font-size:12px;fill:#333}.muted{color:#777}
"""


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{x * 100:.1f}%"


def _unreached(by_reason: dict[str, int]) -> str:
    """", 3 reached no agent (timeout 2, full 1)" after the transfers; nothing when every one reached one."""
    if not by_reason:
        return ""
    detail = ", ".join(f"{reason} {n}" for reason, n in sorted(by_reason.items()))
    return escape(f", {sum(by_reason.values())} reached no agent ({detail})")


def _day(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M UTC")


def _table(head: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    body = "".join("<tr>" + "".join(f'<td class="n">{escape(str(c))}</td>' if isinstance(c, int | float)
                                    else f"<td>{escape(str(c))}</td>" for c in row) + "</tr>" for row in rows)
    if not body:
        return '<p class="muted">none in this period</p>'
    return "<table><tr>" + "".join(f"<th>{escape(h)}</th>" for h in head) + f"</tr>{body}</table>"


def _kpis(f: dict[str, Any]) -> str:
    cards = [("business", f["business"]), ("queries (apart)", f["queries"]),
             ("e-channel share", _pct(f["e_channel_share"])), ("customers", f["customers"]),
             ("active customers", f["active_customers"]), ("penetration", _pct(f["penetration"])),
             ("agent cost saved", f"¥{f['agent_cost_saved_yuan']:,.2f}"),
             ("completion", _pct(f["sessions"]["completion_rate"]))]
    return '<div class="kpis">' + "".join(f'<div class="kpi">{escape(name)}<b>{escape(str(v))}</b></div>'
                                          for name, v in cards) + "</div>"


def _share(f: dict[str, Any]) -> str:
    if f["e_channel_share"] is None:
        return '<p class="muted">give --other-channels FILE.csv for the e-channel share</p>'
    others = ", ".join(f"{k} {v}" for k, v in (f["other_channels"] or {}).items())
    return gauge(f["e_channel_share"], f["share_target"]) + f'<p class="muted">other channels: {escape(others)}</p>'


def _funnels(f: dict[str, Any]) -> str:
    out = []
    for flow, steps in f["funnels"].items():
        rows = [(st["state"], st["entered"], st["left"]) for st in steps[:FUNNEL_ROWS]]
        out.append(f"<h3>{escape(flow)}</h3>" + bars(rows))
    return "".join(out) or '<p class="muted">no sessions in this period</p>'


def render_html(f: dict[str, Any]) -> str:
    s, t = f["sessions"], f["timeline"]
    period = f"{_day(f['period']['since'])} – {_day(f['period']['until'])}"
    by_category = [(k, v, 0) for k, v in sorted(f["business_by_category"].items(), key=lambda kv: -kv[1])]
    sections = [
        f"<h1>E-channel report</h1><p class='muted'>{escape(period)}</p>", _kpis(f),
        "<h2>Business per day and channel</h2>", line_chart(t["days"], t["business"]),
        "<h2>E-channel share against target</h2>", _share(f),
        "<h2>Business by category</h2>", bars(by_category) if by_category else "<p class='muted'>none</p>",
        "<h2>Sessions</h2>",
        _table(("started", "completed", "abandoned", "timed out", "transferred", "median s", "p95 s"),
               [(s["started"], s["outcomes"]["completed"], s["outcomes"]["abandoned"], s["outcomes"]["timed_out"],
                 s["outcomes"]["transferred"], s["median_seconds"] or 0, s["p95_seconds"] or 0)]),
        "<h2>Where subscribers drop out</h2>", _funnels(f),
        "<h2>Backend operations</h2>",
        _table(("operation", "category", "calls", "ok", "refused", "timeout rate", "error rate", "p95 ms"),
               [(op, o["category"] + (" (business)" if o["business"] else ""), o["calls"], o["ok"], o["refused"],
                 _pct(o["timeout_rate"]), _pct(o["error_rate"]), o["p95_ms"] or 0)
                for op, o in f["operations"].items()]),
        "<h2>Top invalid inputs</h2>",
        _table(("flow", "state", "invalid", "most typed"),
               [(r["flow"], r["state"], r["count"], ", ".join(f"{i['text']!r}×{i['count']}" for i in r["top"]))
                for r in f["invalid_inputs"][:10]]),
        "<h2>Confirmations, offers, satisfaction</h2>",
        _table(("asked", "yes rate", "answers"), [(f["confirmations"]["asked"], _pct(f["confirmations"]["yes_rate"]),
                                                  ", ".join(f"{k} {v}" for k, v in
                                                            f["confirmations"]["answers"].items()))]),
        _table(("offer", "shown", "accepted", "take-up"),
               [(o, v["shown"], v["accepted"], _pct(v["take_up"])) for o, v in f["offers"].items()]),
        _table(("survey", "answers", "mean score"),
               [(name, v["answers"], v["mean"]) for name, v in f["satisfaction"].items()]),
        f"<p class='muted'>SMS sent {f['sms_sent']}, agent transfers {f['transfers']}"
        f"{_unreached(f['agents_unreached'])}; agent cost ¥{f['agent_cost_yuan']} per contact.</p>",
    ]
    return ("<!doctype html><html lang='en'><head><meta charset='utf-8'><title>E-channel report</title>"
            f"<style>{CSS}</style></head><body>{''.join(sections)}</body></html>\n")
