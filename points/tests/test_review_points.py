"""Rewards of the review kinds: the owning apps' hooks pay proposers the amount the approving
members chose (lower median, within the rule's current range) and reviewers for the votes the
committee's decision followed, within a daily cap."""

import pytest
import time_machine
from django.db import connection
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.tests.factories import UserFactory
from casebase.services.proposals import case_new_propose, case_revision_propose
from casebase.tests.factories import CaseFactory, category, sample_tree
from knowledgebase.models import Entry
from points import selectors
from points.models import PointRule, PointsEntry, PointsEvent, PointsSettings
from review import registry
from review import services as review_services
from review.models import Proposal, ReviewSettings
from review.selectors import approvals, rejections
from review.tests.factories import RevisionProposalFactory, committee_member
from tests.concurrency import run_at_once

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def vote(proposal, user, decision="approve", comment="ok", points=3, **extra):
    data = {"points": points, **extra} if decision == "approve" else None
    return review_services.proposal_vote(
        proposal_id=proposal.pk, reviewer=user, decision=decision, comment=comment, extra=data
    )


def proposer_entry(proposal):
    return PointsEntry.objects.get(source=f"proposal:{proposal.pk}:proposer")


def test_a_kb_revision_approved_with_2_5_and_4_pays_the_proposer_4_and_each_reviewer_5():
    # given
    proposal = RevisionProposalFactory()
    members = [committee_member() for _ in range(3)]
    # when
    for member, points in zip(members, [2, 5, 4], strict=True):
        vote(proposal, member, points=points)
    proposal.refresh_from_db()
    # then
    assert proposal.status == Proposal.Status.APPLIED
    entry = proposer_entry(proposal)
    assert (entry.employee, entry.rule.code, entry.amount) == (
        proposal.proposer,
        "kb_revision_accepted",
        4,
    )
    for member in members:
        entry = PointsEntry.objects.get(employee=member)
        assert (entry.amount, entry.rule.code, entry.source) == (
            5,
            "committee_kb_review",
            f"review:{proposal.pk}:{member.pk}",
        )
    assert PointsEntry.objects.count() == 4


@pytest.mark.parametrize(
    ("amounts", "paid"),
    [
        ([2, 3, 4, 5], 3),  # even count: the lower of the two middle values
        ([5, 5, 2, 2], 2),
        ([4, 4, 4, 5], 4),
    ],
)
def test_an_even_number_of_approvals_pays_the_lower_median(amounts, paid):
    ReviewSettings.objects.filter(pk=1).update(approvals_required=4)
    proposal = RevisionProposalFactory()
    for points in amounts:
        vote(proposal, committee_member(), points=points)
    assert proposer_entry(proposal).amount == paid


def test_a_new_kb_entry_pays_the_median_too(csr):
    from knowledgebase.services import kb_entry_propose
    from knowledgebase.tests.factories import EntryFactory

    proposal = kb_entry_propose(
        proposer=csr,
        title="新口径",
        body="正文",
        keywords="",
        reason="缺少",
        category_id=EntryFactory().category_id,
    )
    for points in (5, 5, 2):
        vote(proposal, committee_member(), points=points)
    assert proposer_entry(proposal).amount == 5


@pytest.mark.parametrize(
    "points", [6, 1, 0, -5, 3000000000, 10**30, "abc", "", None, [4], {"a": 4}, 4.5, "4,5"]
)
def test_an_amount_outside_the_rules_range_or_not_a_whole_number_is_refused(points):
    # given
    proposal = RevisionProposalFactory()
    member = committee_member()
    # when / then
    with pytest.raises(review_services.VoteExtraInvalid) as refused:
        review_services.proposal_vote(
            proposal_id=proposal.pk, reviewer=member, decision="approve", extra={"points": points}
        )
    assert list(refused.value.errors) == ["points"]
    assert not proposal.votes.exists() and not PointsEntry.objects.exists()


def test_an_approval_without_an_amount_is_refused_with_the_rules_range():
    proposal = RevisionProposalFactory()
    with pytest.raises(review_services.VoteExtraInvalid) as refused:
        review_services.proposal_vote(
            proposal_id=proposal.pk, reviewer=committee_member(), decision="approve"
        )
    assert refused.value.errors == {"points": ["Choose the points: 2 to 5."]}


def test_a_rejection_needs_no_amount():
    proposal = RevisionProposalFactory()
    vote(proposal, committee_member(), "reject", "不准确")
    assert proposal.votes.get().extra == {}


def test_the_range_is_read_from_the_rule_row_when_the_vote_is_cast():
    # given: an admin widened the KB revision range to 2–8 and raised the minimum of nothing else
    PointRule.objects.filter(code="kb_revision_accepted").update(max_amount=8, min_amount=3)
    proposal = RevisionProposalFactory()
    # when / then: 6 is accepted now, 2 no longer
    vote(proposal, committee_member(), points=6)
    with pytest.raises(review_services.VoteExtraInvalid, match="from 3 to 8; 2 is outside"):
        vote(proposal, committee_member(), points=2)


def test_an_amount_chosen_under_an_older_range_is_clamped_into_the_current_one():
    proposal = RevisionProposalFactory()
    vote(proposal, committee_member(), points=5)
    vote(proposal, committee_member(), points=5)
    PointRule.objects.filter(code="kb_revision_accepted").update(max_amount=4, default_amount=3)
    vote(proposal, committee_member(), points=4)
    assert proposer_entry(proposal).amount == 4


@pytest.mark.parametrize("points", [6, 1])
def test_the_web_vote_form_shows_an_amount_outside_the_range_as_a_form_error(client, points):
    # given
    proposal = RevisionProposalFactory()
    client.force_login(committee_member())
    page = client.get(reverse("review:proposal_detail", args=[proposal.pk]), **EN).content.decode()
    assert (
        'name="points"' in page
        and 'min="2"' in page
        and 'max="5"' in page
        and "2 to 5 points" in page
    )
    # when
    response = client.post(
        reverse("review:proposal_vote", args=[proposal.pk]),
        {"decision": "approve", "points": str(points)},
        **EN,
    )
    # then
    assert response.status_code == 400
    assert response.context["extra_form"].errors["points"] == [
        f"Choose the points from 2 to 5; {points} is outside the range of “知识库修订被采纳”."
    ]
    assert f'value="{points}"' in response.content.decode()  # what the member typed is kept
    assert not proposal.votes.exists()


def test_the_api_answers_400_with_a_field_message_for_bad_amounts_and_bodies():
    # given
    proposal = RevisionProposalFactory()
    api = APIClient()
    api.force_authenticate(committee_member())
    url = reverse("api-review-votes", args=[proposal.pk])
    # when / then
    for points in (6, 1, -5, 3000000000, "abc", [4]):
        response = api.post(
            url, {"decision": "approve", "extra": {"points": points}}, format="json", **EN
        )
        assert response.status_code == 400, points
        assert list(response.json()["fields"]) == ["extra.points"]
    outside = api.post(url, {"decision": "approve", "extra": {"points": 6}}, format="json", **EN)
    assert outside.json()["fields"] == {
        "extra.points": [
            "Choose the points from 2 to 5; 6 is outside the range of “知识库修订被采纳”."
        ]
    }
    missing = api.post(url, {"decision": "approve"}, format="json", **EN)
    assert missing.json()["fields"] == {"extra.points": ["Choose the points: 2 to 5."]}
    assert (
        api.post(url, [{"decision": "approve", "extra": {"points": 4}}], format="json").status_code
        == 400
    )
    assert api.post(url, {"decision": "approve", "extra": [4]}, format="json").status_code == 400
    assert not proposal.votes.exists()
    # and a good amount is recorded
    good = api.post(url, {"decision": "approve", "extra": {"points": 4}}, format="json")
    assert good.status_code == 201 and good.json()["extra"] == {"points": 4}


def test_replaying_the_hooks_for_the_same_votes_pays_nothing_more():
    # given
    proposal = RevisionProposalFactory()
    for points in (2, 5, 4):
        vote(proposal, committee_member(), points=points)
    before = PointsEntry.objects.count()
    kind = registry.get_kind(proposal.kind)
    # when: every hook replayed (a retried task, a back-fill)
    kind.on_applied(proposal, approvals(proposal))
    kind.on_decided(proposal, approvals(proposal))
    # then
    assert PointsEntry.objects.count() == before == 4
    assert selectors.points_balance(proposal.proposer) == 4


def test_a_second_vote_by_the_same_member_pays_nothing():
    proposal = RevisionProposalFactory()
    member = committee_member()
    vote(proposal, member)
    with pytest.raises(review_services.ReviewConflict):
        vote(proposal, member)
    vote(proposal, committee_member())
    vote(proposal, committee_member())
    assert selectors.points_balance(member) == 5


def test_rejected_proposal_pays_reviewers_but_not_the_proposer():
    proposal = RevisionProposalFactory()
    members = [committee_member() for _ in range(2)]
    for member in members:
        vote(proposal, member, decision="reject", comment="不准确")
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.REJECTED
    assert selectors.points_balance(proposal.proposer) == 0
    assert [selectors.points_balance(m) for m in members] == [5, 5]


def test_a_stale_proposal_pays_neither_the_reviewers_nor_the_proposer():
    proposal = RevisionProposalFactory()
    Entry.objects.filter(pk=proposal.target_id).update(version=5)
    for member in [committee_member() for _ in range(3)]:
        vote(proposal, member)
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.STALE
    assert not PointsEntry.objects.exists()


def test_an_inactive_rule_pays_nothing_and_does_not_block_the_decision():
    PointRule.objects.filter(code="committee_kb_review").update(active=False)
    proposal = RevisionProposalFactory()
    for member in [committee_member() for _ in range(3)]:
        vote(proposal, member)
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.APPLIED
    assert list(PointsEntry.objects.values_list("rule__code", flat=True)) == [
        "kb_revision_accepted"
    ]


def test_a_switched_off_proposer_rule_needs_no_amount_and_pays_nothing():
    PointRule.objects.filter(code="kb_revision_accepted").update(active=False)
    proposal = RevisionProposalFactory()
    for _ in range(3):
        review_services.proposal_vote(
            proposal_id=proposal.pk, reviewer=committee_member(), decision="approve"
        )
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.APPLIED
    assert not PointsEntry.objects.filter(employee=proposal.proposer).exists()


# --- case proposals -----------------------------------------------------------------------


def colleague():
    return UserFactory(roles=["CSR"])


def new_case(proposer, participants=()):
    return case_new_propose(
        proposer=proposer,
        kind="text",
        title="停机投诉",
        category_id=category().pk,
        reason="典型",
        tree=sample_tree(),
        participants=[p.staff_id for p in participants],
    )


@pytest.mark.parametrize(
    ("amounts", "paid"), [([20, 50, 30], 30), ([25, 45, 40], 40), ([50, 20, 21], 21)]
)
def test_a_case_creation_pays_the_median_of_the_approvers_amounts(amounts, paid):
    # given
    proposal = new_case(colleague())
    members = [committee_member() for _ in range(3)]
    # when
    for member, points in zip(members, amounts, strict=True):
        vote(proposal, member, points=points, level=2, split="training")
    # then
    entry = proposer_entry(proposal)
    assert (entry.rule.code, entry.amount) == ("case_created", paid)
    assert [selectors.points_balance(m) for m in members] == [20, 20, 20]  # committee case review


@pytest.mark.parametrize("points", [19, 51, 0])
def test_a_case_creation_amount_outside_20_to_50_is_refused(points):
    proposal = new_case(colleague())
    with pytest.raises(
        review_services.VoteExtraInvalid, match=f"from 20 to 50; {points} is outside"
    ):
        vote(proposal, committee_member(), points=points, level=2, split="training")


def test_a_case_revision_pays_the_median_within_5_to_20():
    case = CaseFactory(level=1)
    proposal = case_revision_propose(
        proposer=colleague(),
        case_id=case.pk,
        base_version=1,
        reason="更清楚",
        title="新标题",
        category_id=case.category_id,
        background=case.background,
        tree=sample_tree(),
    )
    with pytest.raises(review_services.VoteExtraInvalid, match="from 5 to 20; 21 is outside"):
        vote(proposal, committee_member(), points=21)
    for points in (5, 20, 12):
        vote(proposal, committee_member(), points=points)
    entry = proposer_entry(proposal)
    assert (entry.rule.code, entry.amount) == ("case_revised", 12)


def test_an_accepted_case_without_a_quality_case_application_pays_no_quality_case_points():
    # given: a case proposal naming two colleagues
    proposer, others = colleague(), [colleague(), colleague()]
    proposal = new_case(proposer, others)
    # when: the committee accepts it
    for _ in range(3):
        vote(proposal, committee_member(), points=40, level=2, split="training")
    proposal.refresh_from_db()
    # then: the proposer's creation points only; nobody gets quality-case points
    assert proposal.status == Proposal.Status.APPLIED
    assert not PointsEntry.objects.filter(
        rule__code__in=["quality_case_participant", "quality_case_outstanding"]
    ).exists()
    assert [selectors.points_balance(p) for p in [proposer, *others]] == [40, 0, 0]


# --- committee applications -----------------------------------------------------------------


def test_voting_on_a_committee_application_pays_nobody():
    applicant = UserFactory(level=4, roles=["CSR"])
    for _ in range(3):
        RevisionProposalFactory(proposer=applicant, status="applied")
    application = review_services.committee_application_submit(applicant=applicant)
    for _ in range(3):
        review_services.proposal_vote(
            proposal_id=application.proposal_id, reviewer=committee_member(), decision="approve"
        )
    application.refresh_from_db()
    assert application.status == "accepted"
    assert not PointsEntry.objects.exists()


# --- review points: only for votes the decision followed, within a daily cap ---------------


def test_no_review_points_are_paid_while_the_proposal_is_open():
    # given / when: two approvals and one rejection, not yet decided
    proposal = RevisionProposalFactory()
    for member in [committee_member(), committee_member()]:
        vote(proposal, member)
    vote(proposal, committee_member(), decision="reject", comment="不准确")
    # then
    assert Proposal.objects.get(pk=proposal.pk).status == Proposal.Status.OPEN
    assert not PointsEntry.objects.exists()


def test_an_applied_proposal_pays_its_approvers_and_not_the_member_who_rejected_it():
    # given
    proposal = RevisionProposalFactory()
    dissenter, approvers = committee_member(), [committee_member() for _ in range(3)]
    # when
    vote(proposal, dissenter, decision="reject", comment="不准确")
    for member in approvers:
        vote(proposal, member)
    # then
    assert Proposal.objects.get(pk=proposal.pk).status == Proposal.Status.APPLIED
    assert selectors.points_balance(dissenter) == 0
    assert [selectors.points_balance(m) for m in approvers] == [5, 5, 5]


def test_a_rejected_proposal_pays_its_rejecters_and_not_the_member_who_approved_it():
    # given
    proposal = RevisionProposalFactory()
    approver, rejecters = committee_member(), [committee_member(), committee_member()]
    # when
    vote(proposal, approver)
    for member in rejecters:
        vote(proposal, member, decision="reject", comment="不准确")
    # then
    assert Proposal.objects.get(pk=proposal.pk).status == Proposal.Status.REJECTED
    assert selectors.points_balance(approver) == 0
    assert [selectors.points_balance(m) for m in rejecters] == [5, 5]
    assert [e.source for e in PointsEntry.objects.order_by("pk")] == [
        f"review:{proposal.pk}:{m.pk}" for m in rejecters
    ]


def test_votes_on_a_withdrawn_proposal_pay_nothing():
    proposal = RevisionProposalFactory()
    vote(proposal, committee_member())
    vote(proposal, committee_member(), decision="reject", comment="不准确")
    review_services.proposal_withdraw(proposal_id=proposal.pk, user=proposal.proposer)
    assert not PointsEntry.objects.exists()


def test_two_members_rejecting_each_others_junk_earn_at_most_the_daily_cap():
    # given: the farming attack — members take turns proposing junk the others reject
    members = [committee_member() for _ in range(3)]
    assert PointsSettings.current().review_points_daily_cap == 50
    # when: 18 junk proposals a day, each rejected by the two other members (12 votes each)
    with time_machine.travel("2026-05-06 09:00 +0800", tick=False):
        for n in range(18):
            proposer = members[n % 3]
            proposal = RevisionProposalFactory(proposer=proposer)
            for member in members:
                if member != proposer:
                    vote(proposal, member, decision="reject", comment="垃圾")
    # then: each member got 10 rejections paid (50 points), the other 2 were recorded as capped
    assert [selectors.points_balance(m) for m in members] == [50, 50, 50]
    capped = PointsEvent.objects.filter(kind="review_points_capped")
    assert capped.count() == 3 * 2
    assert {e.data["daily_cap"] for e in capped} == {50}
    # and the next day (Asia/Shanghai) pays again
    with time_machine.travel("2026-05-07 00:01 +0800", tick=False):
        proposal = RevisionProposalFactory(proposer=members[0])
        for member in members[1:]:
            vote(proposal, member, decision="reject", comment="垃圾")
    assert [selectors.points_balance(m) for m in members] == [50, 55, 55]


@pytest.mark.parametrize(("cap", "paid"), [(0, 0), (19, 0), (20, 20), (39, 20), (40, 40), (41, 40)])
def test_the_daily_cap_is_read_from_the_points_settings(cap, paid):
    # given: an admin set the cap; two case reviews (20 each) the same day
    PointsSettings.objects.filter(pk=1).update(review_points_daily_cap=cap)
    member = committee_member()
    # when
    with time_machine.travel("2026-05-06 23:00 +0800", tick=False):
        for _ in range(2):
            proposal = new_case(colleague())
            vote(proposal, member, decision="reject", comment="不典型")
            vote(proposal, committee_member(), decision="reject", comment="不典型")
    # then
    assert selectors.points_balance(member) == paid


def test_the_daily_cap_has_a_maximum_in_admin():
    from django.core.exceptions import ValidationError

    settings_row = PointsSettings.current()
    settings_row.review_points_daily_cap = 1001
    with pytest.raises(ValidationError) as exc:
        settings_row.full_clean()
    assert list(exc.value.message_dict) == ["review_points_daily_cap"]


def test_replaying_the_decision_hook_for_a_rejected_proposal_pays_nothing_more():
    proposal = RevisionProposalFactory()
    for member in [committee_member(), committee_member()]:
        vote(proposal, member, decision="reject", comment="不准确")
    registry.get_kind(proposal.kind).on_decided(proposal, rejections(proposal))
    assert PointsEntry.objects.count() == 2


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_two_decisions_at_once_cannot_both_fill_a_members_last_place_under_the_cap():
    # given: a member with 30 review points today (cap 50) who rejected two case proposals
    member = committee_member()
    PointsEntry.objects.create(
        employee=member,
        amount=30,
        rule=PointRule.objects.get(code="committee_case_review"),
        source="review:earlier:today",
    )
    proposals = [new_case(colleague()), new_case(colleague())]
    for proposal in proposals:
        vote(proposal, member, decision="reject", comment="不典型")
    closers = [committee_member(), committee_member()]
    # when: the two closing rejections arrive at the same moment
    results = run_at_once(
        [
            lambda i=i: vote(proposals[i], closers[i], decision="reject", comment="不典型")
            for i in range(2)
        ]
    )
    errors = [r for r in results if isinstance(r, Exception)]
    # then: both proposals are rejected; the member is paid 20 once (30 + 20 = 50), never 70
    assert errors == []
    assert set(
        Proposal.objects.filter(pk__in=[p.pk for p in proposals]).values_list("status", flat=True)
    ) == {"rejected"}
    assert selectors.points_balance(member) == 50
    assert (
        PointsEvent.objects.filter(kind="review_points_capped", data__employee=member.pk).count()
        == 1
    )
