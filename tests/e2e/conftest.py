"""End-to-end tests in headless Chromium against the live test server.

They need Debian's chromium and chromium-driver (`.ci/run` installs them). Without a
browser they are skipped on a developer's machine; with E2E_REQUIRED=1 (set by `.ci/run`
once the browser is there) or CI=true a missing browser is a failure.
"""

import os
import shutil

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")


def require_browser() -> None:
    """Skip the calling test when there is no browser — or fail it where the browser tests
    are required (E2E_REQUIRED=1 or CI=true)."""
    if CHROMIUM and CHROMEDRIVER:
        return
    if os.environ.get("E2E_REQUIRED") == "1" or os.environ.get("CI") == "true":
        pytest.fail(
            "the browser tests are required here but chromium/chromedriver are not installed"
        )
    pytest.skip("chromium and chromedriver are not installed")


@pytest.fixture
def browser():
    require_browser()
    from selenium import webdriver

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--window-size=1366,768",
        "--lang=en-US",
    ):
        options.add_argument(arg)
    options.add_experimental_option("prefs", {"intl.accept_languages": "en-US,en"})
    options.set_capability(
        "goog:loggingPrefs", {"browser": "ALL"}
    )  # CSP violations land in the console
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(CHROMEDRIVER))
    driver.implicitly_wait(0)
    yield driver
    driver.quit()
