"""Against real PostgreSQL: racing starts, and the migration to per-task bands."""

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from accounts.tests.factories import UserFactory
from knowledgebase import services
from knowledgebase.models import QueryTestSession, QueryTimeTest, QueryTimeThreshold
from knowledgebase.tests.factories import QueryTaskFactory
from tests.concurrency import run_at_once

pytestmark = [
    # serialized_rollback: the flush between transactional tests would drop the seeded rows.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
]
BEFORE, AFTER = (
    ("knowledgebase", "0002_search_index_and_defaults"),
    ("knowledgebase", "0003_query_time_per_task_and_retakes"),
)
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.mark.parametrize("round_number", range(2))
def test_four_starts_at_the_same_moment_open_one_test(round_number):
    # given
    QueryTimeTest.objects.filter(pk=1).update(task_count=10)
    QueryTaskFactory.create_batch(20)
    employee = UserFactory(roles=["CSR"])
    # when: a double (quadruple) click on "start"
    results = run_at_once([lambda: services.query_test_start(employee=employee) for _ in range(4)])
    # then: one test, every request got it
    assert not [r for r in results if isinstance(r, Exception)]
    assert {r.pk for r in results} == set(
        QueryTestSession.objects.filter(employee=employee).values_list("pk", flat=True)
    )
    assert QueryTestSession.objects.filter(employee=employee).count() == 1


def migrate_to(target):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([target])
    return executor.loader.project_state([target]).apps


def migrate_to_latest() -> None:
    """Back to the newest state, whatever migrations came after the one under test."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


def seed_old_bands(old_apps) -> None:
    """The rows 0002 seeds (totals for 100 tasks, and the catch-all row)."""
    Threshold = old_apps.get_model("knowledgebase", "QueryTimeThreshold")
    Threshold.objects.all().delete()
    for below, level in [
        (Decimal("120"), 5),
        (Decimal("130"), 4),
        (Decimal("140"), 2),
        (Decimal("150"), 1),
        (None, 0),
    ]:
        Threshold.objects.create(below_seconds=below, allowed_level=level)


def test_migration_turns_the_seeded_totals_into_per_task_bands_and_rejudges_short_tests():
    try:
        # given: the state before, with the demo's 10 tasks and a 10-task result of 34.6 s at level
        # 5
        old = migrate_to(BEFORE)
        old.get_model("knowledgebase", "QueryTimeTest").objects.filter(pk=1).update(task_count=10)
        seed_old_bands(old)
        employee = old.get_model("accounts", "User").objects.create(staff_id="MIG001", name="迁移")
        Session = old.get_model("knowledgebase", "QueryTestSession")
        short = Session.objects.create(
            employee_id=employee.pk,
            started_at=T0,
            finished_at=T0 + timedelta(seconds=35),
            task_count=10,
            elapsed_seconds=Decimal("34.6"),
            total_seconds=Decimal("34.6"),
            allowed_level=5,
        )
        running = Session.objects.create(
            employee_id=employee.pk, started_at=T0 + timedelta(days=1), task_count=10
        )
        # when
        migrate_to(AFTER)
        # then: the DOMAIN defaults per task, the short test judged per task, deadlines set
        assert list(
            QueryTimeThreshold.objects.values_list("seconds_per_task", "allowed_level")
        ) == [
            (Decimal("1.20"), 5),
            (Decimal("1.30"), 4),
            (Decimal("1.40"), 2),
            (Decimal("1.50"), 1),
        ]
        assert QueryTestSession.objects.get(pk=short.pk).allowed_level == 0
        assert QueryTestSession.objects.get(pk=running.pk).deadline_at == T0 + timedelta(
            days=1, seconds=60
        )
    finally:
        migrate_to_latest()


def test_migration_converts_bands_an_admin_changed_by_the_configured_task_count():
    try:
        old = migrate_to(BEFORE)
        seed_old_bands(old)
        old.get_model("knowledgebase", "QueryTimeThreshold").objects.filter(allowed_level=5).update(
            below_seconds=Decimal("115")
        )
        migrate_to(AFTER)
        assert list(
            QueryTimeThreshold.objects.values_list("seconds_per_task", "allowed_level")
        ) == [
            (Decimal("1.15"), 5),
            (Decimal("1.30"), 4),
            (Decimal("1.40"), 2),
            (Decimal("1.50"), 1),
        ]
    finally:
        migrate_to_latest()
