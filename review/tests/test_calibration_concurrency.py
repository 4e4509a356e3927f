"""Calibration answers under races against real PostgreSQL: real threads, own connections."""

import pytest
from django.db import connection

from accounts.tests.factories import UserFactory
from points.models import PointsEntry
from review import calibration, services
from review.models import CalibrationAssignment, Proposal, Vote
from review.tests.factories import RevisionProposalFactory, committee_member
from tests.concurrency import run_at_once

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
]


def test_a_double_submitted_calibration_answer_is_recorded_once_and_changes_nothing():
    # given: an applied proposal given as a calibration item
    proposal = RevisionProposalFactory()
    for _ in range(3):
        services.proposal_vote(
            proposal_id=proposal.pk,
            reviewer=committee_member(),
            decision="approve",
            comment="",
            extra={"points": 3},
        )
    member = committee_member()
    manager = UserFactory(roles=["Training manager"])
    calibration.calibration_round_create(
        proposal_id=proposal.pk, members=[member], created_by=manager
    )
    item = CalibrationAssignment.objects.get(member=member)
    votes, entries = Vote.objects.count(), PointsEntry.objects.count()
    # when: the same answer twice at the same moment
    results = run_at_once(
        [
            (
                lambda d=d: calibration.calibration_answer(
                    assignment_id=item.pk,
                    member=member,
                    decision=d,
                    comment="x",
                    extra={"points": 4},
                )
            )
            for d in ("approve", "reject")
        ]
    )
    # then: one answer, the other refused as "already voted"; nothing else moved
    refused = [r for r in results if isinstance(r, Exception)]
    assert len(refused) == 1 and isinstance(refused[0], services.ReviewConflict)
    item.refresh_from_db()
    assert item.answered_at is not None and item.decision in ("approve", "reject")
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.APPLIED
    assert (Vote.objects.count(), PointsEntry.objects.count()) == (votes, entries)
