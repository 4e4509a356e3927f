"""What a person does in the browser: log in with a staff ID, use the menus, search the
knowledge base as they type, three committee members approving a revision, and an
operations manager revising an entry directly that a CSR then finds."""

from urllib.parse import unquote

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from accounts.tests.factories import PASSWORD, UserFactory
from knowledgebase.models import Entry
from knowledgebase.tests.factories import EntryFactory
from review.models import Proposal
from review.tests.factories import RevisionProposalFactory, committee_member

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def log_in(browser, base_url, staff_id):
    browser.delete_all_cookies()
    browser.get(base_url + "/accounts/login/")
    browser.find_element(By.NAME, "login").send_keys(staff_id)
    browser.find_element(By.NAME, "password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
    WebDriverWait(browser, 10).until(
        EC.presence_of_element_located((By.CSS_SELECTOR, "header .whoami"))
    )


def test_csr_logs_in_opens_the_learning_menu_and_gets_search_results_while_typing(
    browser, live_server
):
    # given
    UserFactory(staff_id="E2E001", name="端到端客服", roles=["CSR"])
    EntryFactory(title="国际漫游流量包", body="国际漫游流量包按目的地分为多日包和日包。")
    EntryFactory(title="宽带故障报修", body="宽带故障请先重启光猫。")
    # when: logging in with the staff ID typed in lower case
    log_in(browser, live_server.url, "e2e001")
    # then: the home page greets the employee
    assert "端到端客服" in browser.find_element(By.TAG_NAME, "h1").text

    # when: the Learning menu is opened and the knowledge base chosen
    browser.find_element(By.XPATH, "//nav//summary[normalize-space()='Learning']").click()
    browser.find_element(By.LINK_TEXT, "Knowledge base").click()
    browser.execute_script("window.samePage = true;")  # gone if the page is loaded again
    box = browser.find_element(By.ID, "id_q")
    box.send_keys("漫游")
    # then: results arrive without submitting the form, and the query is in the URL
    WebDriverWait(browser, 10).until(
        EC.text_to_be_present_in_element((By.ID, "results"), "国际漫游流量包")
    )
    assert "宽带故障报修" not in browser.find_element(By.ID, "results").text
    assert browser.execute_script(
        "return window.samePage === true;"
    )  # no page load: they came as the CSR typed
    WebDriverWait(browser, 10).until(lambda b: "q=" in b.current_url)
    assert unquote(browser.current_url).endswith("q=漫游&category=")
    assert browser.find_element(By.ID, "results").get_attribute("aria-live") == "polite"


def test_three_committee_members_approve_a_revision_in_the_web_ui(browser, live_server):
    # given: an open revision proposal and three committee members
    proposal = RevisionProposalFactory()
    reviewers = [committee_member(staff_id=f"E2EREV{n}") for n in range(3)]
    entry_id = proposal.target_id
    # when: each member opens the queue, the proposal, and approves
    for reviewer in reviewers:
        log_in(browser, live_server.url, reviewer.staff_id)
        browser.get(live_server.url + "/review/")
        browser.find_element(By.LINK_TEXT, str(proposal.pk)).click()
        browser.find_element(
            By.CSS_SELECTOR, "#vote-form input[name=decision][value=approve]"
        ).click()
        browser.find_element(By.CSS_SELECTOR, "#vote-form input[name=points]").send_keys("4")
        browser.find_element(By.CSS_SELECTOR, "#vote-form button[type=submit]").click()
        # the vote box answers in place (htmx): the vote cast and the feedback
        WebDriverWait(browser, 10).until(EC.presence_of_element_located((By.ID, "my-vote")))
        assert "Your vote was recorded." in browser.find_element(By.ID, "flash").text
    # then: the change is applied once, with the new text and version
    proposal.refresh_from_db()
    entry = Entry.objects.get(pk=entry_id)
    assert proposal.status == Proposal.Status.APPLIED
    assert entry.body.endswith("（已修订）")
    assert entry.version == 2


def test_operations_manager_revises_an_entry_in_the_web_ui_and_a_csr_finds_the_new_text(
    browser, live_server
):
    # given: an operations manager, a CSR and an entry
    UserFactory(staff_id="E2EOPS1", name="端到端运营", roles=["Operations manager"])
    UserFactory(staff_id="E2ECSR2", name="端到端客服二", roles=["CSR"])
    entry = EntryFactory(title="话费充值渠道", body="充值一般实时到账。")
    # when: the manager opens the maintain page from the Management menu, the entry, and edits it
    log_in(browser, live_server.url, "E2EOPS1")
    browser.find_element(By.XPATH, "//nav//summary[normalize-space()='Management']").click()
    browser.find_element(By.LINK_TEXT, "Maintain the knowledge base").click()
    browser.find_element(By.LINK_TEXT, "话费充值渠道").click()
    browser.find_element(By.ID, "edit-entry").click()
    body = browser.find_element(By.ID, "id_body")
    body.clear()
    body.send_keys("充值一般实时到账，到账后发送短信通知。")
    browser.find_element(By.ID, "id_reason").send_keys("补充到账短信通知")
    browser.find_element(By.CSS_SELECTOR, "#maintain-form button[name=save]").click()
    WebDriverWait(browser, 10).until(
        EC.text_to_be_present_in_element((By.CSS_SELECTOR, ".messages"), "Saved as version 2.")
    )
    # then: the history names the manager and the reason
    history = browser.find_element(By.ID, "entry-history").text
    assert "端到端运营" in history and "补充到账短信通知" in history
    entry.refresh_from_db()
    assert entry.version == 2

    # when: a CSR searches for the new words
    log_in(browser, live_server.url, "E2ECSR2")
    browser.find_element(By.XPATH, "//nav//summary[normalize-space()='Learning']").click()
    browser.find_element(By.LINK_TEXT, "Knowledge base").click()
    browser.find_element(By.ID, "id_q").send_keys("短信通知")
    # then: the revised entry is found
    WebDriverWait(browser, 10).until(
        EC.text_to_be_present_in_element((By.ID, "results"), "话费充值渠道")
    )
