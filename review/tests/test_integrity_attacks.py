"""Attacks on the committee's rules: a pass rate polished by withdrawing proposals the
committee was rejecting; a pending applicant voting on applications."""

from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.tests.factories import UserFactory
from review import services
from review.models import Proposal
from review.selectors import committee_eligibility
from review.tests.factories import RevisionProposalFactory, committee_member

pytestmark = pytest.mark.django_db


def reject_once_then_withdraw(proposer) -> Proposal:
    proposal = RevisionProposalFactory(proposer=proposer)
    services.proposal_vote(
        proposal_id=proposal.pk, reviewer=committee_member(), decision="reject", comment="不准确"
    )
    return services.proposal_withdraw(proposal_id=proposal.pk, user=proposer)


def test_withdrawing_a_proposal_the_committee_began_to_reject_still_counts_against_the_pass_rate(
    client,
):
    # given: a level-4 CSR with 17 accepted revisions who withdrew 3 as soon as a member rejected
    # them
    applicant = UserFactory(level=4, roles=["CSR"])
    for _ in range(17):
        RevisionProposalFactory(proposer=applicant, status=Proposal.Status.APPLIED)
    for _ in range(3):
        reject_once_then_withdraw(applicant)
    # when
    rate = Proposal.objects.pass_rate_for(applicant)
    # then: 17 of 20 (85 %, not above): not eligible, and the application is refused
    assert rate == Decimal("85.00")
    assert not committee_eligibility(applicant).eligible
    with pytest.raises(services.ReviewError, match="pass rate must be above 85"):
        services.committee_application_submit(applicant=applicant)
    client.force_login(applicant)
    client.post(reverse("review:committee_apply"))
    assert not Proposal.objects.filter(kind="committee_application").exists()


def test_a_proposal_withdrawn_before_any_rejection_still_does_not_count():
    user = UserFactory(level=4)
    for _ in range(9):
        RevisionProposalFactory(proposer=user, status=Proposal.Status.APPLIED)
    approved_once = RevisionProposalFactory(proposer=user)
    services.proposal_vote(
        proposal_id=approved_once.pk,
        reviewer=committee_member(),
        decision="approve",
        extra={"points": 3},
    )
    services.proposal_withdraw(proposal_id=approved_once.pk, user=user)
    services.proposal_withdraw(proposal_id=RevisionProposalFactory(proposer=user).pk, user=user)
    assert Proposal.objects.pass_rate_for(user) == Decimal("100.00")


def test_a_pending_applicant_cannot_vote_on_another_application(api):
    # given: two eligible level-4 CSRs applied; neither is a member yet
    first, second = UserFactory(level=4, roles=["CSR"]), UserFactory(level=4, roles=["CSR"])
    for user in (first, second):
        for _ in range(9):
            RevisionProposalFactory(proposer=user, status=Proposal.Status.APPLIED)
    services.committee_application_submit(applicant=first)
    application = services.committee_application_submit(applicant=second)
    # when / then: the first approves the second's application through the API
    api.force_authenticate(first)
    response = api.post(
        reverse("api-review-votes", args=[application.proposal_id]),
        {"decision": "approve"},
        format="json",
    )
    assert response.status_code == 403 and response.json()["detail"] == services.MSG_NOT_MEMBER
    assert application.proposal.votes.count() == 0


@pytest.mark.parametrize("body", [[], [{"decision": "approve"}], "approve", None, 7])
@pytest.mark.parametrize(
    "endpoint", ["votes", "applications", "proposals", "case-proposals", "promote", "mentorships"]
)
def test_a_json_body_that_is_not_an_object_is_a_400_everywhere_a_rule_is_decided(
    api, ops_manager, body, endpoint
):
    # given: a member (who may vote, apply, propose) — or a manager for the pairing endpoint
    user = ops_manager if endpoint == "mentorships" else committee_member()
    proposal = RevisionProposalFactory()
    url = {
        "votes": reverse("api-review-votes", args=[proposal.pk]),
        "applications": reverse("api-review-applications"),
        "proposals": reverse("api-review-proposals"),
        "case-proposals": reverse("api-cases-proposals"),
        "promote": reverse("api-promotion-promote"),
        "mentorships": reverse("api-promotion-mentorships"),
    }[endpoint]
    api.force_authenticate(user)
    # when
    response = api.post(url, body, format="json")
    # then: a 400 with a message, nothing decided — except that no body at all (None) is a valid
    # application without a statement, which the membership rule then answers (409)
    expected = 409 if body is None and endpoint == "applications" else 400
    assert response.status_code == expected, response.content
    assert response.json()["detail"]
    assert proposal.votes.count() == 0 and Proposal.objects.count() == 1
