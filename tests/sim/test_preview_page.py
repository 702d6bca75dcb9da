"""``menuflow preview`` in a real headless Chromium: states per channel, diagnostics, refresh on save, walking.

The server runs in its own thread and event loop on 127.0.0.1; the browser is
Debian's chromium driven by Selenium (tests/browser.py). Checks are structural
(elements and their texts), never pixels.
"""

from __future__ import annotations

import asyncio
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from simulator.preview.server import LOOPBACK, make_app
from tests.browser import browser  # noqa: F401  (the fixture)
from tests.net import free_port

DEMO = Path(__file__).resolve().parents[2] / "flows" / "10086"
WAIT = 15.0


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    folder = tmp_path / "flows"
    shutil.copytree(DEMO, folder / "10086")
    port = free_port()
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(make_app([str(folder)]))
    started = threading.Event()

    def serve() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(runner.setup())
        loop.run_until_complete(web.TCPSite(runner, LOOPBACK, port).start())
        started.set()
        loop.run_forever()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    assert started.wait(WAIT)
    try:
        yield f"http://{LOOPBACK}:{port}/", folder
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(WAIT)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(WAIT)


def _until(web_driver: Any, css: str, text: str = "") -> Any:
    """The first element matching ``css`` (containing ``text``), waiting for the page's polling to draw it."""
    from selenium.webdriver.common.by import By

    deadline = time.monotonic() + WAIT
    while True:
        found = [e for e in web_driver.find_elements(By.CSS_SELECTOR, css) if text in e.text]
        if found:
            return found[0]
        if time.monotonic() > deadline:
            raise AssertionError(f"no {css!r} containing {text!r} on the page")
        time.sleep(0.1)


def test_states_side_by_side_per_channel(browser: Any, served: tuple[str, Path]) -> None:  # noqa: F811
    url, _ = served
    browser.get(url)
    card = _until(browser, '.state[data-state="package_list"]')
    sms = card.find_element("css selector", ".channel.sms")
    assert "5. 手机报 3.00元/月" in sms.text and "segment(s)" in sms.text
    ussd = card.find_elements("css selector", ".channel.ussd .page")
    assert len(ussd) == 2 and "98 更多" in ussd[0].text and "units" in ussd[0].text
    ivr = card.find_element("css selector", ".channel.ivr")
    assert "更多选项请按9" in ivr.text and "4 option(s)" in ivr.text
    assert "flowchart TD" in browser.find_element("id", "graph").text
    # a message says its own text on every channel, filled with the subscriber's balance
    shown = _until(browser, '.state[data-state="show_balance"] .channel.sms', "50.00元")
    assert "1 segment(s)" in shown.text
    png = browser.get_screenshot_as_png()  # structure of the screenshot, not its pixels: a PNG of the window
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and int.from_bytes(png[16:20], "big") == 1280


def test_diagnostics_next_to_their_state_and_refresh_on_save(browser: Any, served: tuple[str, Path]) -> None:  # noqa: F811
    url, folder = served
    browser.get(url)
    _until(browser, '.state[data-state="show_balance"]')
    main = folder / "10086" / "main.yaml"
    main.write_text(main.read_text(encoding="utf-8").replace("{{ bal.balance }}元", "{{ bla.balance }}元"),
                    encoding="utf-8")
    diag = _until(browser, '.state[data-state="show_balance"] .diag.error', "unknown variable 'bla'")
    assert "did you mean 'bal'" in diag.text


def test_walk_by_clicking_options(browser: Any, served: tuple[str, Path]) -> None:  # noqa: F811
    url, _ = served
    browser.get(url)
    from selenium.webdriver.support.ui import Select

    _until(browser, '.state[data-state="main"]')
    Select(browser.find_element("id", "walk-channel")).select_by_visible_text("ussd")
    browser.find_element("id", "walk-start").click()
    _until(browser, "#walk-choices button.choice", "话费余额").click()
    reply = _until(browser, "#walk-reply", "50.00元")
    assert "余额" in reply.text
    assert "10086:balance_offer" in browser.find_element("id", "walk-state").text  # the offer after a query
