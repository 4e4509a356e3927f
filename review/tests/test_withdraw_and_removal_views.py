"""The two web actions that used to have no test: withdrawing one's proposal and removing a
committee member. Each would survive being turned into a no-op without these."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from accounts.roles import Role
from review import services
from review.models import CommitteeMembership, Proposal, ReviewEvent
from review.selectors import is_committee_member
from review.tests.factories import RevisionProposalFactory, committee_member

pytestmark = pytest.mark.django_db


def test_the_proposer_withdraws_an_open_proposal_from_its_page(client):
    # given
    proposal = RevisionProposalFactory()
    client.force_login(proposal.proposer)
    url = reverse("review:proposal_withdraw", args=[proposal.pk])
    # when
    response = client.post(url, follow=True)
    # then
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.WITHDRAWN and proposal.decided_at is not None
    assert (
        ReviewEvent.objects.filter(
            kind="withdrawn", proposal=proposal, actor=proposal.proposer
        ).count()
        == 1
    )
    assert "The proposal was withdrawn." in response.content.decode()
    # and a withdrawn proposal cannot be withdrawn again nor voted on
    again = client.post(url, follow=True)
    assert "This proposal is no longer open." in again.content.decode()
    assert ReviewEvent.objects.filter(kind="withdrawn", proposal=proposal).count() == 1
    with pytest.raises(services.ReviewConflict, match="no longer open"):
        services.proposal_vote(
            proposal_id=proposal.pk,
            reviewer=committee_member(),
            decision="approve",
            extra={"points": 3},
        )


def test_only_the_proposer_may_withdraw_and_only_by_post(client, csr):
    proposal = RevisionProposalFactory()
    url = reverse("review:proposal_withdraw", args=[proposal.pk])
    client.force_login(csr)
    assert client.post(url).status_code == 404
    client.force_login(committee_member())
    assert client.post(url).status_code == 404
    client.force_login(proposal.proposer)
    assert client.get(url).status_code == 405
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.OPEN


def test_an_operations_manager_removes_a_member_from_the_committee_page(client, ops_manager):
    # given
    member = committee_member()
    membership = CommitteeMembership.objects.get(member=member, active=True)
    assert is_committee_member(member)
    client.force_login(ops_manager)
    url = reverse("review:committee_remove", args=[membership.pk])
    # when
    response = client.post(url, follow=True)
    # then
    membership.refresh_from_db()
    member.refresh_from_db()
    assert membership.active is False and membership.ended_at is not None
    assert not member.groups.filter(name=Role.REVIEWER).exists()
    assert not is_committee_member(member)
    assert (
        ReviewEvent.objects.filter(kind="member_removed", subject=member, actor=ops_manager).count()
        == 1
    )
    assert f"{member.name} left the committee." in response.content.decode()
    # and the removed member can no longer vote
    with pytest.raises(services.ReviewPermissionDenied):
        services.proposal_vote(
            proposal_id=RevisionProposalFactory().pk,
            reviewer=member,
            decision="approve",
            extra={"points": 3},
        )
    # and removing the ended membership again is a 404
    assert client.post(url).status_code == 404


def test_only_operations_managers_remove_members_and_only_by_post(client, csr, ops_manager):
    member = committee_member()
    membership = CommitteeMembership.objects.get(member=member, active=True)
    url = reverse("review:committee_remove", args=[membership.pk])
    for someone in (csr, committee_member()):
        client.force_login(someone)
        assert client.post(url).status_code == 403
    client.force_login(ops_manager)
    assert client.get(url).status_code == 405
    membership.refresh_from_db()
    assert (
        membership.active
        and Group.objects.get(name=Role.REVIEWER).user_set.filter(pk=member.pk).exists()
    )
