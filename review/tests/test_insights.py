"""Reviewer insights: each figure and flag on a small hand-made data set with known answers,
the reversal through the points ledger, permissions and query counts."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.tests.factories import UserFactory
from points.models import PointRule, PointsEntry
from points.services import points_award, review_source
from review import insights
from review.models import Proposal, ReviewSettings, Vote
from review.tests.factories import committee_member

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)  # 10:00 in Asia/Shanghai
# The page and the API count the last 90 days by default: their tests run the day after T0.
SOON_AFTER_T0 = T0 + timedelta(days=1)


def proposal(proposer, status=Proposal.Status.OPEN, at=T0) -> Proposal:
    p = Proposal.objects.create(kind="kb_revision", proposer=proposer, status=status, reason="演示")
    Proposal.objects.filter(pk=p.pk).update(created_at=at)
    return p


def cast(p, reviewer, decision="approve", at=None) -> Vote:
    v = Vote.objects.create(proposal=p, reviewer=reviewer, decision=decision)
    Vote.objects.filter(pk=v.pk).update(created_at=at or T0 + timedelta(hours=1))
    return v


def settings_(**values) -> None:
    ReviewSettings.objects.filter(pk=1).update(**values)


@pytest.fixture
def figures_data():
    """M1: 5 votes (4 approvals), 4 on decided proposals of which 3 agree, votes after
    1, 2, 3, 4 and 10 hours, on proposers P1 ×2, P2, P3, P4. M2: 2 votes, both agree, after
    1 and 3 hours. M3: an active member without votes."""
    m1, m2, m3 = (
        committee_member(staff_id="M1"),
        committee_member(staff_id="M2"),
        committee_member(staff_id="M3"),
    )
    p1, p2, p3, p4 = (UserFactory(roles=["CSR"], staff_id=f"P{i}") for i in range(1, 5))
    a = proposal(p1, Proposal.Status.APPLIED)
    b = proposal(p1, Proposal.Status.APPLIED)
    c = proposal(p2, Proposal.Status.REJECTED)
    d = proposal(p3, Proposal.Status.REJECTED)
    e = proposal(p4)
    for p, decision, hours in [
        (a, "approve", 1),
        (b, "approve", 2),
        (c, "approve", 3),
        (d, "reject", 4),
        (e, "approve", 10),
    ]:
        cast(p, m1, decision, T0 + timedelta(hours=hours))
    cast(a, m2, "approve", T0 + timedelta(hours=1))
    cast(c, m2, "reject", T0 + timedelta(hours=3))
    return m1, m2, m3


def by_staff(figures):
    return {f.member.staff_id: f for f in figures}


def test_member_figures_have_the_known_answers(figures_data):
    # when
    rows = by_staff(insights.member_figures())
    # then
    m1, m2, m3 = rows["M1"], rows["M2"], rows["M3"]
    assert (m1.votes, m1.approvals, m1.decided_votes, m1.agreed) == (5, 4, 4, 3)
    assert m1.approval_rate == Decimal("80.0") and m1.agreement == Decimal("75.0")
    assert m1.median_time == timedelta(hours=3) and m1.median_hours == Decimal("3.0")
    assert m1.top_proposers_votes == 4 and m1.top_proposers_share == Decimal(
        "80.0"
    )  # P1 ×2 + two of the ones
    assert (m2.approval_rate, m2.agreement, m2.median_time) == (
        Decimal("50.0"),
        Decimal("100.0"),
        timedelta(hours=2),
    )
    assert m2.top_proposers_share == Decimal("100.0")
    assert (m3.votes, m3.agreement, m3.approval_rate, m3.median_time) == (0, None, None, None)


def test_withdrawn_and_stale_proposals_do_not_count_for_agreement(figures_data):
    m1 = figures_data[0]
    cast(proposal(UserFactory(roles=["CSR"]), Proposal.Status.WITHDRAWN), m1, "reject")
    row = by_staff(insights.member_figures())["M1"]
    assert (row.votes, row.decided_votes, row.agreed) == (6, 4, 3)


def test_member_figures_take_five_queries_whatever_the_votes(
    figures_data, django_assert_num_queries
):
    with django_assert_num_queries(5):
        insights.member_figures()
    m1 = figures_data[0]
    for _ in range(5):
        cast(proposal(UserFactory(roles=["CSR"]), Proposal.Status.APPLIED), m1)
        cast(proposal(UserFactory(roles=["CSR"])), committee_member())
    with django_assert_num_queries(5):
        assert len(insights.member_figures()) == 8


@pytest.fixture
def pairs_data():
    """A and B approved 2 of each other's proposals; C rejected 4 of D's; E approved 2 of
    F's, F approved 1 of E's and rejected 1. Base rate 7 approvals ÷ 12 votes."""
    a, b, c, d, e, f = (committee_member(staff_id=s) for s in "ABCDEF")
    for reviewer, proposer, decisions in [
        (a, b, ["approve"] * 2),
        (b, a, ["approve"] * 2),
        (c, d, ["reject"] * 4),
        (e, f, ["approve"] * 2),
        (f, e, ["approve", "reject"]),
    ]:
        for decision in decisions:
            cast(proposal(proposer), reviewer, decision)
    return a, b, e, f


def test_reciprocal_pair_is_flagged_with_its_rates(pairs_data):
    a, b, _e, _f = pairs_data
    settings_(reciprocal_min_approvals=2, reciprocal_rate_factor=Decimal("1.25"))
    flags = insights.reciprocal_flags()
    assert [(f.first, f.second, f.first_approved, f.second_approved) for f in flags] == [
        (a, b, 2, 2)
    ]
    assert flags[0].mutual_rate == Decimal("100.0") and flags[0].base_rate == Decimal("58.3")


def test_reciprocal_needs_k_approvals_each_way(pairs_data):
    a, b, e, f = pairs_data
    settings_(reciprocal_min_approvals=1, reciprocal_rate_factor=Decimal("1.25"))
    # E–F: 3 approvals of 4 votes = 75 % ≥ 1.25 × 58.3 % = 72.9 %: flagged once k allows F's single
    # approval
    assert {(x.first, x.second) for x in insights.reciprocal_flags()} == {(a, b), (e, f)}
    settings_(reciprocal_min_approvals=3)
    assert insights.reciprocal_flags() == []


def test_reciprocal_needs_m_times_the_base_rate(pairs_data):
    settings_(
        reciprocal_min_approvals=1, reciprocal_rate_factor=Decimal("1.30")
    )  # 75.8 %: E–F (75 %) drops out
    assert [(x.first.staff_id, x.second.staff_id) for x in insights.reciprocal_flags()] == [
        ("A", "B")
    ]
    settings_(reciprocal_rate_factor=Decimal("1.75"))  # 102 %: nobody can reach it
    assert insights.reciprocal_flags() == []


def test_reciprocal_flags_take_three_queries(pairs_data, django_assert_num_queries):
    settings_(reciprocal_min_approvals=2)
    ReviewSettings.current()
    with django_assert_num_queries(3):
        insights.reciprocal_flags()


def test_serial_voting_counts_local_days(django_assert_num_queries):
    """s = 3: three votes on P's proposals on 1 March (Shanghai) are flagged; Q's three
    votes straddle local midnight (two on 1 March, one at 00:30 on 2 March): not flagged."""
    settings_(serial_votes_per_day=3)
    member, p, q = (
        committee_member(staff_id="S1"),
        UserFactory(roles=["CSR"]),
        UserFactory(roles=["CSR"]),
    )
    for hour in (10, 12, 15):  # UTC: 18:00, 20:00, 23:30 local
        cast(
            proposal(p), member, at=datetime(2026, 3, 1, hour, 30 if hour == 15 else 0, tzinfo=UTC)
        )
    for at in (
        datetime(2026, 3, 1, 10, 0, tzinfo=UTC),
        datetime(2026, 3, 1, 12, 0, tzinfo=UTC),
        datetime(2026, 3, 1, 16, 30, tzinfo=UTC),
    ):
        cast(proposal(q), member, at=at)
    ReviewSettings.current()
    with django_assert_num_queries(2):
        flags = insights.serial_flags()
    assert [(f.member, f.proposer, f.day, f.votes) for f in flags] == [
        (member, p, date(2026, 3, 1), 3)
    ]
    settings_(serial_votes_per_day=4)
    assert insights.serial_flags() == []


def test_settings_have_maxima():
    from django.core.exceptions import ValidationError

    config = ReviewSettings.current()
    config.reciprocal_min_approvals, config.reciprocal_rate_factor, config.serial_votes_per_day = (
        51,
        Decimal("5.01"),
        101,
    )
    with pytest.raises(ValidationError) as error:
        config.full_clean()
    assert {"reciprocal_min_approvals", "reciprocal_rate_factor", "serial_votes_per_day"} <= set(
        error.value.message_dict
    )


# --- pages, reversal, permissions ------------------------------------------------------


def paid_pair(pairs_data):
    """Review points paid to A for approving B's proposals (one entry per vote)."""
    a, b, *_rest = pairs_data
    entries = []
    for vote in Vote.objects.filter(reviewer=a, proposal__proposer=b):
        entries.append(
            points_award(
                employee=a,
                rule_code=PointRule.COMMITTEE_KB_REVIEW,
                source=review_source(proposal_id=vote.proposal_id, reviewer_id=a.pk),
            )
        )
    return entries


def test_insights_page_is_for_operations_managers(
    client, ops_manager, training_manager, pairs_data, figures_data
):
    settings_(reciprocal_min_approvals=2)
    for user in (pairs_data[0], training_manager):
        client.force_login(user)
        assert client.get(reverse("review:insights")).status_code == 403
    client.force_login(ops_manager)
    with time_machine.travel(SOON_AFTER_T0, tick=False):
        html = client.get(reverse("review:insights")).content.decode()
    assert 'id="agreement-chart"' in html and "<circle" in html and 'id="reciprocal-flags"' in html
    assert reverse("review:insights_pair", args=[pairs_data[0].pk, pairs_data[1].pk]) in html


def test_insights_page_queries_do_not_grow(
    client, ops_manager, pairs_data, django_assert_max_num_queries
):
    client.force_login(ops_manager)
    client.get(reverse("review:insights"))
    with CaptureQueriesContext(connection) as first:
        client.get(reverse("review:insights"))
    few = len(first.captured_queries)  # now: the next request clears the connection's query log
    assert few <= 12
    for _ in range(4):
        cast(proposal(committee_member(), Proposal.Status.REJECTED), committee_member(), "reject")
    client.get(reverse("review:insights"))  # the signed-in user is cached again after the writes
    with django_assert_max_num_queries(few):
        client.get(reverse("review:insights"))


def test_ops_manager_reverses_a_flagged_entry_with_a_reason(client, ops_manager, pairs_data):
    settings_(reciprocal_min_approvals=2)
    a, b, *_rest = pairs_data
    entry = paid_pair(pairs_data)[0]
    url = reverse("review:insights_pair", args=[a.pk, b.pk])
    client.force_login(ops_manager)
    # the flag page reads the last 90 days by default, like the insights page: the day after T0
    with time_machine.travel(SOON_AFTER_T0, tick=False):
        page = client.get(url).content.decode()
        assert "Flagged under the current settings." in page and entry.source in page
        # a reason is mandatory
        assert client.post(url, {"entry": entry.pk, "reason": " "}).status_code == 400
        assert not PointsEntry.objects.filter(reverses=entry).exists()
        # when
        response = client.post(url, {"entry": entry.pk, "reason": "互相放水"})
    # then: one reversal row in the ledger, with the reason; nothing else reversed
    assert response.status_code == 302
    reversal = PointsEntry.objects.get(reverses=entry)
    assert (
        reversal.amount == -entry.amount
        and reversal.note == "互相放水"
        and reversal.granted_by == ops_manager
    )
    assert PointsEntry.objects.filter(reverses__isnull=False).count() == 1
    # twice: the ledger refuses (409)
    with time_machine.travel(SOON_AFTER_T0, tick=False):
        assert client.post(url, {"entry": entry.pk, "reason": "again"}).status_code == 409


def test_flag_page_refuses_an_entry_of_another_flag(client, ops_manager, pairs_data):
    a, b, e, f = pairs_data
    entry = paid_pair(pairs_data)[0]
    client.force_login(ops_manager)
    response = client.post(
        reverse("review:insights_pair", args=[e.pk, f.pk]), {"entry": entry.pk, "reason": "x"}
    )
    assert response.status_code == 400 and not PointsEntry.objects.filter(reverses=entry).exists()


def test_nothing_is_reversed_automatically(pairs_data):
    settings_(reciprocal_min_approvals=2)
    paid_pair(pairs_data)
    insights.reciprocal_flags()
    insights.member_figures()
    assert not PointsEntry.objects.filter(reverses__isnull=False).exists()


def test_flag_reversal_refuses_other_entries_and_other_users(ops_manager, training_manager, csr):
    from review.services import ReviewError, ReviewPermissionDenied

    manual = points_award(employee=csr, rule_code=PointRule.COMMITTEE_KB_REVIEW, source="manual:x")
    with pytest.raises(ReviewError):
        insights.flag_points_reverse(entry_id=manual.pk, by=ops_manager, reason="x")
    review = points_award(
        employee=csr, rule_code=PointRule.COMMITTEE_KB_REVIEW, source="review:1:2"
    )
    with pytest.raises(ReviewPermissionDenied):
        insights.flag_points_reverse(entry_id=review.pk, by=training_manager, reason="x")


def test_api_members_flags_and_reversal(api, ops_manager, reviewer, figures_data, pairs_data):
    settings_(reciprocal_min_approvals=2)
    entry = paid_pair(pairs_data)[0]
    api.force_authenticate(reviewer)
    assert api.get("/api/review/insights/members/").status_code == 403
    assert api.get("/api/review/insights/flags/").status_code == 403
    api.force_authenticate(ops_manager)
    with time_machine.travel(SOON_AFTER_T0, tick=False):
        rows = {r["staff_id"]: r for r in api.get("/api/review/insights/members/").json()}
        flags = api.get("/api/review/insights/flags/").json()
    assert rows["M1"]["agreement"] == "75.0" and rows["M1"]["median_hours_to_vote"] == "3.0"
    assert [(f["first"], f["second"]) for f in flags["reciprocal"]] == [("A", "B")]
    response = api.post(
        "/api/review/insights/reversals/", {"entry": entry.pk, "reason": ""}, format="json"
    )
    assert response.status_code == 400 and "reason" in response.json()["fields"]
    response = api.post(
        "/api/review/insights/reversals/", {"entry": entry.pk, "reason": "互相放水"}, format="json"
    )
    assert response.status_code == 201 and response.json()["amount"] == -entry.amount
