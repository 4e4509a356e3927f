"""The login page speaks of the staff ID (工号), does not invite people to sign up (accounts
come from HR), and a lock-out says how long to wait."""

import pytest
import time_machine
from django.test import Client

from accounts.tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN_URL = "/accounts/login/"


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_login_page_does_not_invite_people_to_sign_up(language):
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    content = client.get(LOGIN_URL).content.decode()
    assert "/accounts/signup/" not in content
    assert "sign up" not in content.lower() and "注册" not in content


def test_a_wrong_password_message_speaks_of_the_staff_id_not_a_username(client, csr):
    content = client.post(LOGIN_URL, {"login": "CSR001", "password": "wrong"}).content.decode()
    assert "The staff ID and/or password you specified are not correct." in content
    assert "The username and/or password" not in content


def test_a_lock_out_says_how_many_minutes_to_wait(client, csr):
    # given five failures for one staff ID (the limit is 5 per 5 minutes)
    with time_machine.travel("2026-11-28 08:00:00Z", tick=False):
        for _ in range(5):
            client.post(LOGIN_URL, {"login": "CSR001", "password": "wrong"})
    # when the right password is tried two minutes later
    with time_machine.travel("2026-11-28 08:02:00Z", tick=False):
        content = client.post(LOGIN_URL, {"login": "CSR001", "password": PASSWORD}).content.decode()
    # then the refusal says when to try again
    assert "Too many failed login attempts. Try again in 3 minutes." in content
    assert "_auth_user_id" not in client.session
