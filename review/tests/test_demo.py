import io

import pytest

from review.models import CommitteeApplication, Proposal, Vote

pytestmark = pytest.mark.django_db


def test_demo_queue_has_votes_with_amounts_an_open_quality_case_and_an_open_committee_application():
    # given
    import accounts.demo
    import casebase.demo
    import competency.demo
    import knowledgebase.demo
    import review.demo

    # when: loaded twice (idempotent)
    for _ in range(2):
        for module in (competency.demo, accounts.demo, casebase.demo, knowledgebase.demo, review.demo):
            module.load(stdout=io.StringIO())
    # then: every approval of a kind with a reviewer-chosen reward carries the amount
    approvals = Vote.objects.filter(decision="approve").exclude(proposal__kind="committee_application")
    assert approvals.exists() and not approvals.filter(extra__points__isnull=True).exists()
    quality = Proposal.objects.get(kind="quality_case")
    assert quality.status == "open" and len(quality.payload["contributors"]) == 2
    assert quality.recusals.count() == 1  # the other contributor; the applicant never votes as the proposer
    application = CommitteeApplication.objects.get()
    assert application.status == "pending" and application.proposal.status == "open"
    assert application.applicant.level >= 4
