"""The daily retention job is set-based: its query count does not grow with the number of
periods it opens, reads, keeps, fails (demoting in batches) or reminds, and the many-period evidence
(selectors.retention_statuses) agrees with the single-period page (selectors.retention_status). The
benchmark command runs on a tiny set."""

from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import User
from accounts.tests.factories import UserFactory
from knowledgebase.models import QueryTestSession, QueryTimeTest
from knowledgebase.selectors import counting_query_time_result
from points.models import PointRule, PointsEntry
from promotion import selectors
from promotion.models import ExamAttempt, Notification, PromotionEvent, RetentionPeriod
from promotion.services.levels import promotion_history_backfill
from promotion.services.retention import retention_run_daily

pytestmark = pytest.mark.django_db


def _in_retention(*, days_ago: int, status: str = RetentionPeriod.Status.ACTIVE) -> RetentionPeriod:
    """A level-1 CSR promoted ``days_ago`` days ago with the retention period of that promotion."""
    employee = UserFactory(roles=["CSR"], level=1)
    promotion_history_backfill(
        employee=employee,
        kind=PromotionEvent.Kind.PROMOTED,
        from_level=0,
        to_level=1,
        at=timezone.now() - timedelta(days=days_ago),
        with_retention=True,
    )
    period = RetentionPeriod.objects.get(employee=employee)
    if status != period.status:
        RetentionPeriod.objects.filter(pk=period.pk).update(
            status=status, retest_opened_at=period.retest_opens_at
        )
        period.refresh_from_db()
    return period


def _met_everything(period: RetentionPeriod) -> None:
    """Points task, a passed re-test and a query-time result allowing the level, all in the
    window."""
    at = period.retest_opens_at + timedelta(days=1)
    PointsEntry.objects.create(
        employee=period.employee,
        amount=period.points_task,
        rule=PointRule.objects.first(),
        source=f"test:kept:{period.pk}",
        created_at=at,
    )
    ExamAttempt.objects.create(
        employee=period.employee,
        level=period.level,
        purpose=ExamAttempt.Purpose.RETENTION,
        retention_period=period,
        status=ExamAttempt.Status.PASSED,
        started_at=at,
        deadline=at + timedelta(minutes=30),
        submitted_at=at + timedelta(minutes=10),
        pass_percent=80,
    )
    QueryTestSession.objects.create(
        employee=period.employee,
        started_at=at,
        finished_at=at + timedelta(minutes=3),
        task_count=10,
        total_seconds=Decimal("14"),
        elapsed_seconds=Decimal("14"),
        allowed_level=5,
    )


def _add_periods(n: int) -> None:
    for _ in range(n):
        _in_retention(
            days_ago=400, status=RetentionPeriod.Status.RETEST_OPEN
        )  # failed: demoted today
        _in_retention(days_ago=336)  # its window opens today
        _in_retention(days_ago=340, status=RetentionPeriod.Status.RETEST_OPEN)  # undecided
        _in_retention(
            days_ago=355, status=RetentionPeriod.Status.RETEST_OPEN
        )  # undecided, reminder due
        _met_everything(
            _in_retention(days_ago=340, status=RetentionPeriod.Status.RETEST_OPEN)
        )  # kept


def _job_queries() -> tuple[int, dict]:
    """Run the job in a savepoint that is rolled back; its query count and result."""
    with transaction.atomic():
        with CaptureQueriesContext(connection) as queries:
            done = retention_run_daily()
        transaction.set_rollback(True)
    return len(queries), done


def test_the_job_s_query_count_does_not_grow_with_the_number_of_periods():
    # given three periods of each kind: failed today, opening today, undecided, reminder due, kept
    _add_periods(3)
    _job_queries()  # warm-up: settings rows are read once, then come from the cache
    few, done_few = _job_queries()
    # when: five times as many periods of every kind
    _add_periods(12)
    many, done_many = _job_queries()
    # then
    assert done_few == {"opened": 3, "kept": 3, "demoted": 3, "reminded": 3}
    assert done_many == {"opened": 15, "kept": 15, "demoted": 15, "reminded": 15}
    assert many == few


def test_a_batch_of_failed_periods_demotes_each_employee_once_with_the_reasons(monkeypatch):
    # given five failed periods, demoted in batches of two, one of whose employees was demoted
    # by a manager meanwhile (no longer at the period's level)
    monkeypatch.setattr("promotion.services.retention.RETENTION_FAIL_BATCH", 2)
    periods = [
        _in_retention(days_ago=400, status=RetentionPeriod.Status.RETEST_OPEN) for _ in range(5)
    ]
    User.objects.filter(pk=periods[0].employee_id).update(level=0)
    # when
    done = retention_run_daily()
    # then
    assert done["demoted"] == 4
    assert set(
        User.objects.filter(pk__in=[p.employee_id for p in periods]).values_list("level", flat=True)
    ) == {0}
    events = PromotionEvent.objects.filter(kind=PromotionEvent.Kind.DEMOTED, backfilled=False)
    assert sorted(events.values_list("employee_id", flat=True)) == sorted(
        p.employee_id for p in periods[1:]
    )
    assert all(e.reasons and e.evidence["retention_period"] for e in events)
    assert set(
        RetentionPeriod.objects.filter(pk__in=[p.pk for p in periods]).values_list(
            "status", flat=True
        )
    ) == {RetentionPeriod.Status.FAILED}
    assert Notification.objects.filter(kind=Notification.Kind.DEMOTED).count() == 4


def test_a_second_run_claims_nothing_again():
    _add_periods(2)
    assert retention_run_daily() == {"opened": 2, "kept": 2, "demoted": 2, "reminded": 2}
    assert retention_run_daily() == {"opened": 0, "kept": 0, "demoted": 0, "reminded": 0}
    assert Notification.objects.filter(kind__in=["retest_open", "kept", "retest_due"]).count() == 6
    assert RetentionPeriod.objects.filter(status="kept").count() == 2


def test_many_periods_read_at_once_agree_with_one_period_read_alone():
    periods = [
        _in_retention(days_ago=d, status=RetentionPeriod.Status.RETEST_OPEN)
        for d in (340, 355, 400)
    ]
    _met_everything(periods[0])
    now = timezone.now()
    with CaptureQueriesContext(connection) as queries:
        together = selectors.retention_statuses(
            RetentionPeriod.objects.filter(pk__in=[p.pk for p in periods]), now
        )
    assert len(queries) <= 3
    for period in periods:
        alone = selectors.retention_status(period, now)
        assert together[period.pk] == alone
    assert together[periods[0].pk].all_met and not together[periods[1].pk].all_met


def test_bench_retention_refuses_a_database_without_bench_in_its_name():
    with pytest.raises(Exception, match="use a \\*bench\\* database or --force"):
        call_command("bench_retention", "--employees", "5", stdout=StringIO())


# serialized_rollback: the flush after a transactional test would drop the seeded rows (point
# rules).
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_bench_retention_runs_on_a_tiny_set_and_rolls_the_job_back():
    out = StringIO()
    try:
        call_command(
            "bench_retention",
            "--force",
            "--employees",
            "60",
            "--open",
            "20",
            "--batch",
            "25",
            stdout=out,
        )
        output = out.getvalue()
        assert "generated 60 employees (20 re-test windows open)" in output
        assert "retention_run_daily periods=60 open=20" in output
        assert "queries=" in output and "floor=" in output and "ratio=" in output
        # the job ran in a rolled-back transaction: nothing was decided for real
        generated = RetentionPeriod.objects.filter(employee__staff_id__startswith="RBENCH")
        assert generated.count() == 60
        assert not generated.filter(status__in=["kept", "failed"]).exists()
    finally:
        call_command("bench_retention", "--force", "--cleanup", stdout=StringIO())
    assert not User.objects.filter(staff_id__startswith="RBENCH").exists()


def test_evidence_outside_the_period_s_bounds_does_not_count():
    # given: points before the promotion and after the due date, a query-time result after the
    # promotion but before the re-test window opened
    period = _in_retention(days_ago=340, status=RetentionPeriod.Status.RETEST_OPEN)
    rule = PointRule.objects.first()
    for n, at in enumerate(
        [period.starts_at - timedelta(seconds=1), period.due_at + timedelta(seconds=1)]
    ):
        PointsEntry.objects.create(
            employee=period.employee, amount=500, rule=rule, source=f"test:out:{n}", created_at=at
        )
    PointsEntry.objects.create(
        employee=period.employee, amount=7, rule=rule, source="test:in", created_at=period.due_at
    )
    early = period.retest_opens_at - timedelta(minutes=10)
    QueryTestSession.objects.create(
        employee=period.employee,
        started_at=early,
        finished_at=early + timedelta(minutes=3),
        task_count=10,
        total_seconds=Decimal("14"),
        elapsed_seconds=Decimal("14"),
        allowed_level=5,
    )
    # when
    status = selectors.retention_statuses([period])[period.pk]
    # then: only the entry at the due moment itself counts, and the early query-time result does not
    assert status.points_earned == 7
    assert not status.query_time_met
    assert status == selectors.retention_status(period)


@pytest.mark.parametrize("rule, met", [("latest", False), ("best_recent", True)])
def test_the_counting_query_time_result_follows_the_configured_rule(rule, met):
    # given: inside the window, a fast result allowing the level, then a slower one allowing nothing
    QueryTimeTest.objects.filter(pk=1).update(counting_rule=rule, best_window_days=30)
    period = _in_retention(days_ago=340, status=RetentionPeriod.Status.RETEST_OPEN)
    for n, (seconds, level) in enumerate([("14", 5), ("40", None)]):
        at = period.retest_opens_at + timedelta(days=n + 1)
        QueryTestSession.objects.create(
            employee=period.employee,
            started_at=at,
            finished_at=at + timedelta(minutes=3),
            task_count=10,
            total_seconds=Decimal(seconds),
            elapsed_seconds=Decimal(seconds),
            allowed_level=level,
        )
    # when
    status = selectors.retention_statuses([period])[period.pk]
    # then: the same result as the per-employee selector picks
    counting = counting_query_time_result(
        period.employee, since=period.retest_opens_at, until=period.due_at
    )
    assert status.query_time_met is met is (counting.allowed_level == 5)
