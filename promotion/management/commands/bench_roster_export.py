"""Benchmark the HR roster exports on 20,000 generated employees with promotion history.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cc_bench python manage.py migrate
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cc_bench python manage.py bench_roster_export
    DATABASE_URL=... python manage.py bench_roster_export --cleanup   # remove the generated rows

Employees (staff IDs BENCHxxxxxx) are created once with bulk_create in two centres and ten
teams, each with 1–3 backdated promotions and a retention period for the latest; an
existing generated set of the right size is reused. Prints, for each roster (current
level, promoted, due for re-test), the CSV and XLSX export time, rows and query count.
"""

import random
import time
from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Centre, Team, User
from promotion import rosters
from promotion.models import PromotionEvent, RetentionPeriod
from promotion.rosters import Event, RosterFilters

PREFIX = "BENCH"


class Command(BaseCommand):
    help = "Generate 20,000 employees with promotion events (once) and time the CSV/XLSX roster exports."

    def add_arguments(self, parser):
        parser.add_argument("--employees", type=int, default=20_000)
        parser.add_argument("--batch", type=int, default=2000)
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--cleanup", action="store_true", help="Delete the generated rows and stop.")
        parser.add_argument("--force", action="store_true", help="Run on a database whose name lacks 'bench'.")

    def handle(self, *args, employees, batch, seed, cleanup, force, **options):
        name = str(settings.DATABASES["default"]["NAME"])
        if "bench" not in name and not force:
            raise CommandError(f"Refusing to write {employees} employees into {name!r}: use a *bench* database or --force.")
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
            centre, _ = Centre.objects.get_or_create(code=f"bench-{c}", defaults={"name": f"基准中心{c}"})
            teams += [Team.objects.get_or_create(centre=centre, name=f"基准{t}班")[0] for t in range(5)]
        started = time.perf_counter()
        now = timezone.now()
        for first in range(0, count, batch):
            users = []
            for n in range(first, min(first + batch, count)):
                team = teams[n % len(teams)]
                users.append(User(staff_id=f"{PREFIX}{n:06d}", name=f"基准员工{n}", centre_id=team.centre_id,
                                  team=team, level=rng.choice([1, 1, 1, 2, 2, 3]), password="!"))
            users = User.objects.bulk_create(users)
            events = []
            for user in users:
                for to_level in range(1, user.level + 1):
                    events.append(PromotionEvent(employee=user, kind="promoted", from_level=to_level - 1,
                                                 to_level=to_level, backfilled=True, evidence={"bench": True},
                                                 at=now - timedelta(days=(user.level - to_level) * 380
                                                                    + rng.randint(1, 360))))
            events = PromotionEvent.objects.bulk_create(events)
            latest = {}
            for event in events:
                if event.employee_id not in latest or event.to_level > latest[event.employee_id].to_level:
                    latest[event.employee_id] = event
            RetentionPeriod.objects.bulk_create(
                RetentionPeriod(employee_id=e.employee_id, promotion=e, level=e.to_level, starts_at=e.at,
                                retest_opens_at=e.at + timedelta(days=335), due_at=e.at + timedelta(days=365),
                                remind_at=e.at + timedelta(days=351), points_task=200)
                for e in latest.values())
        self.stdout.write(f"generated {count} employees with history in {time.perf_counter() - started:.1f} s")

    def _measure(self, filters: RosterFilters) -> None:
        for label, export in (("CSV", rosters.roster_csv), ("XLSX", rosters.roster_xlsx)):
            with transaction.atomic(), CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                data = export(filters)
                elapsed = time.perf_counter() - started
            rows = len(list(rosters.roster_rows(filters)))
            self.stdout.write(f"{filters.event:<14} {label:<4} rows={rows:>6} queries={len(queries)} "
                              f"time={elapsed:.2f} s size={len(data) / 1024:.0f} KiB")
