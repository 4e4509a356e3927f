"""The daily retention job and a promotion of the same employee at the same moment, against
real PostgreSQL: both lock the employee row first, then the retention periods
(config/locks.py), so one waits for the other instead of deadlocking."""

from collections import Counter
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from accounts.tests.factories import UserFactory
from promotion import selectors, services
from promotion.models import PromotionEvent, RetentionPeriod
from tests.concurrency import Rendezvous, is_deadlock, record_retries, run_at_once

pytestmark = [
    # serialized_rollback: the flush between transactional tests would drop the seeded rows.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
]

TRIALS = 10


def _level_1_employee_in_retention(*, days_ago: int, retest_open: bool):
    """A level-1 CSR promoted ``days_ago`` days ago, with the retention period of that promotion."""
    employee = UserFactory(roles=["CSR"], level=1)
    services.promotion_history_backfill(employee=employee, kind=PromotionEvent.Kind.PROMOTED, from_level=0,
                                        to_level=1, at=timezone.now() - timedelta(days=days_ago),
                                        with_retention=True)
    if retest_open:
        RetentionPeriod.objects.filter(employee=employee).update(status=RetentionPeriod.Status.RETEST_OPEN,
                                                                 retest_opened_at=timezone.now())
    return employee


@pytest.mark.parametrize("scenario", ["retest window opens", "failed retention demotes"])
def test_the_retention_job_and_a_promotion_of_the_same_employee_never_deadlock(monkeypatch, scenario):
    # Every requirement of level 2 counts as met: the race, not the checklist, is under test.
    monkeypatch.setattr(selectors, "promotion_checklist", lambda employee, level=None: [
        selectors.ChecklistItem("points", True, "points", "ok", {})])
    retries = record_retries(monkeypatch)
    outcomes = []
    for _ in range(TRIALS):
        # given: the job's step (opening the window / demoting) and the promotion each pause after
        # their first lock, so both hold it before either takes its second
        if scenario == "retest window opens":
            employee = _level_1_employee_in_retention(days_ago=340, retest_open=False)
            step = "notification_send"
        else:
            employee = _level_1_employee_in_retention(days_ago=400, retest_open=True)
            step = "employee_demote"
        meeting = Rendezvous(timeout=0.5)
        real_checklist = selectors.promotion_checklist
        with monkeypatch.context() as patch:
            patch.setattr(services, step, meeting.before(getattr(services, step)))
            patch.setattr(selectors, "promotion_checklist", meeting.before(real_checklist))
            # when
            job, promotion = run_at_once([
                lambda: services.retention_run_daily(),
                lambda employee=employee: services.employee_promote(employee=employee, to_level=2),
            ])
        # then: no deadlock and no error but the one the rules give (a demoted employee is no
        # longer promoted two levels up)
        employee.refresh_from_db()
        if is_deadlock(job) or is_deadlock(promotion):
            outcomes.append("deadlock")
        elif retries:
            retries.clear()
            outcomes.append("deadlock, retried")
        elif isinstance(job, Exception) or not isinstance(promotion, (PromotionEvent, services.PromotionError)):
            outcomes.append(f"error: {job!r} {promotion!r}")
        elif isinstance(promotion, PromotionEvent):
            assert employee.level == 2
            assert dict(RetentionPeriod.objects.filter(employee=employee).values_list("level", "status")) == {
                1: "closed", 2: "active"}
            outcomes.append("ok")
        else:
            assert employee.level == 0 and job["demoted"] == 1
            outcomes.append("ok")
    assert outcomes == ["ok"] * TRIALS, Counter(outcomes)
