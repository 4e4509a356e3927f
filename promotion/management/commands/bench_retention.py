"""Benchmark the daily retention job (promotion.services.retention.retention_run_daily) on 20,000
generated employees.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cc_bench python manage.py migrate
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cc_bench python manage.py bench_retention
    DATABASE_URL=... python manage.py bench_retention --cleanup   # remove the generated rows

Employees (staff IDs RBENCHxxxxxx) are created once with bulk_create, each with one
backdated promotion and its retention period, in mixed states: ``--open`` periods whose
re-test window is open (their ledger entries, re-test attempts and query-time tests inside
the window; some met everything → kept, some overdue or out of attempts → demoted, most
still undecided, some near their due date → reminded), a few whose window opens today, the
rest running. Every employee has ledger entries. An existing generated set of the right
size is reused (``--regenerate`` builds it again, e.g. after a few days).

The job runs twice inside a transaction that is rolled back (nothing changes): once timed,
once counting its queries. The floor, in the same run: one SQL statement computing the
points earned per open period (the job's biggest aggregate); the ratio is job / floor.
"""

import random
import time
from collections import deque
from datetime import timedelta
from decimal import Decimal

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Centre, Team, User
from config.bench import require_bench_database
from knowledgebase.models import QueryTestSession
from points.models import PointRule, PointsEntry
from promotion import selectors
from promotion.models import ExamAttempt, Notification, PromotionEvent, RetentionPeriod
from promotion.services.retention import RETENTION_FAIL_BATCH, retention_run_daily

PREFIX = "RBENCH"
DAY = timedelta(days=1)


class Command(BaseCommand):
    help = (
        "Generate 20,000 employees in retention (once) and time the daily retention job against a "
        "set-based floor."
    )

    def add_arguments(self, parser):
        parser.add_argument("--employees", type=int, default=20_000)
        parser.add_argument(
            "--open",
            dest="open_windows",
            type=int,
            default=4_000,
            help="Periods with an open re-test window.",
        )
        parser.add_argument("--batch", type=int, default=2000)
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument(
            "--regenerate", action="store_true", help="Build the generated set again."
        )
        parser.add_argument(
            "--cleanup", action="store_true", help="Delete the generated rows and stop."
        )
        parser.add_argument(
            "--force", action="store_true", help="Run on a database whose name lacks 'bench'."
        )

    def handle(
        self, *args, employees, open_windows, batch, seed, regenerate, cleanup, force, **options
    ):
        require_bench_database(force=force, action=f"write {employees} employees into")
        if cleanup:
            self.stdout.write(f"deleted {self._delete()} employees")
            return
        generated = User.objects.filter(staff_id__startswith=PREFIX)
        if regenerate or generated.count() != employees:
            self._generate(employees, min(open_windows, employees), batch, random.Random(seed))
        self._measure()

    # --- data ------------------------------------------------------------------------

    @staticmethod
    def _delete() -> int:
        mine = {"employee__staff_id__startswith": PREFIX}
        Notification.objects.filter(recipient__staff_id__startswith=PREFIX).delete()
        QueryTestSession.objects.filter(**mine).delete()
        ExamAttempt.objects.filter(**mine).delete()
        RetentionPeriod.objects.filter(**mine).delete()
        PromotionEvent.objects.filter(**mine).delete()
        entries = PointsEntry.objects.filter(**mine)
        entries._raw_delete(entries.db)  # the ledger is append-only through the ORM's delete()
        return User.objects.filter(staff_id__startswith=PREFIX).delete()[1].get(User._meta.label, 0)

    @transaction.atomic
    def _generate(self, count: int, open_count: int, batch: int, rng: random.Random) -> None:
        self._delete()
        rule = PointRule.objects.order_by("pk").first()
        if rule is None:
            raise CommandError("No point rule: run the migrations first.")
        teams = []
        for c in range(2):
            centre, _ = Centre.objects.get_or_create(
                code=f"rbench-{c}", defaults={"name": f"保级基准中心{c}"}
            )
            teams += [
                Team.objects.get_or_create(centre=centre, name=f"保级基准{t}班")[0]
                for t in range(5)
            ]
        started = time.perf_counter()
        now = timezone.now()
        for first in range(0, count, batch):
            numbers = range(first, min(first + batch, count))
            users = User.objects.bulk_create(
                [
                    User(
                        staff_id=f"{PREFIX}{n:06d}",
                        name=f"保级员工{n}",
                        centre_id=teams[n % len(teams)].centre_id,
                        team=teams[n % len(teams)],
                        level=rng.choice([1, 1, 1, 2, 2, 3]),
                        password="!",
                    )
                    for n in numbers
                ]
            )
            plans = [
                (n, user, self._plan(n, open_count, rng))
                for n, user in zip(numbers, users, strict=True)
            ]
            events = PromotionEvent.objects.bulk_create(
                PromotionEvent(
                    employee=user,
                    kind=PromotionEvent.Kind.PROMOTED,
                    from_level=user.level - 1,
                    to_level=user.level,
                    backfilled=True,
                    evidence={"bench": True},
                    at=now - plan["age"],
                )
                for _n, user, plan in plans
            )
            periods = RetentionPeriod.objects.bulk_create(
                RetentionPeriod(
                    employee=user,
                    promotion=event,
                    level=user.level,
                    starts_at=event.at,
                    retest_opens_at=event.at + 335 * DAY,
                    due_at=event.at + 365 * DAY,
                    remind_at=event.at + 351 * DAY,
                    points_task=200,
                    retest_attempts=2,
                    status=RetentionPeriod.Status.RETEST_OPEN
                    if plan["open"]
                    else RetentionPeriod.Status.ACTIVE,
                    retest_opened_at=event.at + 335 * DAY if plan["open"] else None,
                    reminded_at=event.at + 351 * DAY
                    if plan["open"] and not plan["remind"] and event.at + 351 * DAY <= now
                    else None,
                )
                for (_n, user, plan), event in zip(plans, events, strict=True)
            )
            entries, attempts, sessions = [], [], []
            for (n, user, plan), period in zip(plans, periods, strict=True):
                # ledger: a few entries before the promotion and inside the period
                for k in range(rng.randint(3, 6)):
                    at = period.starts_at + rng.randint(-60, 300) * DAY
                    entries.append(
                        PointsEntry(
                            employee=user,
                            amount=rng.randint(5, 30),
                            rule=rule,
                            source=f"rbench:{n}:{k}",
                            created_at=min(at, now),
                        )
                    )
                if plan["keep"]:
                    entries.append(
                        PointsEntry(
                            employee=user,
                            amount=200,
                            rule=rule,
                            source=f"rbench:{n}:keep",
                            created_at=period.retest_opens_at + DAY,
                        )
                    )
                in_window = period.retest_opens_at + rng.randint(0, 2) * DAY
                for k, status in enumerate(plan["attempts"]):
                    attempts.append(
                        ExamAttempt(
                            employee=user,
                            level=period.level,
                            purpose=ExamAttempt.Purpose.RETENTION,
                            retention_period=period,
                            status=status,
                            started_at=in_window + k * 3 * DAY,
                            deadline=in_window + k * 3 * DAY + timedelta(minutes=30),
                            submitted_at=in_window + k * 3 * DAY + timedelta(minutes=20),
                            pass_percent=80,
                            score_percent=Decimal("90")
                            if status == ExamAttempt.Status.PASSED
                            else Decimal("50"),
                        )
                    )
                for k, level in enumerate(plan["sessions"]):
                    start = in_window + k * 2 * DAY + timedelta(hours=1)
                    sessions.append(
                        QueryTestSession(
                            employee=user,
                            started_at=start,
                            finished_at=start + timedelta(minutes=5),
                            task_count=10,
                            elapsed_seconds=Decimal("140"),
                            total_seconds=Decimal("140"),
                            allowed_level=level,
                        )
                    )
            PointsEntry.objects.bulk_create(entries)
            ExamAttempt.objects.bulk_create(attempts)
            QueryTestSession.objects.bulk_create(sessions)
        if connection.vendor == "postgresql":  # fresh statistics, as autovacuum would have them
            with connection.cursor() as cursor:
                for model in (
                    User,
                    PromotionEvent,
                    RetentionPeriod,
                    PointsEntry,
                    ExamAttempt,
                    QueryTestSession,
                ):
                    cursor.execute(f"ANALYZE {model._meta.db_table}")
        self.stdout.write(
            f"generated {count} employees ({open_count} re-test windows open) "
            f"in {time.perf_counter() - started:.1f} s"
        )

    @staticmethod
    def _plan(n: int, open_count: int, rng: random.Random) -> dict:
        """What employee ``n``'s period looks like today: age of the promotion, open window or
        not, and the re-test evidence (attempt statuses, query-time levels)."""
        passed, failed = ExamAttempt.Status.PASSED, ExamAttempt.Status.FAILED
        if n < open_count:
            kind = (
                "keep",
                "overdue",
                "exhausted",
                "undecided",
                "undecided",
                "undecided",
                "undecided",
                "undecided",
                "undecided",
                "undecided",
            )[n % 10]
            near_due = kind == "undecided" and n % 3 == 0
            age = {"overdue": 370 * DAY, "exhausted": 345 * DAY}.get(
                kind, (355 if near_due else 340) * DAY
            )
            attempts = {"keep": [passed], "exhausted": [failed, failed], "overdue": []}.get(
                kind, rng.choice([[], [failed], [passed]])
            )
            return {
                "age": age,
                "open": True,
                "keep": kind == "keep",
                "remind": near_due,
                "attempts": attempts,
                "sessions": [3, 5] if kind == "keep" else rng.choice([[], [0], [1, 0]]),
            }
        opens_today = n % 50 == 0
        age = (335 * DAY + timedelta(hours=2)) if opens_today else rng.randint(1, 330) * DAY
        return {
            "age": age,
            "open": False,
            "keep": False,
            "remind": False,
            "attempts": [],
            "sessions": [],
        }

    # --- measurement -----------------------------------------------------------------

    def _measure(self) -> None:
        now = timezone.now()
        floor_seconds, floor_rows = self._floor()
        with transaction.atomic():
            started = time.perf_counter()
            done = retention_run_daily(now=now)
            elapsed = time.perf_counter() - started
            transaction.set_rollback(True)
        log = connection.queries_log
        connection.queries_log = deque(maxlen=10**7)  # every query, not the last 9,000
        try:
            with transaction.atomic():
                connection.queries_log.clear()
                with CaptureQueriesContext(connection) as queries:
                    retention_run_daily(now=now)
                transaction.set_rollback(True)
            query_count = len(queries)
        finally:
            connection.queries_log = log
        connection.queries_log.clear()
        with CaptureQueriesContext(connection) as evidence_queries:
            started = time.perf_counter()
            selectors.retention_statuses(
                RetentionPeriod.objects.filter(
                    status=RetentionPeriod.Status.RETEST_OPEN
                ).select_related("employee"),
                now,
            )
            evidence = time.perf_counter() - started
        ratio = f"{elapsed / floor_seconds:.1f}x" if floor_seconds else "n/a"
        periods = RetentionPeriod.objects.filter(employee__staff_id__startswith=PREFIX).count()
        self.stdout.write(
            f"retention_run_daily periods={periods} open={floor_rows} opened={done['opened']} "
            f"kept={done['kept']} demoted={done['demoted']} reminded={done['reminded']} "
            f"time={elapsed:.2f} s queries={query_count} floor={floor_seconds:.3f} s (1 statement: "
            f"points per open period) ratio={ratio}"
        )
        self.stdout.write(
            f"  of which the evidence of all {floor_rows} open periods "
            f"(selectors.retention_statuses): time={evidence:.2f} s "
            f"queries={len(evidence_queries)} "
            f"ratio={evidence / floor_seconds if floor_seconds else 0:.1f}x; the rest: the bulk "
            f"steps (demotions in batches of {RETENTION_FAIL_BATCH})"
        )

    @staticmethod
    def _floor() -> tuple[float, int]:
        """One set-based statement: the points each open period earned inside its bounds."""
        sql = (
            f"SELECT rp.id, COALESCE(SUM(pe.amount), 0) FROM {RetentionPeriod._meta.db_table} rp "
            f"LEFT JOIN {PointsEntry._meta.db_table} pe ON pe.employee_id = rp.employee_id "
            "AND pe.created_at >= rp.starts_at AND pe.created_at <= rp.due_at "
            "WHERE rp.status = %s GROUP BY rp.id"
        )
        with connection.cursor() as cursor:
            started = time.perf_counter()
            cursor.execute(sql, [RetentionPeriod.Status.RETEST_OPEN])
            rows = cursor.fetchall()
            return time.perf_counter() - started, len(rows)
