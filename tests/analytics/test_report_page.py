"""The HTML report in a real headless Chromium: charts drawn, nothing fetched, no console errors."""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

from app.analytics.figures import Inputs, Period, compute
from app.analytics.html import render_html
from tests.analytics.known_events import T0, UNTIL, known_events
from tests.browser import browser

__all__ = ["browser"]


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


def test_report_page_renders_its_charts(browser: Any, tmp_path: Path) -> None:
    figures = compute(known_events(), Period(T0, UNTIL),
                      Inputs(other_channels={"shops": 5, "hotline": 3}, share_target=0.55))
    page = tmp_path / "report.html"
    page.write_text(render_html(figures), encoding="utf-8")
    browser.get(page.as_uri())
    from selenium.webdriver.common.by import By

    assert browser.find_element(By.TAG_NAME, "h1").text == "E-channel report"
    kpis = browser.find_elements(By.CSS_SELECTOR, ".kpi b")
    assert [k.text for k in kpis[:3]] == ["2", "1", "20.0%"]
    charts = {c.get_attribute("class"): c for c in browser.find_elements(By.CSS_SELECTOR, "svg.chart")}
    assert {"chart line", "chart gauge", "chart bars"} <= set(charts)
    for chart in charts.values():
        assert chart.size["width"] > 100 and chart.size["height"] > 40
    lines = browser.find_elements(By.CSS_SELECTOR, "svg.line polyline.series")
    assert len(lines) == 2 and all(line.size["width"] > 0 for line in lines)
    assert browser.find_element(By.CSS_SELECTOR, "svg.gauge line.target").size["height"] > 20
    lost = browser.find_elements(By.CSS_SELECTOR, "svg.bars rect.lost")
    assert len(lost) == 1 and lost[0].size["width"] > 0  # the funnel's "pkg" lost both its sessions
    # self-contained: the page fetched nothing, and the console stayed quiet
    assert browser.execute_script("return performance.getEntriesByType('resource').length") == 0
    assert [e for e in browser.get_log("browser") if e["level"] == "SEVERE"] == []
    width, height = _png_size(browser.get_screenshot_as_png())
    assert width >= 800 and height >= 600
