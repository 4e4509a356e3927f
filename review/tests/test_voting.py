import dataclasses
from unittest import mock

import pytest

from accounts.tests.factories import UserFactory
from knowledgebase.models import Entry
from review import registry, services
from review.models import Proposal, ReviewEvent, ReviewSettings, Vote
from review.tests.factories import RevisionProposalFactory, committee_member

pytestmark = pytest.mark.django_db


def vote(proposal, user, decision="approve", comment="ok", points=3):
    """A vote; an approval of a KB revision carries the member's points for the proposer."""
    extra = {"points": points} if decision == "approve" else None
    return services.proposal_vote(
        proposal_id=proposal.pk, reviewer=user, decision=decision, comment=comment, extra=extra
    )


def test_proposal_is_applied_exactly_when_the_third_distinct_member_approves():
    # given
    proposal = RevisionProposalFactory()
    members = [committee_member() for _ in range(3)]
    # when
    vote(proposal, members[0])
    vote(proposal, members[1])
    proposal.refresh_from_db()
    # then
    assert proposal.status == Proposal.Status.OPEN
    assert Entry.objects.get(pk=proposal.target_id).version == 1
    # when
    vote(proposal, members[2])
    proposal.refresh_from_db()
    entry = Entry.objects.get(pk=proposal.target_id)
    # then
    assert proposal.status == Proposal.Status.APPLIED
    assert proposal.applied_version == 2
    assert entry.version == 2 and entry.body.endswith("（已修订）")
    assert entry.history.count() == 2
    assert ReviewEvent.objects.filter(proposal=proposal, kind=ReviewEvent.Kind.APPLIED).count() == 1


def test_proposer_cannot_vote_on_own_revision():
    # given
    proposer = committee_member()
    proposal = RevisionProposalFactory(proposer=proposer)
    # when / then
    with pytest.raises(
        services.ReviewPermissionDenied, match="^You cannot vote on your own proposal.$"
    ):
        vote(proposal, proposer)
    assert not Vote.objects.exists()


def test_employee_without_membership_cannot_vote_even_with_the_review_permission(reviewer):
    # given: the Reviewer group but no active membership row
    proposal = RevisionProposalFactory()
    # when / then
    with pytest.raises(
        services.ReviewPermissionDenied, match="^Only active review committee members may vote.$"
    ):
        vote(proposal, reviewer)


def test_member_without_the_review_permission_cannot_vote():
    # given
    user = UserFactory(roles=["CSR"])
    from review.models import CommitteeMembership

    CommitteeMembership.objects.create(member=user, source="appointed")
    # when / then
    with pytest.raises(services.ReviewPermissionDenied):
        vote(RevisionProposalFactory(), user)


def test_a_member_votes_only_once_per_proposal():
    # given
    proposal = RevisionProposalFactory()
    member = committee_member()
    vote(proposal, member)
    # when / then
    with pytest.raises(services.ReviewConflict, match="^You have already voted on this proposal.$"):
        vote(proposal, member, "reject", "changed my mind")
    assert proposal.votes.count() == 1


def test_the_database_refuses_a_second_vote_of_the_same_reviewer():
    from django.db import IntegrityError

    proposal = RevisionProposalFactory()
    member = committee_member()
    Vote.objects.create(proposal=proposal, reviewer=member, decision="approve")
    with pytest.raises(IntegrityError):
        Vote.objects.create(proposal=proposal, reviewer=member, decision="reject")


def test_approvals_of_the_same_member_do_not_add_up_to_three():
    proposal = RevisionProposalFactory()
    a, b = committee_member(), committee_member()
    vote(proposal, a)
    vote(proposal, b)
    with pytest.raises(services.ReviewConflict):
        vote(proposal, a)
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.OPEN


def test_two_rejections_close_the_proposal_and_leave_the_entry_unchanged():
    # given
    proposal = RevisionProposalFactory()
    a, b, c = committee_member(), committee_member(), committee_member()
    vote(proposal, a, "approve")
    vote(proposal, b, "reject", "不准确")
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.OPEN
    # when
    vote(proposal, c, "reject", "有歧义")
    proposal.refresh_from_db()
    # then
    assert proposal.status == Proposal.Status.REJECTED
    assert Entry.objects.get(pk=proposal.target_id).version == 1
    with pytest.raises(services.ReviewConflict, match="^This proposal is no longer open.$"):
        vote(proposal, committee_member())


def test_a_rejection_needs_a_comment():
    with pytest.raises(services.ReviewError, match="Say why"):
        vote(RevisionProposalFactory(), committee_member(), "reject", "  ")


@pytest.mark.parametrize("approvals_required, rejections_to_close", [(1, 1), (2, 3), (4, 2)])
def test_thresholds_come_from_the_review_settings(approvals_required, rejections_to_close):
    # given
    ReviewSettings.objects.filter(pk=1).update(
        approvals_required=approvals_required, rejections_to_close=rejections_to_close
    )
    proposal = RevisionProposalFactory()
    # when: one approval short, then the last one
    for _ in range(approvals_required - 1):
        vote(proposal, committee_member())
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.OPEN
    vote(proposal, committee_member())
    proposal.refresh_from_db()
    # then
    assert proposal.status == Proposal.Status.APPLIED


def test_settings_are_seeded_with_the_domain_defaults():
    config = ReviewSettings.current()
    assert (config.approvals_required, config.rejections_to_close, config.applicant_min_level) == (
        3,
        2,
        4,
    )
    assert str(config.applicant_min_pass_rate) == "85.00"


def test_outdated_proposal_becomes_stale_instead_of_overwriting_a_newer_version():
    # given: two proposals on version 1 of the same entry
    first = RevisionProposalFactory()
    entry = first.target
    second = RevisionProposalFactory(target=entry, payload={**first.payload, "body": "另一种写法"})
    members = [committee_member() for _ in range(3)]
    # when: the first is applied
    for m in members:
        vote(first, m)
    # then: the second is stale at once, the entry keeps the first change
    second.refresh_from_db()
    entry.refresh_from_db()
    assert second.status == Proposal.Status.STALE
    assert entry.version == 2 and entry.body.endswith("（已修订）")
    assert ReviewEvent.objects.filter(proposal=second, kind=ReviewEvent.Kind.STALE).exists()
    with pytest.raises(services.ReviewConflict, match="no longer open"):
        vote(second, members[0])


def test_applier_marks_stale_when_the_entry_moved_on_after_the_votes_began():
    # given: the entry was changed behind the proposal's back (e.g. an admin correction)
    proposal = RevisionProposalFactory()
    Entry.objects.filter(pk=proposal.target_id).update(version=5)
    members = [committee_member() for _ in range(3)]
    # when
    for m in members:
        vote(proposal, m)
    proposal.refresh_from_db()
    # then
    assert proposal.status == Proposal.Status.STALE
    assert Entry.objects.get(pk=proposal.target_id).version == 5


def test_the_owning_apps_hooks_run_for_each_vote_and_once_on_apply_with_the_approvals(monkeypatch):
    # given: the KB revision kind with recording hooks
    on_voted, on_applied, on_closed = mock.Mock(), mock.Mock(), mock.Mock()
    kind = dataclasses.replace(
        registry.get_kind("kb_revision"),
        on_voted=on_voted,
        on_applied=on_applied,
        on_closed=on_closed,
    )
    monkeypatch.setitem(registry._KINDS, "kb_revision", kind)
    proposal = RevisionProposalFactory()
    members = [committee_member() for _ in range(4)]
    # when
    vote(proposal, members[0], points=2)
    vote(proposal, members[1], "reject", "不清楚")
    vote(proposal, members[2], points=5)
    vote(proposal, members[3], points=4)
    # then: every vote, then the applied proposal with its approving votes in voting order
    assert [c.args[1].kind for c in on_voted.call_args_list] == ["voted"] * 4
    assert [c.args[1].actor for c in on_voted.call_args_list] == members
    assert on_applied.call_count == 1
    applied, approvals = on_applied.call_args.args
    assert applied.pk == proposal.pk and applied.status == Proposal.Status.APPLIED
    assert [(v.reviewer, v.extra) for v in approvals] == [
        (members[0], {"points": 2}),
        (members[2], {"points": 5}),
        (members[3], {"points": 4}),
    ]
    assert not on_closed.called


@pytest.mark.parametrize("close", ["reject", "withdraw", "stale"])
def test_the_owning_apps_hear_when_a_proposal_closes_without_being_applied(monkeypatch, close):
    on_closed, on_applied = mock.Mock(), mock.Mock()
    kind = dataclasses.replace(
        registry.get_kind("kb_revision"), on_closed=on_closed, on_applied=on_applied
    )
    monkeypatch.setitem(registry._KINDS, "kb_revision", kind)
    proposal = RevisionProposalFactory()
    if close == "reject":
        for _ in range(2):
            vote(proposal, committee_member(), "reject", "不准确")
    elif close == "withdraw":
        services.proposal_withdraw(proposal_id=proposal.pk, user=proposal.proposer)
    else:
        Entry.objects.filter(pk=proposal.target_id).update(version=5)
        for _ in range(3):
            vote(proposal, committee_member())
    assert on_closed.call_count == 1
    assert (
        on_closed.call_args.args[0].status
        == {"reject": "rejected", "withdraw": "withdrawn", "stale": "stale"}[close]
    )
    assert not on_applied.called


def test_withdrawn_proposal_cannot_be_voted_on_and_only_the_proposer_withdraws():
    proposal = RevisionProposalFactory()
    with pytest.raises(services.ReviewPermissionDenied):
        services.proposal_withdraw(proposal_id=proposal.pk, user=committee_member())
    services.proposal_withdraw(proposal_id=proposal.pk, user=proposal.proposer)
    with pytest.raises(services.ReviewConflict, match="no longer open"):
        vote(proposal, committee_member())


def test_every_vote_writes_an_event():
    proposal = RevisionProposalFactory()
    vote(proposal, committee_member())
    vote(proposal, committee_member(), "reject", "不清楚")
    assert list(
        ReviewEvent.objects.filter(proposal=proposal, kind="voted")
        .values_list("data__decision", flat=True)
        .order_by("pk")
    ) == ["approve", "reject"]
