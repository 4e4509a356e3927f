"""The daily retention job and a promotion of the same employee at the same moment, against
real PostgreSQL: both lock the employee row first, then the retention periods
(config/locks.py), so one waits for the other instead of deadlocking."""

import time
from collections import Counter
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from accounts.tests.factories import UserFactory
from promotion import selectors
from promotion.models import PromotionEvent, RetentionPeriod
from promotion.services import retention
from promotion.services.common import PromotionError
from promotion.services.levels import employee_promote, promotion_history_backfill
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
    promotion_history_backfill(
        employee=employee,
        kind=PromotionEvent.Kind.PROMOTED,
        from_level=0,
        to_level=1,
        at=timezone.now() - timedelta(days=days_ago),
        with_retention=True,
    )
    if retest_open:
        RetentionPeriod.objects.filter(employee=employee).update(
            status=RetentionPeriod.Status.RETEST_OPEN, retest_opened_at=timezone.now()
        )
    return employee


@pytest.mark.parametrize("scenario", ["retest window opens", "failed retention demotes"])
def test_the_retention_job_and_a_promotion_of_the_same_employee_never_deadlock(
    monkeypatch, scenario
):
    # Every requirement of level 2 counts as met: the race, not the checklist, is under test.
    monkeypatch.setattr(
        selectors,
        "promotion_checklist",
        lambda employee, level=None: [selectors.ChecklistItem("points", True, "points", "ok", {})],
    )
    retries = record_retries(monkeypatch)
    outcomes, reached = [], []
    for trial in range(TRIALS):
        # Alternate who starts first (the other starts 0.2 s later), so both orders of the
        # employee lock are run, not only the one the scheduler happens to favour.
        job_delay, promotion_delay = (0.0, 0.2) if trial % 2 == 0 else (0.2, 0.0)
        # given: the job's step (opening the window / demoting) and the promotion each pause after
        # their first lock, so both hold it before either takes its second
        if scenario == "retest window opens":
            employee = _level_1_employee_in_retention(days_ago=340, retest_open=False)
            step = (
                "notifications_send"  # the bulk step sends the window-open notices after its locks
            )
        else:
            employee = _level_1_employee_in_retention(days_ago=400, retest_open=True)
            step = "_demote_locked"  # the bulk step demotes after its locks
        meeting = Rendezvous(timeout=0.5)
        real_checklist = selectors.promotion_checklist
        with monkeypatch.context() as patch:
            # patched where the job looks it up: the retention module
            paused = meeting.before(getattr(retention, step))

            def counted(*args, _paused=paused, _step=step, **kwargs):
                reached.append(_step)
                return _paused(*args, **kwargs)

            patch.setattr(retention, step, counted)
            patch.setattr(selectors, "promotion_checklist", meeting.before(real_checklist))
            # when
            job, promotion = run_at_once(
                [
                    lambda d=job_delay: (time.sleep(d), retention.retention_run_daily())[1],
                    lambda employee=employee, d=promotion_delay: (
                        time.sleep(d),
                        employee_promote(employee=employee, to_level=2),
                    )[1],
                ]
            )
        # then: no deadlock and no error but the one the rules give (a demoted employee is no
        # longer promoted two levels up)
        employee.refresh_from_db()
        if is_deadlock(job) or is_deadlock(promotion):
            outcomes.append("deadlock")
        elif retries:
            retries.clear()
            outcomes.append("deadlock, retried")
        elif isinstance(job, Exception) or not isinstance(
            promotion, (PromotionEvent, PromotionError)
        ):
            outcomes.append(f"error: {job!r} {promotion!r}")
        elif isinstance(promotion, PromotionEvent):
            assert employee.level == 2
            assert dict(
                RetentionPeriod.objects.filter(employee=employee).values_list("level", "status")
            ) == {1: "closed", 2: "active"}
            outcomes.append("ok")
        else:
            assert employee.level == 0 and job["demoted"] == 1
            outcomes.append("ok")
    assert outcomes == ["ok"] * TRIALS, Counter(outcomes)
    assert reached, (
        f"the job never reached {step}: the race was not run"
    )  # a pause point that moved
