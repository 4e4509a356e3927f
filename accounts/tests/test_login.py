import pytest
from django.test import Client
from django.urls import reverse

from accounts.tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN_URL = "/accounts/login/"


@pytest.fixture
def en_client():
    return Client(HTTP_ACCEPT_LANGUAGE="en")


def test_login_with_staff_id_and_password_succeeds(en_client, csr):
    # when
    response = en_client.post(LOGIN_URL, {"login": "CSR001", "password": PASSWORD})
    # then
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert en_client.get(reverse("home")).context["user"] == csr


def test_staff_id_is_case_insensitive_at_login(en_client, csr):
    response = en_client.post(LOGIN_URL, {"login": " csr001 ", "password": PASSWORD})
    assert response.status_code == 302


def test_login_form_labels_the_field_as_staff_id(en_client):
    response = en_client.get(LOGIN_URL)
    assert response.status_code == 200
    assert "Staff ID" in response.content.decode()


def test_login_page_is_chinese_by_default(csr):
    response = Client().get(LOGIN_URL)
    assert "工号" in response.content.decode()


def test_wrong_password_fails_with_a_message(en_client, csr):
    response = en_client.post(LOGIN_URL, {"login": "CSR001", "password": "wrong"})
    assert response.status_code == 200
    assert "not correct" in response.content.decode()
    assert "_auth_user_id" not in en_client.session


def test_login_is_rate_limited_per_staff_id(en_client, csr):
    # given: five failures for the same staff ID
    for _ in range(5):
        en_client.post(LOGIN_URL, {"login": "CSR001", "password": "wrong"})
    # when: the right password is tried afterwards
    response = en_client.post(LOGIN_URL, {"login": "CSR001", "password": PASSWORD})
    # then: still refused, with the rate-limit message
    assert "_auth_user_id" not in en_client.session
    assert "Too many failed login attempts" in response.content.decode()


def test_rate_limit_on_one_staff_id_does_not_lock_out_colleagues_on_the_same_ip(
    en_client, csr, reviewer
):
    for _ in range(6):
        en_client.post(LOGIN_URL, {"login": "CSR001", "password": "wrong"})
    response = en_client.post(LOGIN_URL, {"login": "REV001", "password": PASSWORD})
    assert response.status_code == 302


def test_signup_is_closed(en_client):
    response = en_client.get("/accounts/signup/")
    assert "Sign Up Closed" in response.content.decode()


def test_logout_requires_post(en_client, csr):
    en_client.force_login(csr)
    # a GET only shows the confirmation page
    en_client.get("/accounts/logout/")
    assert "_auth_user_id" in en_client.session
    # a POST logs out
    response = en_client.post("/accounts/logout/")
    assert response.status_code == 302
    assert "_auth_user_id" not in en_client.session


def test_password_reset_flow_is_reachable(en_client, csr, mailoutbox):
    csr.email = "csr001@example.com"
    csr.save()
    assert en_client.get("/accounts/password/reset/").status_code == 200
    response = en_client.post("/accounts/password/reset/", {"login": "CSR001"})
    assert response.status_code == 302
    assert len(mailoutbox) == 1
    assert "/accounts/password/reset/key/" in mailoutbox[0].body


def test_admin_login_goes_through_the_rate_limited_staff_login(en_client):
    response = en_client.get("/admin/login/")
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN_URL)


def test_anonymous_home_redirects_to_login(en_client):
    response = en_client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN_URL)
