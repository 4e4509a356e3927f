"""API tokens: the web login's limiter applies, tokens expire, a password change or
deactivation revokes them, and anonymous or bad-token calls get 401 with a challenge."""

from datetime import timedelta

import pytest
import time_machine
from django.test import Client, override_settings
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework.throttling import UserRateThrottle

from accounts.tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db
TOKEN_URL = "/api/auth/token/"


@pytest.fixture
def api():
    return APIClient(HTTP_ACCEPT_LANGUAGE="en")


def token_for(api, staff_id: str, password: str = PASSWORD):
    return api.post(TOKEN_URL, {"staff_id": staff_id, "password": password})


def test_thirty_wrong_passwords_are_cut_off_after_five(api, csr):
    statuses = [token_for(api, "CSR001", "wrong").status_code for _ in range(30)]
    assert statuses[:5] == [400] * 5
    assert set(statuses[5:]) == {429}


def test_a_locked_staff_id_gets_no_token_even_with_the_right_password(api, csr):
    # given: the staff ID is locked by failures on the WEB login form
    web = Client(HTTP_ACCEPT_LANGUAGE="en")
    for _ in range(5):
        web.post("/accounts/login/", {"login": "CSR001", "password": "wrong"})
    # when
    response = token_for(api, "CSR001")
    # then
    assert response.status_code == 429
    assert response.json() == {
        "detail": "Too many failed login attempts for this staff ID. Try again later.",
        "code": "login_locked",
    }
    assert "token" not in response.json()


def test_failures_on_the_api_lock_the_web_login_too(api, csr):
    for _ in range(5):
        token_for(api, "csr001", "wrong")
    response = Client(HTTP_ACCEPT_LANGUAGE="en").post(
        "/accounts/login/", {"login": "CSR001", "password": PASSWORD}
    )
    assert response.status_code == 200
    assert "Too many failed login attempts" in response.content.decode()


def test_failures_across_staff_ids_from_one_address_hit_the_per_ip_limit(api, csr, reviewer):
    with override_settings(
        ACCOUNT_RATE_LIMITS={"login_failed": "3/m/ip,5/5m/key", "login": "300/m/ip"}
    ):
        for staff_id in ("AAA1", "AAA2", "AAA3"):
            assert token_for(api, staff_id, "wrong").status_code == 400
        assert token_for(api, "REV001").status_code == 429


def test_tokens_expire_after_the_configured_lifetime(api, csr):
    token = token_for(api, "CSR001").json()["token"]
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    with time_machine.travel(timezone.now() + timedelta(hours=11, minutes=59)):
        assert api.get("/api/me/").status_code == 200
    with time_machine.travel(timezone.now() + timedelta(hours=12, minutes=1)):
        assert api.get("/api/me/").status_code == 401


def test_a_password_change_revokes_earlier_tokens(api, csr):
    # given
    token = token_for(api, "CSR001").json()["token"]
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.get("/api/me/").status_code == 200
    # when: the password is changed (here by an administrator; the web forms call the same
    # set_password)
    with time_machine.travel(timezone.now() + timedelta(seconds=1)):
        csr.set_password("a-new-long-passphrase")
        csr.save()
        # then
        response = api.get("/api/me/")
        assert response.status_code == 401
        assert response.json()["detail"] == "The password changed since this token was issued."
        # and a token issued with the new password works
        fresh = token_for(api, "CSR001", "a-new-long-passphrase").json()["token"]
        api.credentials(HTTP_AUTHORIZATION=f"Token {fresh}")
        assert api.get("/api/me/").status_code == 200


def test_a_password_reset_through_the_web_revokes_earlier_tokens(api, csr, mailoutbox):
    csr.email = "csr001@example.com"
    csr.save()
    token = token_for(api, "CSR001").json()["token"]
    web = Client(HTTP_ACCEPT_LANGUAGE="en")
    web.post("/accounts/password/reset/", {"login": "CSR001"})
    link = next(
        line for line in mailoutbox[0].body.splitlines() if "/accounts/password/reset/key/" in line
    ).strip()
    path = link[link.index("/accounts/") :]
    with time_machine.travel(timezone.now() + timedelta(seconds=1)):
        form_url = web.get(path, follow=True).redirect_chain[-1][0]
        response = web.post(
            form_url, {"password1": "Fresh-pass-2027!", "password2": "Fresh-pass-2027!"}
        )
        assert response.status_code == 302
        api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        assert api.get("/api/me/").status_code == 401


def test_deactivating_an_employee_revokes_their_tokens(api, csr):
    token = token_for(api, "CSR001").json()["token"]
    csr.is_active = False
    csr.save()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.get("/api/me/").status_code == 401


def test_logout_revokes_the_token_used(api, csr):
    token = token_for(api, "CSR001").json()["token"]
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.post("/api/auth/logout/").status_code == 204
    assert api.get("/api/me/").status_code == 401


def test_only_the_newest_tokens_per_user_are_kept(api, csr, settings):
    settings.API_TOKENS_PER_USER = 2
    first, second, third = (token_for(api, "CSR001").json()["token"] for _ in range(3))
    for token, works in ((first, False), (second, True), (third, True)):
        api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        assert (api.get("/api/me/").status_code == 200) is works


@pytest.mark.parametrize("header", [None, "Token not-a-real-token", "Token"])
def test_a_missing_or_bad_token_is_a_401_with_a_challenge(api, header):
    if header:
        api.credentials(HTTP_AUTHORIZATION=header)
    response = api.get("/api/me/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_the_api_throttles_a_user_beyond_the_configured_rate(api, csr, monkeypatch):
    monkeypatch.setattr(UserRateThrottle, "THROTTLE_RATES", {"user": "3/min", "anon": "300/min"})
    api.force_authenticate(csr)
    statuses = [api.get("/api/me/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]


@pytest.mark.parametrize("asked, other", [("SHARE1", "SHARE2"), ("SHARE2", "SHARE1")])
def test_password_reset_goes_to_the_one_account_of_the_staff_id(mailoutbox, asked, other):
    # given: two employees share an (unverified) address
    UserFactory(staff_id="SHARE1", email="floor3@example.com")
    UserFactory(staff_id="SHARE2", email="floor3@example.com")
    web = Client(HTTP_ACCEPT_LANGUAGE="en")
    # when
    response = web.post("/accounts/password/reset/", {"login": asked.lower()})
    # then: one mail, and its link resets the asked account only
    assert response.status_code == 302
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["floor3@example.com"]
    assert asked in mailoutbox[0].body and other not in mailoutbox[0].body


@pytest.mark.parametrize("staff_id", ["NOBODY", "NOMAIL"])
def test_password_reset_for_an_unknown_staff_id_or_one_without_address_looks_the_same_and_sends_nothing(  # noqa: E501
    staff_id, mailoutbox
):
    UserFactory(staff_id="NOMAIL", email="")
    response = Client(HTTP_ACCEPT_LANGUAGE="en").post(
        "/accounts/password/reset/", {"login": staff_id}
    )
    assert response.status_code == 302
    assert mailoutbox == []


def test_the_password_reset_page_asks_for_the_staff_id_not_an_address():
    html = Client(HTTP_ACCEPT_LANGUAGE="en").get("/accounts/password/reset/").content.decode()
    assert 'name="login"' in html and 'name="email"' not in html
