"""Behaviour-rating links appear only where the rating page opens: a superuser (no team) or a
training manager sees none that would answer 403; a team leader sees them for the own team."""

import re

import pytest
from django.urls import reverse

from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def rate_links(content: str) -> list[str]:
    return re.findall(r'href="([^"]*/rate/[^"]*)"', content)


@pytest.fixture
def superuser(db):
    return UserFactory(staff_id="ROOT01", is_superuser=True, is_staff=True, team=None, centre=None)


def test_every_rating_link_a_superuser_is_shown_opens(client, superuser, learner):
    # given employees with and without a team, like the superuser's own missing team
    teamless = UserFactory(team=None, centre=None)
    client.force_login(superuser)
    pages = [
        reverse("curriculum:people"),
        reverse("curriculum:employee_gaps", args=[learner.pk]),
        reverse("curriculum:employee_gaps", args=[teamless.pk]),
    ]
    links = [link for page in pages for link in rate_links(client.get(page).content.decode())]
    # then no link leads to a 403
    assert [link for link in links if client.get(link).status_code != 200] == []


def test_a_team_leader_sees_rating_links_for_the_own_team_and_they_open(client, learner, leader_of):
    leader = leader_of(learner)
    client.force_login(leader)
    links = rate_links(client.get(reverse("curriculum:people")).content.decode())
    assert reverse("curriculum:rate_employee", args=[learner.pk]) in links
    assert all(client.get(link).status_code == 200 for link in links)
    gaps = client.get(reverse("curriculum:employee_gaps", args=[learner.pk])).content.decode()
    assert reverse("curriculum:rate_employee", args=[learner.pk]) in gaps


def test_the_rating_page_still_refuses_a_superuser_without_a_team(client, superuser, learner):
    client.force_login(superuser)
    assert client.get(reverse("curriculum:rate_employee", args=[learner.pk])).status_code == 403


def test_two_people_without_a_team_are_not_each_others_team(client, superuser):
    # a motivated admin would rate anybody who has no team, "same team" being None == None
    teamless = UserFactory(team=None, centre=None)
    client.force_login(superuser)
    assert client.get(reverse("curriculum:rate_employee", args=[teamless.pk])).status_code == 403
    gaps = client.get(reverse("curriculum:employee_gaps", args=[teamless.pk])).content.decode()
    assert rate_links(gaps) == []
