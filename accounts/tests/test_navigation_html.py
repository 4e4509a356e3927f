"""The top bar's navigation is rendered once per process for each list of entries, active
entry, staff flag and language (accounts.navigation.navigation_html): what it shows must
follow each of them on the very next request."""

import re

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.urls import reverse

from accounts import roles

pytestmark = pytest.mark.django_db


def _nav(client, url) -> str:
    html = client.get(url).content.decode()
    found = re.search(r'<nav class="mainnav".*?</nav>', html, re.S)
    assert found, "the page has no top-bar navigation"
    return found.group(0)


def _current(nav: str) -> list[str]:
    return re.findall(r'<a href="([^"]+)" aria-current="page">', nav)


def test_the_current_page_is_marked_on_each_page(client, csr):
    client.force_login(csr)
    assert _current(_nav(client, reverse("home"))) == [reverse("home")]
    assert _current(_nav(client, reverse("curriculum:my_map"))) == [reverse("curriculum:my_map")]
    assert _current(_nav(client, reverse("home"))) == [reverse("home")]


def test_the_navigation_follows_the_language_switch(client, csr):
    client.force_login(csr)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = _nav(client, reverse("home"))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    chinese = _nav(client, reverse("home"))
    assert 'aria-label="Main navigation"' in english
    assert 'aria-label="Main navigation"' not in chinese
    assert english != chinese


def test_a_role_given_shows_its_entries_on_the_next_request_and_a_role_taken_hides_them(
    client, csr
):
    client.force_login(csr)
    directory = reverse("accounts:employee_directory")
    assert f'href="{directory}"' not in _nav(client, reverse("home"))
    csr.groups.add(Group.objects.get(name=roles.Role.HR))
    assert f'href="{directory}"' in _nav(client, reverse("home"))
    csr.groups.remove(Group.objects.get(name=roles.Role.HR))
    assert f'href="{directory}"' not in _nav(client, reverse("home"))


def test_only_staff_see_the_admin_link_even_with_the_same_permissions(client, csr):
    from accounts.tests.factories import UserFactory

    staff = UserFactory(staff_id="CSR900", roles=["CSR"], is_staff=True)
    admin = f'href="{reverse("admin:index")}"'
    client.force_login(csr)
    assert admin not in _nav(client, reverse("home"))
    client.force_login(staff)
    assert admin in _nav(client, reverse("home"))
    client.force_login(csr)
    assert admin not in _nav(client, reverse("home"))


def test_the_same_entries_in_another_language_are_another_rendering():
    # Words of the bar that are not entry labels (its aria-label) follow the language too.
    from django.utils import translation

    from accounts.navigation import navigation_html

    items = [{"label": "X", "url": "/x/", "active": False, "group": None}]
    with translation.override("en"):
        english = navigation_html(items, False)
    with translation.override("zh-hans"):
        chinese = navigation_html(items, False)
    assert 'aria-label="Main navigation"' in english
    assert 'aria-label="Main navigation"' not in chinese
