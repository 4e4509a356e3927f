""" "A team leader follows and rates only their own team" is one named rule
(curriculum.rate_employee / curriculum.view_employee over accounts.rules.same_team): the
pages, the people list's rows and the rating service all ask it."""

import re

import pytest
from django.urls import reverse

from accounts.rules import allowed
from accounts.tests.factories import UserFactory
from curriculum.rules import RATE_EMPLOYEE, VIEW_EMPLOYEE

pytestmark = pytest.mark.django_db


def rate_links(content: str) -> list[str]:
    return re.findall(r'href="([^"]*/rate/[^"]*)"', content)


def test_a_leader_who_also_manages_training_gets_rating_links_only_for_the_own_team(
    client, learner
):
    # given: a training manager (sees everybody) who also leads the learner's team
    boss = UserFactory(
        roles=["Training manager", "Team leader"], team=learner.team, centre=learner.centre
    )
    stranger = UserFactory(roles=["CSR"])  # another team
    client.force_login(boss)
    # when
    links = rate_links(client.get(reverse("curriculum:people")).content.decode())
    # then
    assert reverse("curriculum:rate_employee", args=[learner.pk]) in links
    assert reverse("curriculum:rate_employee", args=[stranger.pk]) not in links
    assert reverse("curriculum:rate_employee", args=[boss.pk]) not in links


def test_a_team_leader_cannot_open_another_teams_pages(client, learner, leader_of):
    stranger = UserFactory(roles=["CSR"])
    client.force_login(leader_of(learner))
    for name in ("curriculum:employee_gaps", "curriculum:employee_trajectory"):
        assert client.get(reverse(name, args=[learner.pk])).status_code == 200
        assert client.get(reverse(name, args=[stranger.pk])).status_code == 403


@pytest.mark.parametrize(
    "who, view, rate",
    [
        ("self", True, False),
        ("leader", True, True),
        ("other_leader", False, False),
        ("manager", True, False),
        ("teamless_superuser", True, False),
        ("colleague", False, False),
    ],
)
def test_the_named_rules(learner, leader_of, who, view, rate):
    viewer = {
        "self": lambda: learner,
        "leader": lambda: leader_of(learner),
        "other_leader": lambda: UserFactory(roles=["Team leader"]),
        "manager": lambda: UserFactory(roles=["Training manager"]),
        "teamless_superuser": lambda: UserFactory(is_superuser=True, team=None, centre=None),
        "colleague": lambda: UserFactory(roles=["CSR"], team=learner.team, centre=learner.centre),
    }[who]()
    assert allowed(VIEW_EMPLOYEE, viewer, learner) is view
    assert allowed(RATE_EMPLOYEE, viewer, learner) is rate


def test_the_rule_per_row_adds_no_query_per_row(client, learner, leader_of):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    leader = leader_of(learner)
    client.force_login(leader)
    client.get(reverse("curriculum:people"))  # caches the permission set

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("curriculum:people")).status_code == 200
        return len(ctx)

    few = queries()
    for _ in range(8):
        UserFactory(roles=["CSR"], team=learner.team, centre=learner.centre)
    client.get(
        reverse("curriculum:people")
    )  # new group members made the cached permission sets stale
    assert queries() == few
