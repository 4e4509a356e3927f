"""The review engine's one call site pays proposers and reviewers through the ledger."""

import pytest

from knowledgebase.models import Entry
from points import selectors
from points.models import PointRule, PointsEntry
from review import services as review_services
from review.models import Proposal, ReviewEvent
from review.services import _points_for_decision
from review.tests.factories import RevisionProposalFactory, committee_member

pytestmark = pytest.mark.django_db


def vote(proposal, user, decision="approve", comment="ok"):
    return review_services.proposal_vote(proposal_id=proposal.pk, reviewer=user, decision=decision, comment=comment)


def test_applied_kb_revision_pays_the_proposer_once_and_each_reviewer_once():
    # given
    proposal = RevisionProposalFactory()
    members = [committee_member() for _ in range(3)]
    # when
    for member in members:
        vote(proposal, member)
    proposal.refresh_from_db()
    # then
    assert proposal.status == Proposal.Status.APPLIED
    assert selectors.points_balance(proposal.proposer) == 3  # KB revision default within 2–5
    proposer_entry = PointsEntry.objects.get(employee=proposal.proposer)
    assert proposer_entry.rule.code == "kb_revision_accepted" and proposer_entry.source == f"proposal:{proposal.pk}:proposer"
    for member in members:
        entry = PointsEntry.objects.get(employee=member)
        assert (entry.amount, entry.rule.code, entry.source) == (5, "committee_kb_review",
                                                                 f"review:{proposal.pk}:{member.pk}")
    assert PointsEntry.objects.count() == 4


def test_rerunning_the_call_site_for_the_same_events_pays_nothing_more():
    # given
    proposal = RevisionProposalFactory()
    for member in [committee_member() for _ in range(3)]:
        vote(proposal, member)
    before = PointsEntry.objects.count()
    # when: every event replayed (a retried task, a back-fill)
    for event in ReviewEvent.objects.filter(proposal=proposal, kind__in=["voted", "applied"]):
        _points_for_decision(proposal, event=event)
    # then
    assert PointsEntry.objects.count() == before == 4
    assert selectors.points_balance(proposal.proposer) == 3


def test_a_second_vote_by_the_same_member_pays_nothing():
    proposal = RevisionProposalFactory()
    member = committee_member()
    vote(proposal, member)
    with pytest.raises(review_services.ReviewError):
        vote(proposal, member)
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


def test_an_inactive_rule_pays_nothing_and_does_not_block_the_decision():
    PointRule.objects.filter(code="committee_kb_review").update(active=False)
    proposal = RevisionProposalFactory()
    for member in [committee_member() for _ in range(3)]:
        vote(proposal, member)
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.APPLIED
    assert list(PointsEntry.objects.values_list("rule__code", flat=True)) == ["kb_revision_accepted"]


@pytest.mark.parametrize(("kind", "payload_points", "proposer_rule", "proposer_amount"), [
    ("case_new", None, "case_created", 30),
    ("case_new", 45, "case_created", 45),
    ("case_new", 80, "case_created", 30),  # outside 20–50: the default is paid
    ("case_revision", None, "case_revised", 10),
    ("case_revision", 18, "case_revised", 18),
])
def test_case_proposals_pay_case_rules(kind, payload_points, proposer_rule, proposer_amount):
    # given: an applied case proposal (events as the engine writes them)
    proposal = RevisionProposalFactory(kind=kind)
    if payload_points is not None:
        proposal.payload = {**proposal.payload, "points": payload_points}
        proposal.save()
    member = committee_member()
    voted = ReviewEvent.objects.create(kind="voted", actor=member, proposal=proposal, data={"decision": "approve"})
    applied = ReviewEvent.objects.create(kind="applied", proposal=proposal, subject=proposal.proposer)
    # when
    _points_for_decision(proposal, event=voted)
    _points_for_decision(proposal, event=applied)
    # then
    reviewer_entry = PointsEntry.objects.get(employee=member)
    assert (reviewer_entry.rule.code, reviewer_entry.amount) == ("committee_case_review", 20)
    proposer_entry = PointsEntry.objects.get(employee=proposal.proposer)
    assert (proposer_entry.rule.code, proposer_entry.amount) == (proposer_rule, proposer_amount)


def test_case_create_amount_chosen_by_approving_reviewers_is_their_median():
    proposal = RevisionProposalFactory(kind="case_new")
    for amount in (25, 40, 50):
        ReviewEvent.objects.create(kind="voted", actor=committee_member(), proposal=proposal,
                                   data={"decision": "approve", "extra": {"points": amount}})
    applied = ReviewEvent.objects.create(kind="applied", proposal=proposal, subject=proposal.proposer)
    _points_for_decision(proposal, event=applied)
    assert selectors.points_balance(proposal.proposer) == 40


def test_stale_proposal_pays_reviewers_but_not_the_proposer():
    proposal = RevisionProposalFactory()
    Entry.objects.filter(pk=proposal.target_id).update(version=5)
    for member in [committee_member() for _ in range(3)]:
        vote(proposal, member)
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.STALE
    assert selectors.points_balance(proposal.proposer) == 0
    assert PointsEntry.objects.count() == 3
