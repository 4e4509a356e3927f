"""Every demo role's day starts on the home page: log in as each demo account, open the
home page in Chinese and in English, fail on any 4xx/5xx response the page (or anything it
loads) gets, and keep a screenshot of each under test-artifacts/ (git-ignored)."""

import io
import json
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from accounts.demo import DEMO_PASSWORD
from tests.e2e.conftest import CHROMEDRIVER, CHROMIUM, require_browser

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts" / "role-homes"
# (staff ID, role, the home panel the role must see)
DEMO_ROLES = [
    ("HB0001", "csr", "panel-study"),
    ("HB0005", "committee", "panel-review"),
    ("HB9001", "training-manager", "panel-training"),
    ("HB9101", "hr", "panel-rosters"),
    ("HB9301", "team-leader", "panel-team"),
    ("HB9201", "operations-manager", "panel-operations"),
    ("ADMIN", "superuser", "panel-operations"),
]
HEADINGS = {"zh-hans": "欢迎", "en": "Welcome"}


@pytest.fixture
def logged_browser():
    """Chromium that records its network log, to see every response's status."""
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
        "--window-size=1366,900",
        "--lang=en-US",
    ):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(CHROMEDRIVER))
    driver.implicitly_wait(0)
    yield driver
    driver.quit()


def bad_responses(browser) -> list[str]:
    """The 4xx/5xx responses since the last call (the log is drained by reading it)."""
    bad = []
    for entry in browser.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.responseReceived":
            response = message["params"]["response"]
            if response["status"] >= 400:
                bad.append(f"{response['status']} {response['url']}")
    return bad


def log_in(browser, base_url, staff_id, language):
    browser.delete_all_cookies()
    browser.get(base_url + "/accounts/login/")
    browser.add_cookie({"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "path": "/"})
    browser.get(base_url + "/accounts/login/")
    browser.find_element(By.NAME, "login").send_keys(staff_id)
    browser.find_element(By.NAME, "password").send_keys(DEMO_PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
    # the login redirects home: wait for the page to leave the login form (a broken home
    # page is then reported by its status, not by a timeout)
    WebDriverWait(browser, 10).until(lambda b: "/accounts/login/" not in b.current_url)


def english_msgids() -> list[str]:
    """The project's own msgids of two words or more (a single word such as "Level" may also
    be data): on a Chinese page none of them may show in English."""
    import polib

    catalogue = polib.pofile(str(settings.BASE_DIR / "locale/zh_Hans/LC_MESSAGES/django.po"))
    return [
        entry.msgid
        for entry in catalogue
        if " " in entry.msgid
        and "%" not in entry.msgid
        and "{" not in entry.msgid
        and len(entry.msgid) >= 8
    ]


def test_every_demo_roles_home_page_in_both_languages(logged_browser, live_server):
    # given: the demo data set, as `manage.py demo` builds it
    call_command("demo", force=True, stdout=io.StringIO())  # the test runner turns DEBUG off
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    failures = []
    for staff_id, role, panel in DEMO_ROLES:
        for language, heading in HEADINGS.items():
            # when
            log_in(logged_browser, live_server.url, staff_id, language)
            logged_browser.get(live_server.url + "/")
            WebDriverWait(logged_browser, 10).until(
                EC.presence_of_element_located((By.TAG_NAME, "body"))
            )
            logged_browser.save_screenshot(str(ARTIFACTS / f"{role}-{language}.png"))
            # then
            where = f"{staff_id} ({role}, {language})"
            failures += [f"{where}: {bad}" for bad in bad_responses(logged_browser)]
            if heading not in "".join(
                h.text for h in logged_browser.find_elements(By.TAG_NAME, "h1")
            ):
                failures.append(f"{where}: the home page is not in {language}")
            if not logged_browser.find_elements(By.ID, panel):
                failures.append(f"{where}: no #{panel}")
            if language == "zh-hans":
                text = logged_browser.find_element(By.TAG_NAME, "body").text
                failures += [
                    f"{where}: untranslated {msgid!r}"
                    for msgid in english_msgids()
                    if msgid in text
                ]
    assert failures == []
    assert len(list(ARTIFACTS.glob("*.png"))) >= len(DEMO_ROLES) * len(HEADINGS)
