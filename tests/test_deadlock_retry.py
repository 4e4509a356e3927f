"""config.locks.retry_on_deadlock: a transaction that loses a race (deadlock, serialisation
failure) runs again; one that loses every time answers 409 with the one error shape, never
a 500. The database error is forced (a mock) so the outcome does not depend on timing."""

import pytest
from django.db import OperationalError, transaction
from django.urls import reverse
from rest_framework.test import APIClient

from config.errors import MSG_CONFLICT
from config.locks import DEADLOCK_DETECTED, SERIALIZATION_FAILURE, is_retryable, retry_on_deadlock
from review import services
from review.models import Proposal, Vote
from review.tests.factories import RevisionProposalFactory, committee_member

# transaction=True: the retry works on the OUTERMOST transaction only, and a normal test runs
# inside one. serialized_rollback: the flush would drop the seeded roles and settings.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


class FakeDriverError(Exception):
    """Stands in for the psycopg2 error Django wraps (it carries the SQLSTATE as pgcode)."""

    def __init__(self, pgcode: str):
        super().__init__(pgcode)
        self.pgcode = pgcode


def database_error(pgcode: str) -> OperationalError:
    try:
        raise OperationalError("deadlock detected") from FakeDriverError(pgcode)
    except OperationalError as exc:
        return exc


class FailingStep:
    """Replaces a step inside the service's transaction: raises ``error`` the first ``times``
    calls."""

    def __init__(self, real, error: Exception, times: int):
        self.real, self.error, self.times, self.calls = real, error, times, 0

    def __call__(self, *args, **kwargs):
        self.calls += 1
        if self.calls <= self.times:
            raise self.error
        return self.real(*args, **kwargs)


@pytest.fixture
def vote_request(monkeypatch):
    """A committee member's approval of an open KB revision through the API, with the step
    after the locks failing as told."""
    proposal = RevisionProposalFactory()
    api = APIClient()
    api.force_authenticate(committee_member())

    def send(*, pgcode: str, times: int):
        step = FailingStep(services._vote_extra, database_error(pgcode), times)
        monkeypatch.setattr(services, "_vote_extra", step)
        response = api.post(
            reverse("api-review-votes", args=[proposal.pk]),
            {"decision": "approve", "extra": {"points": 3}},
            format="json",
            HTTP_ACCEPT_LANGUAGE="en",
        )
        return response, step

    send.proposal = proposal
    return send


@pytest.mark.parametrize("pgcode", [DEADLOCK_DETECTED, SERIALIZATION_FAILURE])
def test_a_vote_that_loses_a_race_once_is_retried_and_recorded(vote_request, pgcode):
    # when: the first run of the transaction is chosen as the deadlock victim
    response, step = vote_request(pgcode=pgcode, times=1)
    # then: the second run went through
    assert response.status_code == 201, response.json()
    assert step.calls == 2
    assert Vote.objects.filter(proposal=vote_request.proposal).count() == 1


def test_a_vote_that_loses_the_race_every_time_answers_409_not_500(vote_request):
    # when: every run deadlocks
    response, step = vote_request(pgcode=DEADLOCK_DETECTED, times=99)
    # then: three runs, then the one error shape with 409
    assert step.calls == 3
    assert response.status_code == 409
    assert response.json() == {"detail": MSG_CONFLICT, "code": "transaction_conflict"}
    assert not Vote.objects.filter(proposal=vote_request.proposal).exists()
    assert Proposal.objects.get(pk=vote_request.proposal.pk).status == Proposal.Status.OPEN


def test_other_database_errors_are_not_retried(vote_request):
    # when: an error that is no race (here: a lost connection, SQLSTATE 08006)
    with pytest.raises(OperationalError):
        vote_request(pgcode="08006", times=99)


def test_inside_an_outer_transaction_the_error_is_re_raised_for_the_outermost_retry():
    # given
    calls = []

    @retry_on_deadlock
    def inner():
        calls.append(1)
        raise database_error(DEADLOCK_DETECTED)

    # when: called inside somebody else's transaction, where a retry is impossible
    with pytest.raises(OperationalError), transaction.atomic():
        inner()
    # then: one run, the database error untouched
    assert calls == [1]


def test_retryable_errors_are_recognised_by_their_sqlstate():
    assert is_retryable(database_error("40P01")) and is_retryable(database_error("40001"))
    assert not is_retryable(database_error("23505")) and not is_retryable(ValueError("40P01"))
