from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from accounts import roles
from accounts.tests.factories import UserFactory
from review import services
from review.models import (
    CommitteeApplication,
    CommitteeMembership,
    Proposal,
    ReviewEvent,
    ReviewSettings,
)
from review.selectors import committee_eligibility, is_committee_member, review_queue
from review.tests.factories import RevisionProposalFactory, committee_member

pytestmark = pytest.mark.django_db


def with_decided_proposals(user, applied: int, rejected: int):
    for _ in range(applied):
        RevisionProposalFactory(proposer=user, status=Proposal.Status.APPLIED)
    for _ in range(rejected):
        RevisionProposalFactory(proposer=user, status=Proposal.Status.REJECTED)


def test_pass_rate_is_applied_over_decided_and_none_without_decisions():
    user = UserFactory()
    assert Proposal.objects.pass_rate_for(user) is None
    RevisionProposalFactory(proposer=user)  # open: not decided
    RevisionProposalFactory(proposer=user, status=Proposal.Status.STALE)
    RevisionProposalFactory(proposer=user, status=Proposal.Status.WITHDRAWN)
    assert Proposal.objects.pass_rate_for(user) is None
    with_decided_proposals(user, applied=2, rejected=1)
    assert Proposal.objects.pass_rate_for(user) == Decimal("66.67")


@pytest.mark.parametrize(
    "level, applied, rejected, eligible",
    [
        (3, 20, 0, False),  # level 3: too low even at 100 %
        (4, 17, 3, False),  # exactly 85 %: must be above
        (4, 1000, 175, True),  # 85.11 %
        (4, 18, 2, True),  # 90 %
        (5, 0, 0, False),  # nothing decided yet
    ],
)
def test_application_eligibility_boundaries(level, applied, rejected, eligible):
    # given
    user = UserFactory(level=level, roles=["CSR"])
    if applied + rejected > 50:
        # 85.1 % without creating a thousand rows through the factory
        Proposal.objects.bulk_create(
            [
                Proposal(kind="kb_revision", proposer=user, reason="r", status="applied")
                for _ in range(applied)
            ]
            + [
                Proposal(kind="kb_revision", proposer=user, reason="r", status="rejected")
                for _ in range(rejected)
            ]
        )
    else:
        with_decided_proposals(user, applied, rejected)
    # when
    result = committee_eligibility(user)
    # then
    assert result.eligible is eligible
    if eligible:
        application = services.committee_application_submit(applicant=user)
        assert application.pass_rate_snapshot == result.pass_rate
        assert application.level_snapshot == level
    else:
        with pytest.raises(services.ReviewError):
            services.committee_application_submit(applicant=user)


def test_pass_rate_of_85_1_percent_is_eligible_and_85_is_not(settings):
    from review.models import ReviewSettings

    ReviewSettings.objects.filter(pk=1).update(applicant_min_pass_rate=Decimal("85.00"))
    user = UserFactory(level=4)
    with_decided_proposals(user, applied=17, rejected=3)  # 85.00
    assert not committee_eligibility(user).eligible
    ReviewSettings.objects.filter(pk=1).update(applicant_min_pass_rate=Decimal("84.90"))
    assert committee_eligibility(user).eligible


def test_ops_manager_appoints_a_member_who_joins_the_reviewer_group_and_can_vote(ops_manager):
    # given
    csr = UserFactory(roles=["CSR"], level=2)
    # when
    membership = services.committee_member_appoint(member=csr, appointed_by=ops_manager)
    csr = type(csr).objects.get(pk=csr.pk)  # fresh permission cache
    # then
    assert membership.source == CommitteeMembership.Source.APPOINTED
    assert csr.groups.filter(name="Reviewer").exists()
    assert csr.has_perm(roles.REVIEW) and is_committee_member(csr)
    assert ReviewEvent.objects.filter(
        kind="member_appointed", subject=csr, actor=ops_manager
    ).exists()


def test_only_ops_managers_appoint(reviewer):
    with pytest.raises(services.ReviewPermissionDenied, match="Only operations managers"):
        services.committee_member_appoint(member=UserFactory(), appointed_by=reviewer)


def test_an_ops_manager_cannot_appoint_themselves(ops_manager, client):
    # when / then: the service and the page refuse
    with pytest.raises(services.ReviewPermissionDenied) as exc:
        services.committee_member_appoint(member=ops_manager, appointed_by=ops_manager)
    assert exc.value.messages == [
        "You cannot appoint yourself: another operations manager appoints you."
    ]
    client.force_login(ops_manager)
    assert (
        client.post(
            reverse("review:committee_appoint"), {"staff_id": ops_manager.staff_id}
        ).status_code
        == 403
    )
    assert not CommitteeMembership.objects.filter(member=ops_manager).exists()
    assert not is_committee_member(fresh(ops_manager))
    # while another operations manager may appoint them
    services.committee_member_appoint(
        member=ops_manager, appointed_by=UserFactory(roles=["Operations manager"])
    )
    assert is_committee_member(fresh(ops_manager))


def test_appointing_a_member_twice_is_refused(ops_manager):
    csr = UserFactory()
    services.committee_member_appoint(member=csr, appointed_by=ops_manager)
    with pytest.raises(services.ReviewConflict, match="already a committee member"):
        services.committee_member_appoint(member=csr, appointed_by=ops_manager)


def test_removing_a_member_deactivates_the_membership_and_the_group(ops_manager):
    member = committee_member()
    membership = member.committee_memberships.get()
    services.committee_member_remove(membership_id=membership.pk, removed_by=ops_manager)
    member = type(member).objects.get(pk=member.pk)
    membership.refresh_from_db()
    assert not membership.active and membership.ended_at is not None
    assert not member.groups.filter(name="Reviewer").exists()
    assert not is_committee_member(member)
    assert ReviewEvent.objects.filter(kind="member_removed", subject=member).exists()


def eligible_applicant():
    user = UserFactory(level=4, roles=["CSR"])
    with_decided_proposals(user, applied=9, rejected=1)
    return user


def approve(proposal_id, member):
    return services.proposal_vote(
        proposal_id=proposal_id, reviewer=member, decision="approve", comment="同意"
    )


def reject(proposal_id, member):
    return services.proposal_vote(
        proposal_id=proposal_id, reviewer=member, decision="reject", comment="经验不足"
    )


def fresh(user):
    return type(user).objects.get(pk=user.pk)  # a fresh permission cache


def test_an_application_is_a_committee_application_proposal_in_the_members_queue():
    # given
    applicant = eligible_applicant()
    member = committee_member()
    # when
    application = services.committee_application_submit(applicant=applicant, statement="我熟悉业务")
    # then
    proposal = application.proposal
    assert (proposal.kind, proposal.status, proposal.proposer, proposal.target) == (
        "committee_application",
        "open",
        applicant,
        application,
    )
    assert proposal.reason == "我熟悉业务"
    assert proposal in review_queue(reviewer=member)
    assert application.status == "pending"


def test_three_committee_approvals_admit_the_applicant_with_membership_and_reviewer_group():
    # given
    applicant = eligible_applicant()
    application = services.committee_application_submit(applicant=applicant)
    members = [committee_member() for _ in range(3)]
    # when: two approvals are not enough
    approve(application.proposal_id, members[0])
    approve(application.proposal_id, members[1])
    application.refresh_from_db()
    # then
    assert application.status == "pending" and not is_committee_member(fresh(applicant))
    # when: the third
    approve(application.proposal_id, members[2])
    application.refresh_from_db()
    applicant = fresh(applicant)
    # then
    assert application.status == "accepted" and application.proposal.status == "applied"
    membership = CommitteeMembership.objects.get(member=applicant, active=True)
    assert (
        membership.source == CommitteeMembership.Source.APPLICATION
        and membership.appointed_by is None
    )
    assert applicant.groups.filter(pk=Group.objects.get(name="Reviewer").pk).exists()
    assert is_committee_member(applicant)
    assert (
        ReviewEvent.objects.filter(
            kind="application_accepted", subject=applicant, proposal=application.proposal
        ).count()
        == 1
    )


def test_two_rejections_decline_the_application():
    applicant = eligible_applicant()
    application = services.committee_application_submit(applicant=applicant)
    approve(application.proposal_id, committee_member())
    reject(application.proposal_id, committee_member())
    application.refresh_from_db()
    assert application.status == "pending"
    reject(application.proposal_id, committee_member())
    application.refresh_from_db()
    assert application.status == "declined" and application.decided_at is not None
    assert not CommitteeMembership.objects.filter(member=applicant).exists()
    assert ReviewEvent.objects.filter(kind="application_declined", subject=applicant).count() == 1
    # declined: the employee may apply again
    assert services.committee_application_submit(applicant=applicant).status == "pending"


def test_a_single_member_or_manager_can_no_longer_accept_an_application(ops_manager):
    # given: an operations manager who is also a committee member
    applicant = eligible_applicant()
    application = services.committee_application_submit(applicant=applicant)
    services.committee_member_appoint(
        member=ops_manager, appointed_by=UserFactory(roles=["Operations manager"])
    )
    # when: their approval is one vote like any other
    approve(application.proposal_id, fresh(ops_manager))
    application.refresh_from_db()
    # then
    assert application.status == "pending"
    assert not is_committee_member(fresh(applicant))
    assert not hasattr(services, "committee_application_decide")


def test_a_manager_outside_the_committee_cannot_vote_on_an_application(ops_manager):
    application = services.committee_application_submit(applicant=eligible_applicant())
    with pytest.raises(
        services.ReviewPermissionDenied, match="^Only active review committee members may vote.$"
    ):
        approve(application.proposal_id, ops_manager)


def test_withdrawing_the_proposal_withdraws_the_application_and_frees_a_new_one():
    applicant = eligible_applicant()
    application = services.committee_application_submit(applicant=applicant)
    services.proposal_withdraw(proposal_id=application.proposal_id, user=applicant)
    application.refresh_from_db()
    assert application.status == "withdrawn"
    assert services.committee_application_submit(applicant=applicant).pk != application.pk


def test_appointing_an_applicant_lets_the_pending_application_lapse(ops_manager):
    applicant = eligible_applicant()
    application = services.committee_application_submit(applicant=applicant)
    services.committee_member_appoint(member=applicant, appointed_by=ops_manager)
    application.refresh_from_db()
    assert application.status == "withdrawn" and application.proposal.status == "stale"
    assert CommitteeMembership.objects.filter(member=applicant).count() == 1


def test_an_applicant_no_longer_eligible_at_the_last_approval_is_not_admitted():
    # given: the applicant dropped below the level while the committee voted
    applicant = eligible_applicant()
    application = services.committee_application_submit(applicant=applicant)
    members = [committee_member() for _ in range(3)]
    approve(application.proposal_id, members[0])
    approve(application.proposal_id, members[1])
    type(applicant).objects.filter(pk=applicant.pk).update(level=3)
    # when
    approve(application.proposal_id, members[2])
    application.refresh_from_db()
    # then
    assert application.proposal.status == "stale" and application.status == "withdrawn"
    assert not CommitteeMembership.objects.filter(member=applicant).exists()


def test_applications_do_not_count_in_the_pass_rate():
    # given: 9 of 10 KB revisions applied (90 %)
    applicant = eligible_applicant()
    application = services.committee_application_submit(applicant=applicant)
    # when: the committee declines the application
    for _ in range(2):
        reject(application.proposal_id, committee_member())
    # then: still 90 %, not 9 of 11
    assert Proposal.objects.pass_rate_for(applicant) == Decimal("90.00")


@pytest.mark.parametrize("min_level, eligible", [(4, True), (5, False)])
def test_eligibility_has_one_home_the_review_settings(client, min_level, eligible):
    # given: a level-4 applicant with a 90 % pass rate, the admin's minimum level
    ReviewSettings.objects.filter(pk=1).update(applicant_min_level=min_level)
    applicant = eligible_applicant()
    # then: the selector, the committee page, the level page and the service agree
    assert committee_eligibility(applicant).eligible is eligible
    client.force_login(applicant)
    committee_page = client.get(
        reverse("review:committee"), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert (reverse("review:committee_apply") in committee_page) is eligible
    assert (f"Level {min_level} or above is required." in committee_page) is not eligible
    level_page = client.get(
        reverse("promotion:my_level"), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert ("You may apply to the review committee." in level_page) is eligible
    if eligible:
        assert services.committee_application_submit(applicant=applicant).status == "pending"
    else:
        with pytest.raises(services.ReviewError, match="Level 5 or above is required."):
            services.committee_application_submit(applicant=applicant)


def test_one_pending_application_at_a_time():
    applicant = eligible_applicant()
    services.committee_application_submit(applicant=applicant)
    with pytest.raises(services.ReviewConflict, match="already have a pending application"):
        services.committee_application_submit(applicant=applicant)
    assert CommitteeApplication.objects.filter(applicant=applicant).count() == 1
