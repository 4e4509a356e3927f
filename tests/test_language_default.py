"""Pages are in the product's language (Simplified Chinese by default) unless the person chose
another in the language switch; the browser's own language does not decide."""

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _production_language_rules(settings):
    settings.LANGUAGE_FOLLOWS_BROWSER = False


def test_an_english_browser_gets_the_chinese_default_when_no_choice_was_made(csr):
    # given a person whose browser asks for English but who never used the language switch
    client = Client(HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    client.force_login(csr)
    # when they open the home page
    content = client.get(reverse("home")).content.decode()
    # then it is in Simplified Chinese
    assert 'lang="zh-hans"' in content and "首页" in content


def test_the_login_page_ignores_the_browser_language_too():
    content = Client(HTTP_ACCEPT_LANGUAGE="en").get(reverse("account_login")).content.decode()
    assert 'lang="zh-hans"' in content


def test_the_language_switch_overrides_the_default_and_is_remembered(csr):
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-CN")
    client.force_login(csr)
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302
    assert response.cookies["django_language"]["max-age"] >= 30 * 24 * 3600
    assert 'lang="en"' in client.get(reverse("home")).content.decode()


def test_a_setting_changes_the_default_language(settings, csr):
    settings.LANGUAGE_CODE = "en"
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-CN")
    client.force_login(csr)
    assert 'lang="en"' in client.get(reverse("home")).content.decode()


def test_a_setting_can_make_pages_follow_the_browser(settings, csr):
    settings.LANGUAGE_FOLLOWS_BROWSER = True
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(csr)
    assert 'lang="en"' in client.get(reverse("home")).content.decode()


def test_the_api_honours_the_language_its_caller_asks_for():
    # a program asks explicitly; an error comes back in that language
    english = Client(HTTP_ACCEPT_LANGUAGE="en").get(reverse("api-me"))
    chinese = Client(HTTP_ACCEPT_LANGUAGE="zh-CN").get(reverse("api-me"))
    assert english.status_code == chinese.status_code == 401
    assert english.json()["detail"] == "Authentication credentials were not provided."
    assert chinese.json()["detail"] != english.json()["detail"]
