"""A real headless browser for page tests: Debian's chromium driven by Selenium through chromium-driver.

No browser is downloaded: ``.ci/run`` installs ``chromium`` and ``chromium-driver``
from Debian's packages. Without them the page tests skip locally and fail in CI.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import skip_or_fail

CHROMIUM = ("chromium", "chromium-browser")
DRIVER = "chromedriver"


def _binary(names: tuple[str, ...]) -> str | None:
    for name in names:
        path = shutil.which(name)
        if path:
            return path
    return None


@pytest.fixture
def browser() -> Iterator[Any]:
    """A headless Chromium WebDriver with a 1280x900 window; quits after the test."""
    chromium, driver = _binary(CHROMIUM), shutil.which(DRIVER)
    if chromium is None or driver is None:
        skip_or_fail("chromium and chromium-driver are not installed (apt-get install chromium chromium-driver)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(chromium)
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1280,900", "--lang=zh-CN"):
        options.add_argument(arg)
    web = webdriver.Chrome(service=Service(executable_path=str(driver)), options=options)
    web.set_page_load_timeout(30)
    try:
        yield web
    finally:
        web.quit()
