"""The review engine's one call site pays proposers and reviewers through the ledger."""

import pytest

from accounts.tests.factories import UserFactory
from casebase import services as case_services
from casebase.tests.factories import category, sample_tree
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
    proposer_entry = PointsEntry.objects.get(employee=proposal.proposer, rule__code=proposer_rule)
    assert proposer_entry.amount == proposer_amount


def test_case_create_amount_chosen_by_approving_reviewers_is_their_median():
    proposal = RevisionProposalFactory(kind="case_new")
    for amount in (25, 40, 50):
        ReviewEvent.objects.create(kind="voted", actor=committee_member(), proposal=proposal,
                                   data={"decision": "approve", "extra": {"points": amount}})
    applied = ReviewEvent.objects.create(kind="applied", proposal=proposal, subject=proposal.proposer)
    _points_for_decision(proposal, event=applied)
    assert PointsEntry.objects.get(employee=proposal.proposer, rule__code="case_created").amount == 40


def test_stale_proposal_pays_reviewers_but_not_the_proposer():
    proposal = RevisionProposalFactory()
    Entry.objects.filter(pk=proposal.target_id).update(version=5)
    for member in [committee_member() for _ in range(3)]:
        vote(proposal, member)
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.STALE
    assert selectors.points_balance(proposal.proposer) == 0
    assert PointsEntry.objects.count() == 3


# --- quality-case review passed: every participant ------------------------------------------

QUALITY_RULES = ["quality_case_participant", "quality_case_outstanding"]


def quality_entries(proposal):
    """(employee pk, rule code, amount, source) of the quality-case rows of ``proposal``."""
    return sorted(PointsEntry.objects.filter(rule__code__in=QUALITY_RULES, source__startswith=f"quality-case:{proposal.pk}:")
                  .values_list("employee_id", "rule__code", "amount", "source"))


def case_with_two_participants():
    proposer = UserFactory(roles=["CSR"])
    others = [UserFactory(roles=["CSR"]) for _ in range(2)]
    proposal = case_services.case_new_propose(
        proposer=proposer, kind="text", title="停机投诉", category_id=category().pk, reason="典型", tree=sample_tree(),
        participants=[others[0].staff_id.lower(), others[1].staff_id],
    )
    return proposal, [proposer, *others]


def approve_case(proposal, *, outstanding: bool):
    extra = {"level": 2, "split": "training", **({"outstanding": True} if outstanding else {})}
    review_services.proposal_vote(proposal_id=proposal.pk, reviewer=committee_member(), decision="approve", extra=extra)


@pytest.mark.parametrize(("flags", "rule", "amount"), [
    ((False, False, False), "quality_case_participant", 5),
    ((True, False, False), "quality_case_participant", 5),  # 1 of 3: no majority
    ((True, False, True), "quality_case_outstanding", 60),  # 2 of 3
    ((True, True, True), "quality_case_outstanding", 60),
])
def test_an_applied_case_pays_the_proposer_and_each_participant_once(flags, rule, amount):
    # given: a case proposal naming two colleagues
    proposal, participants = case_with_two_participants()
    # when: three members approve, some flagging it outstanding
    for flag in flags:
        approve_case(proposal, outstanding=flag)
    proposal.refresh_from_db()
    # then: proposer and both participants earn the same rule once
    assert proposal.status == Proposal.Status.APPLIED
    assert quality_entries(proposal) == sorted(
        (person.pk, rule, amount, f"quality-case:{proposal.pk}:{person.pk}") for person in participants)
    # and replaying every event pays nothing more
    before = PointsEntry.objects.count()
    for event in ReviewEvent.objects.filter(proposal=proposal, kind__in=["voted", "applied"]):
        _points_for_decision(proposal, event=event)
    assert PointsEntry.objects.count() == before
    assert selectors.points_balance(participants[1]) == amount


def test_a_case_without_named_participants_pays_the_proposer_alone():
    proposer = UserFactory(roles=["CSR"])
    proposal = case_services.case_new_propose(proposer=proposer, kind="text", title="t", category_id=category().pk,
                                              reason="r", tree=sample_tree())
    for _ in range(3):
        approve_case(proposal, outstanding=False)
    assert [row[:3] for row in quality_entries(proposal)] == [(proposer.pk, "quality_case_participant", 5)]


def test_an_applied_case_revision_pays_its_participants_the_outstanding_rule():
    # given
    from casebase.tests.factories import CaseFactory

    case = CaseFactory(level=1)
    proposer, other = UserFactory(roles=["CSR"]), UserFactory(roles=["CSR"])
    proposal = case_services.case_revision_propose(
        proposer=proposer, case_id=case.pk, base_version=1, reason="更清楚", title="新标题",
        category_id=case.category_id, background=case.background, tree=sample_tree(), participants=[other.staff_id])
    # when
    for flag in (True, True, False):
        review_services.proposal_vote(proposal_id=proposal.pk, reviewer=committee_member(), decision="approve",
                                      extra={"outstanding": flag})
    # then
    assert [row[:3] for row in quality_entries(proposal)] == sorted(
        [(proposer.pk, "quality_case_outstanding", 60), (other.pk, "quality_case_outstanding", 60)])


def test_a_kb_proposal_pays_no_quality_case_points_even_with_participants_in_its_payload():
    # given
    other = UserFactory(roles=["CSR"])
    proposal = RevisionProposalFactory()
    proposal.payload = {**proposal.payload, "participants": [other.pk]}
    proposal.save()
    # when
    for member in [committee_member() for _ in range(3)]:
        vote(proposal, member)
    # then
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.APPLIED
    assert not PointsEntry.objects.filter(rule__code__in=QUALITY_RULES).exists()
    assert selectors.points_balance(other) == 0


def test_a_rejected_case_pays_no_quality_case_points():
    proposal, participants = case_with_two_participants()
    for _ in range(2):
        review_services.proposal_vote(proposal_id=proposal.pk, reviewer=committee_member(), decision="reject",
                                      comment="不典型")
    assert quality_entries(proposal) == []
