"""The workforce API returns what the workforce page shows: the re-tests due (the first 50 and
their count) and each employee's forecast, 50 a page, in the viewer's scope; known answers on
a small hand-made team, scopes per role, bounded queries."""

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.tests.factories import TeamFactory, UserFactory
from promotion import api as promotion_api
from promotion import views as promotion_views
from promotion.tests.test_forecast import NOW, _period, level_one_csr  # noqa: F401

pytestmark = pytest.mark.django_db
URL = "/api/promotion/workforce/"


@pytest.fixture
def team(team_leader, level_one_csr):  # noqa: F811
    """The team leader's team: the leader (TL001, level 4), F001 (level_one_csr: 360 points
    30 days ago, 2 of 10 level-1 training cases studied 10 days ago) and F002 (level 2, a
    re-test window opening in 10 days, another in 90: outside the 60-day horizon). Elsewhere:
    X001 of another team with a re-test window open now."""
    level_one_csr.team, level_one_csr.centre = team_leader.team, team_leader.centre
    level_one_csr.save(update_fields=["team", "centre"])
    mate = UserFactory(
        roles=["CSR"], staff_id="F002", level=2, team=team_leader.team, centre=team_leader.centre
    )
    soon = _period(mate, due_in_days=40)
    later = UserFactory(
        roles=["CSR"], staff_id="F003", level=2, team=team_leader.team, centre=team_leader.centre
    )
    _period(later, due_in_days=120)
    outsider = UserFactory(roles=["CSR"], staff_id="X001", level=2)
    _period(outsider, due_in_days=20)
    return type("Team", (), dict(leader=team_leader, soon=soon, outsider=outsider))


def get(api, user, **params):
    api.force_authenticate(user)
    with time_machine.travel(NOW, tick=False):
        return api.get(URL, params, HTTP_ACCEPT_LANGUAGE="en")


def test_the_team_leader_gets_the_known_forecasts_and_retests_of_the_team(api, team):
    body = get(api, team.leader).json()
    # the forecast table: the team by staff ID
    forecasts = body["forecasts"]
    assert (forecasts["count"], forecasts["page"], forecasts["pages"]) == (4, 1, 1)
    assert [row["staff_id"] for row in forecasts["results"]] == ["F001", "F002", "F003", "TL001"]
    first = forecasts["results"][0]
    # 360 points in 90 days = 28/week; 2 cases in 90 days = 0.16/week; 8 cases left / 0.16 =
    # 50 weeks = 350 days: the training cases hold the promotion back, 2026-06-15 + 350 days
    assert first["pace"]["points"] == "28.00" and first["pace"]["training_cases"] == "0.16"
    assert first["bottleneck"] == "training_cases" and first["next_level"] == 1
    assert first["estimated_on"] == "2027-05-31"
    assert first["team"] == team.leader.team.name
    # the re-tests of the next 60 days: F002 only (F003's window opens in 90 days)
    assert body["retest_count"] == 1 and body["horizon_days"] == 60
    [retest] = body["retests"]
    assert retest["staff_id"] == "F002" and retest["level"] == 2
    assert dt.datetime.fromisoformat(retest["retest_opens_at"]) == team.soon.retest_opens_at
    assert dt.datetime.fromisoformat(retest["due_at"]) == team.soon.due_at


def test_scope_per_role(api, team, hr, ops_manager, csr):
    # a team leader: never another team's rows, and no asking for them
    body = get(api, team.leader).json()
    assert "X001" not in {r["staff_id"] for r in body["forecasts"]["results"]}
    assert "X001" not in {r["staff_id"] for r in body["retests"]}
    assert get(api, team.leader, team=team.outsider.team_id).status_code == 403
    # HR: everyone, or one team on request
    everyone = get(api, hr).json()
    assert {"X001", "F001", "F002"} <= {r["staff_id"] for r in everyone["forecasts"]["results"]}
    assert {r["staff_id"] for r in everyone["retests"]} == {"X001", "F002"}
    narrowed = get(api, hr, team=team.outsider.team_id).json()
    assert [r["staff_id"] for r in narrowed["forecasts"]["results"]] == ["X001"]
    assert [r["staff_id"] for r in narrowed["retests"]] == ["X001"]
    # an operations manager: their centre only (here: themselves)
    own = get(api, ops_manager).json()
    assert [r["staff_id"] for r in own["forecasts"]["results"]] == ["OPS001"]
    assert own["retests"] == [] and own["retest_count"] == 0
    assert get(api, ops_manager, team=team.leader.team_id).status_code == 403
    # nobody else
    assert get(api, csr).status_code == 403


def test_the_forecast_table_is_paged_like_the_page(api, hr):
    assert promotion_api.PAGE_SIZE == promotion_views.FORECASTS_PER_PAGE == 50
    team = TeamFactory()
    UserFactory.create_batch(51, roles=["CSR"], level=1, team=team, centre=team.centre)
    first = get(api, hr, team=team.pk).json()["forecasts"]
    assert (first["count"], first["pages"], len(first["results"])) == (51, 2, 50)
    second = get(api, hr, team=team.pk, page=2).json()["forecasts"]
    assert second["page"] == 2 and len(second["results"]) == 1
    assert second["results"][0]["staff_id"] > first["results"][-1]["staff_id"]
    # as on the page: a page out of range or not a number answers the nearest page
    assert get(api, hr, team=team.pk, page=99).json()["forecasts"]["page"] == 2
    assert get(api, hr, team=team.pk, page="x").json()["forecasts"]["page"] == 1
    assert get(api, hr, team="x").status_code == 400


def test_queries_do_not_grow_with_the_employees(api, hr, django_assert_num_queries):
    team = TeamFactory()
    now = timezone.now()
    _period(
        UserFactory(roles=["CSR"], level=2, team=team, centre=team.centre), due_in_days=2, now=now
    )
    api.force_authenticate(hr)
    api.get(URL, {"team": team.pk})  # the permission and settings caches
    with CaptureQueriesContext(connection) as few:
        assert api.get(URL, {"team": team.pk}).status_code == 200
    expected = len(few)  # read now: the next request resets the connection's query log
    for n in range(6):
        person = UserFactory(roles=["CSR"], level=n % 3 + 1, team=team, centre=team.centre)
        _period(person, due_in_days=3 + n, now=now)
    api.get(URL, {"team": team.pk})  # the permission cache, renewed after the new accounts
    with django_assert_num_queries(expected):
        body = api.get(URL, {"team": team.pk}).json()
    assert len(body["forecasts"]["results"]) == 7 and len(body["retests"]) == 7
