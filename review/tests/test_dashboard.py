"""The committee member's home panel (review.selectors.committee_dashboard)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory
from knowledgebase.tests.factories import CategoryFactory, EntryFactory
from review import services
from review.models import Proposal, Vote
from review.selectors import committee_dashboard
from review.tests.factories import committee_member
from review.tests.test_experts import approve, revision

pytestmark = pytest.mark.django_db
# the queue (candidates, expert index, recusals, votes on them), the month's votes, the membership
QUERIES = 8  # 7 + the member's pending calibration items (review.calibration)


def test_committee_dashboard_on_known_data(training_manager):
    # given: a member, expert of one category; three proposals waiting, one of theirs
    member = committee_member()
    category = CategoryFactory()
    services.expertise_assign(member=member, category=category, assigned_by=training_manager)
    oldest = revision(EntryFactory())
    newer = revision(EntryFactory())
    mine = revision(EntryFactory(category=category))
    Proposal.objects.filter(pk=oldest.pk).update(created_at=timezone.now() - timedelta(days=3))
    # their own proposal and one they voted on are not waiting for them
    revision(EntryFactory(), proposer=member)
    voted = revision(EntryFactory())
    approve(voted, member)
    earlier = revision(EntryFactory())
    approve(earlier, member)
    Vote.objects.filter(proposal=earlier, reviewer=member).update(
        created_at=timezone.now() - timedelta(days=40)
    )
    # when
    dash = committee_dashboard(reviewer=member)
    # then: their category first, then oldest first
    assert [p.pk for p in dash.waiting] == [mine.pk, oldest.pk, newer.pk]
    assert dash.waiting_count == 3 and dash.yours_count == 1
    assert timezone.now() - dash.oldest_at >= timedelta(days=3)
    assert dash.votes_this_month == 1
    assert dash.waiting[0].kind_label
    assert dash.is_member


def test_committee_dashboard_tells_a_non_member_they_may_not_vote(client):
    reader = UserFactory(roles=["CSR", "Reviewer"], level=4)  # the permission, no membership
    revision(EntryFactory())
    assert committee_dashboard(reviewer=reader).is_member is False
    client.force_login(reader)
    assert 'id="committee-not-member"' in client.get(reverse("home")).content.decode()
    client.force_login(committee_member())
    assert 'id="committee-not-member"' not in client.get(reverse("home")).content.decode()


def test_committee_dashboard_when_nothing_waits():
    dash = committee_dashboard(reviewer=committee_member())
    assert (
        dash.waiting == []
        and dash.waiting_count == 0
        and dash.oldest_at is None
        and dash.votes_this_month == 0
    )


def test_committee_dashboard_shows_at_most_five_but_counts_all():
    member = committee_member()
    for _ in range(7):
        revision(EntryFactory())
    dash = committee_dashboard(reviewer=member)
    assert len(dash.waiting) == 5 and dash.waiting_count == 7


def test_committee_dashboard_queries_are_constant(training_manager, django_assert_num_queries):
    member = committee_member()
    category = CategoryFactory()
    services.expertise_assign(member=member, category=category, assigned_by=training_manager)
    revision(EntryFactory(category=category))
    revision(EntryFactory())
    committee_dashboard(reviewer=member)  # warms the cached settings row
    with django_assert_num_queries(QUERIES):
        committee_dashboard(reviewer=member)
    for _ in range(6):
        revision(EntryFactory(category=category))
        revision(EntryFactory())
        approve(revision(EntryFactory()), member)
    with django_assert_num_queries(QUERIES):
        dash = committee_dashboard(reviewer=member)
    assert dash.waiting_count == 14 and dash.votes_this_month == 6


def test_home_shows_the_committee_panel(client):
    member = committee_member()
    proposal = revision(EntryFactory())
    client.force_login(member)
    response = client.get(reverse("home"))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="panel-review"' in html
    assert "1 proposal is waiting for your vote" in html
    assert reverse("review:proposal_detail", args=[proposal.pk]) in html
