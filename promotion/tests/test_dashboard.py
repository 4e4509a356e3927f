"""HR's home panel (promotion.selectors.hr_dashboard): this month's rosters, counted."""

from datetime import date, datetime
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from accounts.tests.factories import TeamFactory, UserFactory
from promotion.rosters import Event
from promotion.selectors import hr_dashboard
from promotion.services.levels import promotion_history_backfill

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Shanghai")
JUNE = date(2026, 6, 15)
QUERIES = 3  # one COUNT per roster


def event(user, kind, from_level, to_level, at, *, retention=False):
    promotion_history_backfill(
        employee=user,
        kind=kind,
        from_level=from_level,
        to_level=to_level,
        at=at,
        with_retention=retention,
    )


def month_of_rows(n: int = 1):
    team = TeamFactory()
    for _ in range(n):
        promoted = UserFactory(centre=team.centre, team=team, level=2)
        event(promoted, "promoted", 1, 2, datetime(2026, 6, 3, 9, tzinfo=TZ))
        event(
            promoted, "promoted", 0, 1, datetime(2026, 5, 31, 9, tzinfo=TZ)
        )  # last month: not counted
        demoted = UserFactory(centre=team.centre, team=team, level=1)
        event(demoted, "demoted", 2, 1, datetime(2026, 6, 30, 23, tzinfo=TZ))
        due = UserFactory(centre=team.centre, team=team, level=1)
        event(due, "promoted", 0, 1, datetime(2025, 7, 10, 9, tzinfo=TZ), retention=True)


def test_hr_dashboard_counts_this_months_rosters():
    month_of_rows()
    dash = hr_dashboard(today=JUNE)
    assert (dash.month_start, dash.month_end) == (date(2026, 6, 1), date(2026, 6, 30))
    assert (dash.promoted.count, dash.demoted.count, dash.due_retest.count) == (1, 1, 1)
    assert parse_qs(dash.demoted.query) == {
        "event": [Event.DEMOTED],
        "date_from": ["2026-06-01"],
        "date_to": ["2026-06-30"],
    }


def test_hr_dashboard_links_open_the_roster_with_the_same_rows(client, hr):
    month_of_rows(2)
    dash = hr_dashboard(today=JUNE)
    client.force_login(hr)
    for roster in (dash.promoted, dash.demoted, dash.due_retest):
        response = client.get(reverse("promotion:rosters") + "?" + roster.query)
        assert response.status_code == 200
        assert response.context["page"].paginator.count == roster.count == 2


def test_hr_dashboard_queries_are_constant(django_assert_num_queries):
    month_of_rows()
    with django_assert_num_queries(QUERIES):
        hr_dashboard(today=JUNE)
    month_of_rows(5)
    with django_assert_num_queries(QUERIES):
        dash = hr_dashboard(today=JUNE)
    assert dash.promoted.count == 6


def test_home_shows_the_hr_panel_and_others_do_not(client, hr, csr):
    client.force_login(hr)
    html = client.get(reverse("home")).content.decode()
    assert 'id="panel-rosters"' in html and 'id="hr-due-retest"' in html
    client.force_login(csr)
    assert 'id="panel-rosters"' not in client.get(reverse("home")).content.decode()
