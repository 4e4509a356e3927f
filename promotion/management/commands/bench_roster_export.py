"""Benchmark the HR roster exports on 20,000 generated employees with promotion history.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cc_bench python manage.py migrate
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cc_bench python manage.py bench_roster_export
    DATABASE_URL=... python manage.py bench_roster_export --cleanup   # remove the generated rows

Employees (staff IDs BENCHxxxxxx) are created once with bulk_create in two centres and ten
teams, each with 1–3 backdated promotions and a retention period for the latest; an
existing generated set of the right size is reused. Prints, for each roster (current
level, promoted, due for re-test), the CSV and XLSX export time, rows, query count, Python's
peak memory and the ratio to PostgreSQL's COPY of the same SELECT (measured in the same run).
"""

import io
import random
import tempfile
import time
import tracemalloc
from datetime import timedelta

from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Centre, Team, User
from config.bench import require_bench_database
from promotion import rosters
from promotion.models import PromotionEvent, RetentionPeriod
from promotion.rosters import Event, RosterFilters

PREFIX = "BENCH"


class Command(BaseCommand):
    help = (
        "Generate 20,000 employees with promotion events (once) and time the CSV/XLSX roster "
        "exports."
    )

    def add_arguments(self, parser):
        parser.add_argument("--employees", type=int, default=20_000)
        parser.add_argument("--batch", type=int, default=2000)
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument(
            "--cleanup", action="store_true", help="Delete the generated rows and stop."
        )
        parser.add_argument(
            "--force", action="store_true", help="Run on a database whose name lacks 'bench'."
        )
        parser.add_argument(
            "--existing",
            action="store_true",
            help="Generate nothing: measure the rosters of the employees already in the database "
            "(make bench: the page benchmark's population, whose positions, ratings, courses and "
            "case studies give the re-test roster's remedial plans real work).",
        )

    def handle(self, *args, employees, batch, seed, cleanup, force, existing, **options):
        if existing:
            require_bench_database(force=force, action="measure the rosters of")
        else:
            require_bench_database(force=force, action=f"write {employees} employees into")
            generated = User.objects.filter(staff_id__startswith=PREFIX)
            if cleanup:
                RetentionPeriod.objects.filter(employee__in=generated).delete()
                PromotionEvent.objects.filter(employee__in=generated).delete()
                self.stdout.write(f"deleted {generated.delete()[0]} rows")
                return
            if generated.count() != employees:
                self._generate(employees, batch, random.Random(seed))
        for event in (Event.CURRENT_LEVEL, Event.PROMOTED, Event.DUE_RETEST):
            self._measure(RosterFilters(event=event))

    @transaction.atomic
    def _generate(self, count: int, batch: int, rng: random.Random) -> None:
        generated = User.objects.filter(staff_id__startswith=PREFIX)
        RetentionPeriod.objects.filter(employee__in=generated).delete()
        PromotionEvent.objects.filter(employee__in=generated).delete()
        generated.delete()
        teams = []
        for c in range(2):
            centre, _ = Centre.objects.get_or_create(
                code=f"bench-{c}", defaults={"name": f"基准中心{c}"}
            )
            teams += [
                Team.objects.get_or_create(centre=centre, name=f"基准{t}班")[0] for t in range(5)
            ]
        started = time.perf_counter()
        now = timezone.now()
        for first in range(0, count, batch):
            users = []
            for n in range(first, min(first + batch, count)):
                team = teams[n % len(teams)]
                users.append(
                    User(
                        staff_id=f"{PREFIX}{n:06d}",
                        name=f"基准员工{n}",
                        centre_id=team.centre_id,
                        team=team,
                        level=rng.choice([1, 1, 1, 2, 2, 3]),
                        password="!",
                    )
                )
            users = User.objects.bulk_create(users)
            events = []
            for user in users:
                for to_level in range(1, user.level + 1):
                    events.append(
                        PromotionEvent(
                            employee=user,
                            kind=PromotionEvent.Kind.PROMOTED,
                            from_level=to_level - 1,
                            to_level=to_level,
                            backfilled=True,
                            evidence={"bench": True},
                            at=now
                            - timedelta(days=(user.level - to_level) * 380 + rng.randint(1, 360)),
                        )
                    )
            events = PromotionEvent.objects.bulk_create(events)
            latest = {}
            for event in events:
                if (
                    event.employee_id not in latest
                    or event.to_level > latest[event.employee_id].to_level
                ):
                    latest[event.employee_id] = event
            RetentionPeriod.objects.bulk_create(
                RetentionPeriod(
                    employee_id=e.employee_id,
                    promotion=e,
                    level=e.to_level,
                    starts_at=e.at,
                    retest_opens_at=e.at + timedelta(days=335),
                    due_at=e.at + timedelta(days=365),
                    remind_at=e.at + timedelta(days=351),
                    points_task=200,
                )
                for e in latest.values()
            )
        self.stdout.write(
            f"generated {count} employees with history in {time.perf_counter() - started:.1f} s"
        )

    def _measure(self, filters: RosterFilters) -> None:
        """Time the CSV and XLSX exports against PostgreSQL's COPY of the same SELECT (the
        floor: the database writing CSV itself) and report the ratio and Python's peak
        memory (tracemalloc) while exporting."""
        baseline = self._copy_seconds(filters)
        rows = rosters.roster_queryset(filters).count()
        for label, export in (("CSV", self._csv), ("XLSX", self._xlsx)):
            with transaction.atomic(), CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                size = export(filters)
                elapsed = time.perf_counter() - started
            # Memory in a second run: tracing allocations slows Python down several times.
            with transaction.atomic():
                tracemalloc.start()
                export(filters)
                peak = tracemalloc.get_traced_memory()[1]
                tracemalloc.stop()
            ratio = f"{elapsed / baseline:.1f}x" if baseline else "n/a"
            self.stdout.write(
                f"{filters.event:<14} {label:<4} rows={rows:>6} queries={len(queries)} "
                f"time={elapsed:.2f} s size={size / 1024:.0f} KiB peak={peak / 2**20:.1f} MiB "
                f"copy={baseline:.2f} s ratio={ratio}"
            )

    @staticmethod
    def _csv(filters: RosterFilters) -> int:
        """Bytes of the streamed CSV (the chunks are counted and dropped, as a response sends
        them)."""
        return sum(len(chunk) for chunk in rosters.roster_csv_chunks(filters))

    @staticmethod
    def _xlsx(filters: RosterFilters) -> int:
        """Bytes of the workbook, written to a temporary file as the web export does."""
        with tempfile.TemporaryFile() as target:
            rosters.roster_xlsx_write(filters, target)
            return target.tell()

    @staticmethod
    def _copy_seconds(filters: RosterFilters) -> float:
        """PostgreSQL's own CSV of the roster's SELECT (COPY … TO STDOUT); 0 elsewhere."""
        if connection.vendor != "postgresql":
            return 0.0
        sql, params = rosters.roster_queryset(filters).query.sql_with_params()
        with connection.cursor() as cursor:
            query = cursor.mogrify(sql, params).decode()
            started = time.perf_counter()
            cursor.copy_expert(f"COPY ({query}) TO STDOUT WITH CSV", io.StringIO())
            return time.perf_counter() - started
