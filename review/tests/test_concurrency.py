"""Races against real PostgreSQL: real threads, each with its own connection."""

import threading

import pytest
from django.db import connection, connections
from django.utils import translation

from knowledgebase.models import Entry
from review import services
from review.models import Proposal, ReviewEvent, Vote
from review.tests.factories import RevisionProposalFactory, committee_member

pytestmark = [
    # serialized_rollback: the flush between transactional tests would drop the role groups
    # and seeded settings that data migrations created.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
]


def run_at_once(functions):
    """Start every function at the same moment in its own thread; return results/exceptions."""
    barrier = threading.Barrier(len(functions))
    results = [None] * len(functions)

    def worker(i, fn):
        try:
            barrier.wait()
            with translation.override("en"):  # threads do not inherit the test's language
                results[i] = fn()
        except Exception as exc:  # noqa: BLE001 - collected for the assertions
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i, fn)) for i, fn in enumerate(functions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


@pytest.mark.parametrize("round_number", range(5))
def test_six_reviewers_approving_at_the_same_moment_apply_the_change_exactly_once(round_number):
    # given
    proposal = RevisionProposalFactory()
    members = [committee_member() for _ in range(6)]
    # when
    results = run_at_once([
        (lambda m=m: services.proposal_vote(proposal_id=proposal.pk, reviewer=m, decision="approve", comment=""))
        for m in members
    ])
    # then
    proposal.refresh_from_db()
    entry = Entry.objects.get(pk=proposal.target_id)
    refused = [r for r in results if isinstance(r, Exception)]
    assert proposal.status == Proposal.Status.APPLIED
    assert Vote.objects.filter(proposal=proposal).count() == 3
    assert entry.version == 2
    assert entry.history.count() == 2
    assert ReviewEvent.objects.filter(proposal=proposal, kind=ReviewEvent.Kind.APPLIED).count() == 1
    assert len(refused) == 3
    assert all(isinstance(r, services.ReviewError) and str(r) == "This proposal is no longer open." for r in refused)


def test_two_proposals_on_the_same_version_applied_at_once_never_overwrite_each_other():
    # given: proposals A and B on version 1, each two approvals short of... one approval short
    a = RevisionProposalFactory()
    entry = a.target
    b = RevisionProposalFactory(target=entry, payload={**a.payload, "body": "B 的写法"})
    members = [committee_member() for _ in range(4)]
    for proposal in (a, b):
        for m in members[:2]:
            services.proposal_vote(proposal_id=proposal.pk, reviewer=m, decision="approve", comment="")
    # when: the third approvals of both arrive at the same moment
    run_at_once([
        lambda: services.proposal_vote(proposal_id=a.pk, reviewer=members[2], decision="approve", comment=""),
        lambda: services.proposal_vote(proposal_id=b.pk, reviewer=members[3], decision="approve", comment=""),
    ])
    # then: exactly one is applied, the other is stale; the entry moved one version only
    a.refresh_from_db()
    b.refresh_from_db()
    entry.refresh_from_db()
    assert sorted([a.status, b.status]) == [Proposal.Status.APPLIED, Proposal.Status.STALE]
    winner = a if a.status == Proposal.Status.APPLIED else b
    assert entry.version == 2
    assert entry.body == winner.payload["body"]
