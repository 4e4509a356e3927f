"""The bulk steps of the daily retention job (opening windows, keeping, reminding: all of a
step's employees locked in one statement, then the periods claimed) and a promotion of one
of those employees at the same moment, against real PostgreSQL: same lock order
(config/locks.py), so one waits for the other instead of deadlocking."""

from collections import Counter

import pytest
from django.db import connection

from promotion import selectors
from promotion.models import PromotionEvent, RetentionPeriod
from promotion.services import retention
from promotion.services.levels import employee_promote
from promotion.tests.test_retention_concurrency import _level_1_employee_in_retention
from tests.concurrency import Rendezvous, is_deadlock, record_retries, run_at_once

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
]

TRIALS = 10


@pytest.mark.parametrize(
    "days_ago, retest_open, done_key", [(340, False, "opened"), (355, True, "reminded")]
)
def test_a_bulk_step_of_the_retention_job_and_a_promotion_never_deadlock(
    monkeypatch, days_ago, retest_open, done_key
):
    monkeypatch.setattr(
        selectors,
        "promotion_checklist",
        lambda employee, level=None: [selectors.ChecklistItem("points", True, "points", "ok", {})],
    )
    retries = record_retries(monkeypatch)
    outcomes, reached = [], []
    for _ in range(TRIALS):
        # given: two employees in the step, the job pausing before its bulk notifications (the
        # employees locked, the periods claimed), the promotion of one of them after its first lock
        others = _level_1_employee_in_retention(days_ago=days_ago, retest_open=retest_open)
        employee = _level_1_employee_in_retention(days_ago=days_ago, retest_open=retest_open)
        meeting = Rendezvous(timeout=0.5)
        real_checklist = selectors.promotion_checklist
        with monkeypatch.context() as patch:
            paused = meeting.before(retention.notifications_send)

            def counted(*args, _paused=paused, **kwargs):
                reached.append(True)
                return _paused(*args, **kwargs)

            # patched where the job's bulk steps look it up: the retention module
            patch.setattr(retention, "notifications_send", counted)
            patch.setattr(selectors, "promotion_checklist", meeting.before(real_checklist))
            job, promotion = run_at_once(
                [
                    lambda: retention.retention_run_daily(),
                    lambda employee=employee: employee_promote(employee=employee, to_level=2),
                ]
            )
        employee.refresh_from_db()
        if is_deadlock(job) or is_deadlock(promotion):
            outcomes.append("deadlock")
        elif retries:
            retries.clear()
            outcomes.append("deadlock, retried")
        elif isinstance(job, Exception) or not isinstance(promotion, PromotionEvent):
            outcomes.append(f"error: {job!r} {promotion!r}")
        else:
            # the promotion closed the employee's period, whichever came first; the other
            # employee's period went through the step
            assert employee.level == 2 and job[done_key] in (1, 2)
            assert dict(
                RetentionPeriod.objects.filter(employee=employee).values_list("level", "status")
            ) == {1: "closed", 2: "active"}
            other = RetentionPeriod.objects.get(employee=others)
            assert other.status == "retest_open" and (other.reminded_at is not None) is retest_open
            outcomes.append("ok")
        RetentionPeriod.objects.update(
            status=RetentionPeriod.Status.CLOSED
        )  # the next trial starts afresh
    assert outcomes == ["ok"] * TRIALS, Counter(outcomes)
    assert reached, "the job never reached its bulk notifications: the race was not run"
