"""The htmx parts in a real browser: Back after a live search shows the results again, a case
is marked studied and rated in place, a refused rating shows its reason in place (a 4xx
fragment is swapped, not dropped), and an exam choice survives a reload."""

from urllib.parse import unquote

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from accounts.tests.factories import UserFactory
from casebase.models import CaseRating, CaseStudy
from casebase.services.study import case_rate
from casebase.tests.factories import CaseFactory
from knowledgebase.tests.factories import EntryFactory
from promotion.models import ExamAttempt
from promotion.tests.factories import make_test_cases
from tests.e2e.test_browser import log_in
from tests.e2e.test_csp_in_browser import csp_violations

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def same_page(browser) -> bool:
    return browser.execute_script("return window.samePage === true;")


def test_live_search_changes_the_url_and_back_shows_the_results_again(browser, live_server):
    # given
    UserFactory(staff_id="E2EHX1", roles=["CSR"])
    EntryFactory(title="国际漫游流量包", body="国际漫游流量包按目的地分为多日包和日包。")
    EntryFactory(title="宽带故障报修", body="宽带故障请先重启光猫。")
    log_in(browser, live_server.url, "E2EHX1")
    browser.get(live_server.url + "/kb/")
    browser.get_log("browser")
    # when: typing
    browser.find_element(By.ID, "id_q").send_keys("宽带")
    # then: results and URL follow
    WebDriverWait(browser, 10).until(
        EC.text_to_be_present_in_element((By.ID, "results"), "宽带故障报修")
    )
    WebDriverWait(browser, 10).until(lambda b: "q=" in b.current_url)
    assert "q=宽带" in unquote(browser.current_url)
    # when: the CSR opens the result and comes back
    browser.find_element(By.CSS_SELECTOR, "#results a.hit-title").click()
    WebDriverWait(browser, 10).until(EC.presence_of_element_located((By.TAG_NAME, "h1")))
    assert (
        "/kb/entries/" in browser.current_url
        or "宽带故障报修" in browser.find_element(By.TAG_NAME, "h1").text
    )
    browser.back()
    # then: the same results, the query still in the box
    WebDriverWait(browser, 10).until(
        EC.text_to_be_present_in_element((By.ID, "results"), "宽带故障报修")
    )
    assert browser.find_element(By.ID, "id_q").get_property("value") == "宽带"
    assert csp_violations(browser) == []


def test_a_csr_marks_a_case_studied_and_rates_it_in_place(browser, live_server):
    # given
    csr = UserFactory(staff_id="E2EHX2", roles=["CSR"], level=0)
    case = CaseFactory(level=1, title="话费争议案例甲")
    log_in(browser, live_server.url, "E2EHX2")
    browser.get(f"{live_server.url}/cases/{case.pk}/")
    browser.execute_script("window.samePage = true;")
    # when: marked as studied
    browser.find_element(By.CSS_SELECTOR, "#studied-box button[type=submit]").click()
    # then: the widget and the live region change, the page stays
    WebDriverWait(browser, 10).until(
        EC.text_to_be_present_in_element((By.ID, "studied-box"), "Studied on")
    )
    assert "Marked as studied." in browser.find_element(By.ID, "flash").text
    # when: rated
    browser.find_element(By.CSS_SELECTOR, "#rating-box input[name=value][value=excellent]").click()
    browser.find_element(By.CSS_SELECTOR, "#rating-box button[type=submit]").click()
    WebDriverWait(browser, 10).until(EC.presence_of_element_located((By.ID, "my-rating")))
    assert "Your rating was saved." in browser.find_element(By.ID, "flash").text
    assert same_page(browser)
    assert CaseStudy.objects.filter(employee=csr, case=case).exists()
    assert list(CaseRating.objects.filter(case=case).values_list("value", flat=True)) == [
        "excellent"
    ]
    assert csp_violations(browser) == []  # htmx runs without eval or inline styles


def test_a_rating_refused_on_the_server_shows_its_reason_in_place(browser, live_server):
    # given: the case page open with its rating form, and a rating saved meanwhile (another tab)
    csr = UserFactory(staff_id="E2EHX3", roles=["CSR"], level=0)
    case = CaseFactory(level=1)
    log_in(browser, live_server.url, "E2EHX3")
    browser.get(f"{live_server.url}/cases/{case.pk}/")
    browser.execute_script("window.samePage = true;")
    case_rate(employee=csr, case_id=case.pk, value="poor")
    # when: the form on the page is sent
    browser.find_element(By.CSS_SELECTOR, "#rating-box input[name=value][value=excellent]").click()
    browser.find_element(By.CSS_SELECTOR, "#rating-box button[type=submit]").click()
    # then: the 409 fragment replaced the form: the reason and the rating that stands
    error = WebDriverWait(browser, 10).until(
        EC.visibility_of_element_located((By.ID, "rating-error"))
    )
    assert "You have already rated this case; a rating cannot be changed." in error.text
    assert "You rated: Poor" in browser.find_element(By.ID, "my-rating").text
    assert same_page(browser)
    assert list(CaseRating.objects.filter(case=case).values_list("value", flat=True)) == ["poor"]


def test_an_exam_choice_is_saved_as_it_is_made_and_survives_a_reload(browser, live_server):
    make_test_cases(1, 10)
    UserFactory(staff_id="E2EHX4", roles=["CSR"], level=0)
    log_in(browser, live_server.url, "E2EHX4")
    browser.get(live_server.url + "/promotion/exam/")
    browser.find_element(
        By.CSS_SELECTOR, "form[action$='/exam/start/'] button[type=submit]"
    ).click()
    WebDriverWait(browser, 10).until(EC.presence_of_element_located((By.ID, "exam-form")))
    # when: the first question is answered
    radio = browser.find_element(By.CSS_SELECTOR, "#q-1 input[type=radio]")
    name, value = radio.get_attribute("name"), radio.get_attribute("value")
    radio.click()
    # then: the question list says so, and the server has it
    WebDriverWait(browser, 10).until(EC.presence_of_element_located((By.ID, "answers-saved")))
    assert (
        browser.find_element(By.CSS_SELECTOR, "#exam-progress a[href='#q-1']").get_attribute(
            "class"
        )
        == "answered"
    )
    attempt = ExamAttempt.objects.get(employee__staff_id="E2EHX4")
    assert attempt.answers == {name: value} and attempt.status == "open"
    # when: the page is loaded again
    browser.refresh()
    # then: the choice is still made, the timer still runs
    WebDriverWait(browser, 10).until(EC.presence_of_element_located((By.ID, "exam-form")))
    assert browser.find_element(
        By.CSS_SELECTOR, f"input[name='{name}'][value='{value}']"
    ).is_selected()
    assert ":" in browser.find_element(By.ID, "timer").text
