"""The pages run under the Content-Security-Policy in a real browser: Chromium reports every
blocked inline script or style in its console, so a page that relies on one fails here."""

import pytest
from django.urls import reverse
from selenium.webdriver.support.ui import WebDriverWait

from accounts.tests.factories import UserFactory
from promotion.tests.factories import make_test_cases
from tests.e2e.test_browser import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def csp_violations(browser) -> list[str]:
    return [
        entry["message"]
        for entry in browser.get_log("browser")
        if "Content Security Policy" in entry["message"] or "Refused to" in entry["message"]
    ]


def test_csr_and_manager_pages_run_without_csp_violations(browser, live_server):
    # given
    UserFactory(staff_id="CSP001", roles=["CSR"])
    UserFactory(staff_id="CSPTM1", roles=["Training manager"], is_staff=True)
    UserFactory(staff_id="CSPOM1", roles=["Operations manager"])
    UserFactory(staff_id="CSPADM", is_staff=True, is_superuser=True)
    make_test_cases(1, 10)
    pages = {
        "CSP001": [
            "home",
            "knowledgebase:search",
            "promotion:my_level",
            "promotion:exam_home",
            "points:my_points",
            "curriculum:my_map",
            "api-docs",
        ],
        "CSPTM1": [
            "home",
            "competency:round_list",
            "competency:round_create",
            "admin:index",
            "admin:promotion_levelrequirement_changelist",
            "admin:points_pointrule_changelist",
            "admin:knowledgebase_querytask_add",
        ],
        # entries are changed by maintainers (knowledgebase.maintain_entries): operations managers
        # in the web UI, superusers in admin
        "CSPOM1": ["knowledgebase:search", "knowledgebase:maintain", "knowledgebase:maintain_add"],
        "CSPADM": ["admin:knowledgebase_entry_add"],
    }
    for staff_id, names in pages.items():
        log_in(browser, live_server.url, staff_id)
        browser.get_log("browser")  # start clean
        for name in names:
            browser.get(live_server.url + reverse(name))
            # then
            assert csp_violations(browser) == [], name
    # and the exam page with its timer script
    log_in(browser, live_server.url, "CSP001")
    browser.get(live_server.url + reverse("promotion:exam_home"))
    browser.find_element("css selector", "form[action$='/exam/start/'] button[type=submit]").click()
    # the next page may take a while on a loaded machine: wait for the script's first tick
    WebDriverWait(browser, 20).until(
        lambda b: b.find_elements("id", "timer") and ":" in b.find_element("id", "timer").text
    )  # the static script formats the countdown as m:ss
    assert csp_violations(browser) == []
