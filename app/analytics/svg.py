"""Charts as inline SVG strings: the report page stays one file that needs no network to view.

Three shapes cover the page: a line chart (volumes over time), horizontal bars
(categories, funnels: a pale bar for "entered" with a dark part for "left"),
and a gauge bar (share against its target). Every label is escaped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape

PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b")


def line_chart(labels: Sequence[str], series: Mapping[str, Sequence[int]], width: int = 760,
               height: int = 260) -> str:
    left, right, top, bottom = 48, 110, 16, 36
    w, h = width - left - right, height - top - bottom
    peak = max([1, *(v for values in series.values() for v in values)])
    n = max(len(labels), 2)
    x = [left + i * w / (n - 1) for i in range(len(labels))]

    def y(v: float) -> float:
        return top + h - v / peak * h

    parts = [f'<svg class="chart line" role="img" width="{width}" height="{height}" viewBox="0 0 {width} {height}">']
    for frac in (0, 0.5, 1):
        yy = y(peak * frac)
        parts.append(f'<line x1="{left}" x2="{left + w}" y1="{yy:.1f}" y2="{yy:.1f}" stroke="#ddd"/>'
                     f'<text x="{left - 6}" y="{yy + 4:.1f}" text-anchor="end">{round(peak * frac)}</text>')
    step = max(1, len(labels) // 6)
    for i in range(0, len(labels), step):
        parts.append(f'<text x="{x[i]:.1f}" y="{height - 12}" text-anchor="middle">{escape(labels[i][5:])}</text>')
    for k, (name, values) in enumerate(series.items()):
        color = PALETTE[k % len(PALETTE)]
        points = " ".join(f"{x[i]:.1f},{y(v):.1f}" for i, v in enumerate(values))
        parts.append(f'<polyline class="series" fill="none" stroke="{color}" stroke-width="2.5" points="{points}"/>')
        parts.append(f'<rect x="{left + w + 16}" y="{top + 20 * k}" width="12" height="12" fill="{color}"/>'
                     f'<text x="{left + w + 34}" y="{top + 20 * k + 11}">{escape(name)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def bars(rows: Sequence[tuple[str, float, float]], width: int = 760, unit: str = "") -> str:
    """Horizontal bars: (label, value, dark part of value) per row."""
    label_w, row_h = 200, 26
    height = row_h * len(rows) + 8
    peak = max([1.0, *(v for _, v, _ in rows)])
    span = width - label_w - 70
    parts = [f'<svg class="chart bars" role="img" width="{width}" height="{height}" viewBox="0 0 {width} {height}">']
    for i, (label, value, dark) in enumerate(rows):
        yy = 4 + i * row_h
        full, part = value / peak * span, dark / peak * span
        parts.append(f'<text x="{label_w - 8}" y="{yy + 16}" text-anchor="end">{escape(label)}</text>'
                     f'<rect class="bar" x="{label_w}" y="{yy}" width="{max(full, 1):.1f}" height="{row_h - 6}" '
                     f'fill="#9ecae1"/>')
        if dark:
            parts.append(f'<rect class="lost" x="{label_w}" y="{yy}" width="{part:.1f}" height="{row_h - 6}" '
                         f'fill="#d62728"/>')
        tail = f"{value:g}{unit}" + (f" ({dark:g} lost)" if dark else "")
        parts.append(f'<text x="{label_w + full + 6:.1f}" y="{yy + 16}">{escape(tail)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def gauge(value: float, target: float | None, width: int = 760, height: int = 64) -> str:
    """A 0–100 % bar with the value filled in and the target as a marker."""
    left, span = 10, width - 20
    parts = [f'<svg class="chart gauge" role="img" width="{width}" height="{height}" viewBox="0 0 {width} {height}">',
             f'<rect x="{left}" y="10" width="{span}" height="24" fill="#eee"/>',
             f'<rect class="bar" x="{left}" y="10" width="{max(value * span, 1):.1f}" height="24" fill="#2ca02c"/>',
             f'<text x="{left + 6}" y="54">e-channels {value * 100:.1f}%</text>']
    if target is not None:
        tx = left + target * span
        parts.append(f'<line class="target" x1="{tx:.1f}" x2="{tx:.1f}" y1="4" y2="40" stroke="#000" '
                     f'stroke-width="3"/><text x="{tx:.1f}" y="54" text-anchor="middle">target {target * 100:.0f}%'
                     "</text>")
    parts.append("</svg>")
    return "".join(parts)
