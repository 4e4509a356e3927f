"""Two starts of the same exam at the same moment (a double click, two tabs): one attempt."""

import pytest
from django.db import connection

from accounts.tests.factories import UserFactory
from casebase.models import Case, CaseEvent
from promotion.models import ExamAttempt
from promotion.services.exams import exam_start
from promotion.tests.factories import make_test_cases
from tests.concurrency import run_at_once

pytestmark = [
    # serialized_rollback: the flush between transactional tests would drop the role groups
    # and seeded settings that data migrations created.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
]


@pytest.mark.parametrize("round_number", range(3))
def test_two_concurrent_starts_make_one_attempt_and_count_exposure_once(round_number):
    # given
    make_test_cases(1, 12)
    csr = UserFactory(roles=["CSR"])
    # when
    results = run_at_once([lambda: exam_start(employee=csr, level=1) for _ in range(2)])
    # then: both get the same attempt; its cases were counted once
    assert all(isinstance(r, ExamAttempt) for r in results), results
    assert results[0].pk == results[1].pk
    attempt = ExamAttempt.objects.get(employee=csr)
    assert sorted(Case.objects.filter(exam_uses=1).values_list("pk", flat=True)) == attempt.case_ids
    assert not Case.objects.filter(exam_uses__gt=1).exists()
    assert CaseEvent.objects.filter(kind="exam_use").count() == 10
