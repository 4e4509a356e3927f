"""Benchmark the daily pruning job on a generated case library.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cc_bench python manage.py migrate
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cc_bench python manage.py bench_case_prune
    DATABASE_URL=... python manage.py bench_case_prune --cleanup   # remove the generated rows

Generates (once; reused while the size matches) ``--cases`` active cases (default 20,000)
in ``--categories`` categories (default 40) × 5 levels with uneven group sizes (some over the
default cap of 120; with few categories, every group far over it), each case studied and rated by
some of 300 generated employees. Then times
``case_library_prune`` (in "propose" mode, inside a transaction that is rolled back, so the
run can be repeated) and, in the same run, the floor: ONE set-based statement that finds
the same candidates (counts per case by subquery, ROW_NUMBER per group). Prints both, the
ratio, the query count and whether the two found exactly the same cases.
"""

import random
import time
from datetime import timedelta

from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.db.models import Count
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import User
from casebase.models import Case, CaseCategory, CaseLibrarySettings, CaseRating, CaseStudy, LevelCap
from casebase.services.pruning import case_library_prune
from config.bench import require_bench_database

PREFIX = "PRUNEBENCH"
LEVELS = 5


class _Rollback(Exception):
    pass


FLOOR_SQL = """
WITH counts AS (
    SELECT c.id, c.level, c.category_id,
           COALESCE(s.n, 0) * %(w_study)s + c.exam_uses * %(w_exam)s
           + COALESCE(r.excellent, 0) * %(w_excellent)s + COALESCE(r.average, 0) * %(w_average)s
           + COALESCE(r.poor, 0) * %(w_poor)s AS classicness,
           COALESCE(c.revised_at, c.created_at) AS constant_since
    FROM casebase_case c
    LEFT JOIN (SELECT case_id, COUNT(*) AS n FROM casebase_casestudy GROUP BY case_id) s
           ON s.case_id = c.id
    LEFT JOIN (SELECT case_id, COUNT(*) FILTER (WHERE value = 'excellent') AS excellent,
                      COUNT(*) FILTER (WHERE value = 'average') AS average,
                      COUNT(*) FILTER (WHERE value = 'poor') AS poor
               FROM casebase_caserating GROUP BY case_id) r ON r.case_id = c.id
    WHERE c.status = 'active'
), ranked AS (
    SELECT id, ROW_NUMBER() OVER (PARTITION BY level, category_id
                                  ORDER BY classicness, constant_since, id) AS rank,
           COUNT(*) OVER (PARTITION BY level, category_id) AS size, level, category_id
    FROM counts
)
SELECT ranked.id FROM ranked
LEFT JOIN casebase_levelcap cap ON cap.level = ranked.level AND cap.category_id = ranked.category_id
WHERE ranked.rank <= ranked.size - COALESCE(cap.cap, %(default_cap)s)
"""


class Command(BaseCommand):
    help = (
        "Generate a case library (once) and time the daily pruning job against a set-based floor."
    )

    def add_arguments(self, parser):
        parser.add_argument("--cases", type=int, default=20_000)
        parser.add_argument(
            "--categories",
            type=int,
            default=40,
            help="Categories (× 5 levels = groups); default 40: about 100 cases per group, as "
            "planned, some groups over the cap. Fewer categories: every group far over it.",
        )
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument(
            "--cleanup", action="store_true", help="Delete the generated rows and stop."
        )
        parser.add_argument(
            "--force", action="store_true", help="Run on a database whose name lacks 'bench'."
        )

    def handle(self, *args, cases, categories, seed, cleanup, force, **options):
        require_bench_database(force=force, action=f"write {cases} cases into")
        if cleanup:
            self._cleanup()
            return
        generated = Case.objects.filter(title__startswith=PREFIX)
        shape = Case.objects.filter(title__startswith=PREFIX).values("category").distinct().count()
        if (
            generated.count() != cases
            or shape != categories
            or Case.objects.active().exclude(title__startswith=PREFIX).exists()
        ):
            self._cleanup()
            self._generate(cases, categories, random.Random(seed))
        self._measure()

    def _cleanup(self) -> None:
        Case.objects.filter(title__startswith=PREFIX).delete()
        User.objects.filter(staff_id__startswith=PREFIX).delete()

    @transaction.atomic
    def _generate(self, count: int, category_count: int, rng: random.Random) -> None:
        started = time.perf_counter()
        # Only the generated library is active while measuring: other cases would change the groups.
        Case.objects.active().update(status=Case.Status.HISTORY)
        categories = []
        for n in range(category_count):
            code = f"prunebench-{n}"
            found = CaseCategory.objects.filter(code=code).first()
            categories.append(
                found
                or CaseCategory.objects.add_root(
                    create_kwargs={"code": code, "name": f"基准类别{n}"}
                )
            )
        people = User.objects.bulk_create(
            User(staff_id=f"{PREFIX}{n:04d}", name=f"基准{n}", password="!") for n in range(300)
        )
        groups = [(level, cat) for level in range(1, LEVELS + 1) for cat in categories]
        weights = [rng.uniform(0.5, 1.5) for _ in groups]
        now = timezone.now()
        made = []
        for i in range(count):
            level, cat = rng.choices(groups, weights)[0]
            made.append(
                Case(
                    title=f"{PREFIX}{i:06d}",
                    category=cat,
                    level=level,
                    exam_uses=rng.randint(0, 6),
                    created_at=now - timedelta(days=rng.randint(1, 900)),
                    revised_at=None
                    if rng.random() < 0.6
                    else now - timedelta(days=rng.randint(0, 300)),
                )
            )
        made = Case.objects.bulk_create(made, batch_size=2000)
        studies, ratings = [], []
        values = [CaseRating.Value.EXCELLENT, CaseRating.Value.AVERAGE, CaseRating.Value.POOR]
        for case in made:
            readers = rng.sample(people, rng.randint(0, 12))
            studies += [CaseStudy(case=case, employee=p) for p in readers]
            ratings += [
                CaseRating(case=case, employee=p, value=rng.choice(values))
                for p in readers[: rng.randint(0, len(readers))]
            ]
        CaseStudy.objects.bulk_create(studies, batch_size=5000)
        CaseRating.objects.bulk_create(ratings, batch_size=5000)
        self.stdout.write(
            f"generated {count} cases, {len(studies)} studies, {len(ratings)} ratings "
            f"in {time.perf_counter() - started:.1f} s"
        )

    def _measure(self) -> None:
        connection.queries_log.clear()  # the generator's inserts filled the query log
        config = CaseLibrarySettings.current()
        caps = {(c.level, c.category_id): c.cap for c in LevelCap.objects.all()}
        sizes = (
            Case.objects.active()
            .values_list("level", "category_id")
            .order_by()
            .annotate(n=Count("pk"))
        )
        over = sum(1 for level, cat, n in sizes if n > caps.get((level, cat), config.default_cap))
        params = {
            "w_study": config.weight_study,
            "w_exam": config.weight_exam_use,
            "w_excellent": config.weight_excellent,
            "w_average": config.weight_average,
            "w_poor": config.weight_poor,
            "default_cap": config.default_cap,
        }
        with connection.cursor() as cursor:
            started = time.perf_counter()
            cursor.execute(FLOOR_SQL, params)
            floor_ids = {row[0] for row in cursor.fetchall()}
            floor = time.perf_counter() - started
        try:
            with transaction.atomic():
                CaseLibrarySettings.objects.filter(pk=config.pk).update(
                    prune_mode=CaseLibrarySettings.PruneMode.PROPOSE
                )
                with CaptureQueriesContext(connection) as queries:
                    started = time.perf_counter()
                    result = case_library_prune()
                    elapsed = time.perf_counter() - started
                raise _Rollback
        except _Rollback:
            pass
        same = (
            "yes"
            if set(result.proposed) == floor_ids
            else f"NO ({len(set(result.proposed) ^ floor_ids)} differ)"
        )
        self.stdout.write(
            f"prune: groups over cap={result.groups_over_cap} (of {over} counted) "
            f"candidates={len(result.proposed)} time={elapsed:.2f} s queries={len(queries)} | "
            f"set-based floor={floor:.2f} s ratio={elapsed / floor:.1f}x | same cases: {same}"
        )
