from decimal import Decimal

import pytest
from django.contrib.auth.models import Group

from accounts import roles
from accounts.tests.factories import UserFactory
from review import services
from review.models import CommitteeApplication, CommitteeMembership, Proposal, ReviewEvent
from review.selectors import committee_eligibility, is_committee_member
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
        (3, 20, 0, False),   # level 3: too low even at 100 %
        (4, 17, 3, False),   # exactly 85 %: must be above
        (4, 1000, 175, True),  # 85.11 %
        (4, 18, 2, True),    # 90 %
        (5, 0, 0, False),    # nothing decided yet
    ],
)
def test_application_eligibility_boundaries(level, applied, rejected, eligible):
    # given
    user = UserFactory(level=level, roles=["CSR"])
    if applied + rejected > 50:
        # 85.1 % without creating a thousand rows through the factory
        Proposal.objects.bulk_create(
            [Proposal(kind="kb_revision", proposer=user, reason="r", status="applied") for _ in range(applied)]
            + [Proposal(kind="kb_revision", proposer=user, reason="r", status="rejected") for _ in range(rejected)]
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
    assert ReviewEvent.objects.filter(kind="member_appointed", subject=csr, actor=ops_manager).exists()


def test_only_ops_managers_appoint(reviewer):
    with pytest.raises(services.ReviewPermissionDenied, match="Only operations managers"):
        services.committee_member_appoint(member=UserFactory(), appointed_by=reviewer)


def test_appointing_a_member_twice_is_refused(ops_manager):
    csr = UserFactory()
    services.committee_member_appoint(member=csr, appointed_by=ops_manager)
    with pytest.raises(services.ReviewError, match="already a committee member"):
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


@pytest.mark.parametrize("accept", [True, False])
def test_committee_member_accepts_or_declines_an_application(accept):
    # given
    applicant = eligible_applicant()
    application = services.committee_application_submit(applicant=applicant, statement="我熟悉业务")
    member = committee_member()
    # when
    services.committee_application_decide(application_id=application.pk, decided_by=member, accept=accept)
    application.refresh_from_db()
    applicant = type(applicant).objects.get(pk=applicant.pk)
    # then
    assert application.status == ("accepted" if accept else "declined")
    assert application.decided_by == member
    assert is_committee_member(applicant) is accept
    assert applicant.groups.filter(pk=Group.objects.get(name="Reviewer").pk).exists() is accept


def test_plain_employee_cannot_decide_applications():
    application = services.committee_application_submit(applicant=eligible_applicant())
    with pytest.raises(services.ReviewPermissionDenied):
        services.committee_application_decide(application_id=application.pk, decided_by=UserFactory(), accept=True)


def test_one_pending_application_at_a_time():
    applicant = eligible_applicant()
    services.committee_application_submit(applicant=applicant)
    with pytest.raises(services.ReviewError, match="already have a pending application"):
        services.committee_application_submit(applicant=applicant)
    assert CommitteeApplication.objects.filter(applicant=applicant).count() == 1
