"""Two starts of the same exam at the same moment (a double click, two tabs): one attempt."""

import threading

import pytest
from django.db import connection, connections
from django.utils import translation

from accounts.tests.factories import UserFactory
from casebase.models import Case, CaseEvent
from promotion import services
from promotion.models import ExamAttempt
from promotion.tests.factories import make_test_cases

pytestmark = [
    # serialized_rollback: the flush between transactional tests would drop the role groups
    # and seeded settings that data migrations created.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
]


def run_at_once(functions):
    barrier = threading.Barrier(len(functions))
    results = [None] * len(functions)

    def worker(i, fn):
        try:
            barrier.wait()
            with translation.override("en"):
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


@pytest.mark.parametrize("round_number", range(3))
def test_two_concurrent_starts_make_one_attempt_and_count_exposure_once(round_number):
    # given
    make_test_cases(1, 12)
    csr = UserFactory(roles=["CSR"])
    # when
    results = run_at_once([lambda: services.exam_start(employee=csr, level=1) for _ in range(2)])
    # then: both get the same attempt; its cases were counted once
    assert all(isinstance(r, ExamAttempt) for r in results), results
    assert results[0].pk == results[1].pk
    attempt = ExamAttempt.objects.get(employee=csr)
    assert sorted(Case.objects.filter(exam_uses=1).values_list("pk", flat=True)) == attempt.case_ids
    assert not Case.objects.filter(exam_uses__gt=1).exists()
    assert CaseEvent.objects.filter(kind="exam_use").count() == 10
