"""In the browser: a date field keeps its value in Chinese (the picker accepts ISO only), the
exam names unanswered questions before sending, and a POST form's buttons are disabled while
it is sent."""

import time

import pytest
from django.utils import timezone
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from accounts.tests.factories import TeamFactory, UserFactory
from promotion.models import ExamAttempt
from promotion.tests.factories import make_test_cases
from tests.e2e.test_browser import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_a_date_field_keeps_its_value_in_chinese(browser, live_server, settings):
    # given a team leader whose pages are in Chinese (the product's default, whatever the browser
    # says)
    settings.LANGUAGE_FOLLOWS_BROWSER = False
    team = TeamFactory()
    UserFactory(staff_id="E2EDATE", roles=["Team leader", "CSR"], team=team, centre=team.centre)
    member = UserFactory(roles=["CSR"], team=team, centre=team.centre)
    log_in(browser, live_server.url, "E2EDATE")
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "zh-hans"
    # when the behaviour rating form opens with today's date filled in
    browser.get(f"{live_server.url}/curriculum/people/{member.pk}/rate/")
    field = browser.find_element(By.ID, "id_observed_on")
    # then the date picker shows it (a localised 2026/11/28 would be dropped as empty and block the
    # form)
    assert field.get_attribute("type") == "date"
    assert field.get_property("value") == timezone.localdate().isoformat()


def test_the_exam_names_unanswered_questions_before_sending(browser, live_server):
    make_test_cases(1, 10)
    UserFactory(staff_id="E2EEXAM", roles=["CSR"], level=0)
    log_in(browser, live_server.url, "E2EEXAM")
    browser.get(live_server.url + "/promotion/exam/")
    browser.find_element(
        By.CSS_SELECTOR, "form[action$='/exam/start/'] button[type=submit]"
    ).click()
    WebDriverWait(browser, 10).until(EC.presence_of_element_located((By.ID, "exam-form")))
    take_url = browser.current_url
    assert ":" in browser.find_element(By.ID, "timer").text
    # when the first question is answered and the form sent
    browser.find_element(By.CSS_SELECTOR, "#exam-form fieldset input[type=radio]").click()
    browser.find_element(By.CSS_SELECTOR, "#exam-form button[type=submit]").click()
    # then the page stays and names the others
    warning = WebDriverWait(browser, 5).until(
        EC.visibility_of_element_located((By.ID, "unanswered-warning"))
    )
    count = len(browser.find_elements(By.CSS_SELECTOR, "#exam-form fieldset"))
    assert browser.current_url == take_url
    assert ", ".join(str(n) for n in range(2, count + 1)) in warning.text
    assert ExamAttempt.objects.get(employee__staff_id="E2EEXAM").status == "open"
    # when sent again: it goes
    browser.find_element(By.CSS_SELECTOR, "#exam-form button[type=submit]").click()
    WebDriverWait(browser, 10).until(EC.presence_of_element_located((By.ID, "result")))
    assert ExamAttempt.objects.get(employee__staff_id="E2EEXAM").status != "open"


def test_a_post_forms_buttons_are_disabled_while_it_is_sent(browser, live_server):
    browser.get(live_server.url + "/accounts/login/")
    # a submit event as the browser fires it (without leaving the page)
    browser.execute_script(
        "document.querySelector('main form').dispatchEvent(new Event('submit', {bubbles: true, "
        "cancelable: true}));"
    )
    time.sleep(0.2)
    button = browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]")
    assert button.get_property("disabled") is True and button.get_attribute("aria-busy") == "true"
    assert button.text == "Submitting…"
    assert browser.find_element(By.CSS_SELECTOR, "main form").get_attribute("aria-busy") == "true"


def test_a_sent_forms_buttons_come_back_when_the_page_is_shown_again(browser, live_server):
    browser.get(live_server.url + "/accounts/login/")
    button = browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]")
    before = button.text
    browser.execute_script(
        "document.querySelector('main form').dispatchEvent(new Event('submit', {bubbles: true, "
        "cancelable: true}));"
    )
    WebDriverWait(browser, 5).until(lambda b: button.get_property("disabled"))
    # when the browser shows the page again from its back/forward cache (Back after sending)
    browser.execute_script(
        "window.dispatchEvent(new PageTransitionEvent('pageshow', {persisted: true}));"
    )
    # then the button is usable and reads as before
    assert button.get_property("disabled") is False and button.get_attribute("aria-busy") is None
    assert button.text == before != "Submitting…"
    assert browser.find_element(By.CSS_SELECTOR, "main form").get_attribute("aria-busy") is None


def test_a_cancelled_submit_and_an_htmx_form_are_left_alone(browser, live_server):
    browser.get(live_server.url + "/accounts/login/")
    # a handler that cancels the submit (as the exam's unanswered-question check does)
    browser.execute_script(
        "var f = document.querySelector('main form');"
        "f.addEventListener('submit', function (e) { e.preventDefault(); });"
        "f.dispatchEvent(new Event('submit', {bubbles: true, cancelable: true}));"
    )
    time.sleep(0.2)
    button = browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]")
    assert button.get_property("disabled") is False and button.get_attribute("aria-busy") is None
    # an htmx form disables its own elements (hx-disabled-elt): this script does not touch it
    browser.get(live_server.url + "/accounts/login/")
    browser.execute_script(
        "var f = document.querySelector('main form'); f.setAttribute('hx-post', f.action);"
        "f.dispatchEvent(new Event('submit', {bubbles: true, cancelable: true}));"
    )
    time.sleep(0.2)
    button = browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]")
    assert button.get_property("disabled") is False and button.text != "Submitting…"
