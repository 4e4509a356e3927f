"""Attack paths on the CSR home panel kept as HTML (accounts.dashboard_csr
.csr_panel_html): one user's panel never shown to another, per language, per role; and how
long a change by somebody else takes to show."""

import time

import pytest
from django.urls import reverse

from accounts import dashboard_csr
from accounts.tests.factories import UserFactory
from promotion.tests.factories import earn_points

pytestmark = pytest.mark.django_db


def home(client, user, lang="en"):
    client.force_login(user)
    response = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE=lang)
    assert response.status_code == 200
    return response.content.decode()


def test_one_browser_two_employees_each_sees_their_own_panel(client):
    alice = UserFactory(staff_id="A001", roles=["CSR"])
    bob = UserFactory(staff_id="B001", roles=["CSR"])
    earn_points(alice, 37, "alice")
    assert "Balance: 37 points" in home(client, alice)
    client.logout()
    bob_home = home(client, bob)
    assert "Balance: 0 points" in bob_home and "Balance: 37" not in bob_home


def test_a_cached_panel_is_not_shown_after_the_study_role_is_taken_away(client):
    alice = UserFactory(staff_id="A001", roles=["CSR"])
    assert 'id="panel-study"' in home(client, alice)
    alice.groups.clear()
    alice = type(alice).objects.get(pk=alice.pk)
    assert 'id="panel-study"' not in home(client, alice)


def test_the_language_switch_cookie_gives_the_other_language(client, settings):
    alice = UserFactory(staff_id="A001", roles=["CSR"])
    zh = home(client, alice, "zh-hans")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    en = home(client, alice, "zh-hans")
    assert "我的学习" in zh or "My learning" in zh
    assert "My learning" in en and "我的学习" not in en


def test_a_change_by_somebody_else_shows_within_dashboard_ttl(api, client, monkeypatch):
    """The HTML copy is written from a dashboard read afresh, not from the one kept under the
    same key (which may be up to DASHBOARD_TTL old, read first by
    GET /api/accounts/dashboard/csr/): a change by somebody else (points, a vote, the daily
    job's promotion) shows within DASHBOARD_TTL, not twice that."""
    monkeypatch.setattr(dashboard_csr, "DASHBOARD_TTL", 2)
    alice = UserFactory(staff_id="A001", roles=["CSR"])
    api.force_authenticate(alice)
    assert api.get(reverse("api-dashboard-csr")).status_code == 200  # t=0: dashboard cached
    earn_points(alice, 37, "by somebody else")  # t=0: the change
    time.sleep(1.5)
    home(client, alice)  # t≈1.5 s, within the TTL (written from a dashboard read now)
    time.sleep(1.2)  # t≈2.7 s > DASHBOARD_TTL since the change and since the dashboard was read
    assert "Balance: 37 points" in home(client, alice)
