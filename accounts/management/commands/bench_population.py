"""Add a realistic population to a database that holds the demo data, for the page load test.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cc_bench_pages python manage.py demo
    DATABASE_URL=… python manage.py bench_population [--centres 5] [--csrs 1700]
    DATABASE_URL=… python manage.py bench_population --cleanup   # remove the generated rows

Generates (once; an existing population of the same shape is reused, ``--rebuild`` builds
it again) ``--centres`` centres × ``--csrs`` CSRs (staff IDs POPccnnnnn, teams of
``--team-size``, levels 0–5 as a ladder: many at 1–2, few at 5, in the CSR role), each with
a year of history:

* points ledger entries (about ``--entries`` per CSR, from the existing point rules, each
  with its own ``source`` key ``pop:<staff ID>:<n>``);
* the promotions that brought them to their level (backfilled events) and the retention
  period of the latest one, with the level's requirement as its task;
* studies (about ``--studies`` per CSR) and ratings (about a third of them) of training
  cases up to the level above their own, in a fuller case library: ``--cases-per-level``
  generated training cases per level 1–5 (titles POPCASE…, a customer question with a best
  and a weaker reply), besides the demo's;
* enrolments on the learning-map courses: the stages below their level completed, the
  current stage partly done.

The demo CSR the page test logs in as (``--login``, default HB0001) gets a typical history
too: generated ledger entries and studies of generated cases up to ``--entries`` and
``--studies`` in all, counting its demo rows (added once, kept on later runs). Everything is drawn
from a seeded RNG and written with bulk_create in batches of
``--batch``; progress and the time taken are printed.
"""

import random
import time
from collections.abc import Iterable
from datetime import timedelta

from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.utils import timezone

from accounts.demo import GIVEN, SURNAMES
from accounts.levels import LEVELS
from accounts.models import Centre, Position, Team, User
from accounts.roles import Role
from casebase.models import Case, CaseCategory, CaseNode, CaseRating, CaseStudy
from competency.models import PositionCompetency
from config.bench import require_bench_database
from curriculum.models import BehaviourRating, Course, Enrolment, MapCourse
from points.models import PointRule, PointsEntry
from promotion.models import LevelRequirement, PromotionEvent, RetentionPeriod

PREFIX = "POP"
CASE_PREFIX = "POPCASE"
SOURCE = "pop"
DAY = timedelta(days=1)
# CSRs at each level 0–5: a ladder, many at 1–2, few at 5.
LEVEL_WEIGHTS = [12, 30, 26, 16, 10, 6]
# How often each kind of award appears in a CSR's year (codes of PointRule; unknown codes are
# skipped, and every active rule is used when none of these exists).
RULE_WEIGHTS = {
    PointRule.KB_REVISION_ACCEPTED: 40,
    PointRule.VOLUNTEER_SHEET: 25,
    PointRule.CASE_REVISED: 10,
    PointRule.QUALITY_CASE_PARTICIPANT: 8,
    PointRule.CASE_CREATED: 5,
    PointRule.RATIONALISATION_REASONABLE: 6,
    PointRule.QC_TOPIC_COMPLETED: 2,
    PointRule.RATIONALISATION_FEASIBLE: 1,
}
CSR_POSITIONS = ["hotline-csr", "complaint-csr", "outbound-csr"]
TOPICS = [
    "话费争议",
    "宽带报修",
    "套餐变更",
    "携号转网",
    "流量超额",
    "停机复机",
    "国际漫游",
    "积分兑换",
    "营业厅投诉",
    "老人来电",
    "重复来电",
    "资费咨询",
    "合约到期",
    "实名登记",
    "信号不好",
]
RATING_VALUES = [CaseRating.Value.EXCELLENT, CaseRating.Value.AVERAGE, CaseRating.Value.POOR]


def _batches(items: list, size: int) -> Iterable[list]:
    for first in range(0, len(items), size):
        yield items[first : first + size]


class Command(BaseCommand):
    help = (
        "Add centres × CSRs with a year of history and a fuller case library to a demo database "
        "(once)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--centres", type=int, default=5)
        parser.add_argument(
            "--csrs", type=int, default=1700, help="CSRs per centre (default 1,700)."
        )
        parser.add_argument("--team-size", type=int, default=15)
        parser.add_argument(
            "--entries", type=int, default=40, help="Ledger entries per CSR, on average."
        )
        parser.add_argument(
            "--studies", type=int, default=100, help="Studied cases per CSR, on average."
        )
        parser.add_argument(
            "--cases-per-level",
            type=int,
            default=300,
            help="Generated training cases per level 1–5 (besides the demo's).",
        )
        parser.add_argument(
            "--login",
            default="HB0001",
            help="The existing CSR given a typical history too (the one bench_pages logs in as); "
            "'' for none.",
        )
        parser.add_argument("--batch", type=int, default=5000)
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--rebuild", action="store_true", help="Build the population again.")
        parser.add_argument(
            "--cleanup", action="store_true", help="Delete the generated rows and stop."
        )
        parser.add_argument(
            "--force", action="store_true", help="Run on a database whose name lacks 'bench'."
        )

    def handle(
        self,
        *args,
        centres,
        csrs,
        team_size,
        entries,
        studies,
        cases_per_level,
        login,
        batch,
        seed,
        rebuild,
        cleanup,
        force,
        **options,
    ):
        require_bench_database(force=force, action=f"write {centres * csrs} employees into")
        self.batch = batch
        started = time.perf_counter()
        if cleanup:
            self._delete()
            self.stdout.write(
                f"deleted the generated population in {time.perf_counter() - started:.1f} s"
            )
            return
        users = User.objects.filter(staff_id__startswith=PREFIX)
        cases = Case.objects.filter(title__startswith=CASE_PREFIX)
        if (
            rebuild
            or users.count() != centres * csrs
            or cases.count() != 5 * cases_per_level
            or Centre.objects.filter(code__startswith="pop-").count() != centres
        ):
            self._generate(
                centres=centres,
                csrs=csrs,
                team_size=team_size,
                entries=entries,
                studies=studies,
                cases_per_level=cases_per_level,
                rng=random.Random(seed),
            )
        else:
            self.stdout.write(
                f"reusing {users.count()} generated CSRs and {cases.count()} generated cases"
            )
        if not BehaviourRating.objects.filter(employee__staff_id__startswith=PREFIX).exists():
            # Added after the first populations were built: a reused one gets its ratings here.
            rated = self._write(
                BehaviourRating, self._behaviour_ratings(users, random.Random(seed + 2), now=None)
            )
            self.stdout.write(f"{rated} behaviour ratings")
        if login:
            self._login_history(
                login, entries=entries, studies=studies, rng=random.Random(seed + 1)
            )
        self._analyze()
        self.stdout.write(f"population ready in {time.perf_counter() - started:.1f} s")

    # --- removing ----------------------------------------------------------------------

    def _delete(self) -> None:
        """The generated CSRs with everything that hangs on them, and the generated cases. The
        bulk rows go with raw DELETEs: the ledger is append-only through the ORM, and the
        collector would load hundreds of thousands of studies to cascade them."""
        mine = {"employee__staff_id__startswith": PREFIX}
        for queryset in (
            PointsEntry.objects.filter(**mine),
            CaseStudy.objects.filter(**mine),
            CaseRating.objects.filter(**mine),
            Enrolment.objects.filter(**mine),
            BehaviourRating.objects.filter(**mine),
            CaseStudy.objects.filter(case__title__startswith=CASE_PREFIX),
            CaseRating.objects.filter(case__title__startswith=CASE_PREFIX),
            CaseNode.objects.filter(case__title__startswith=CASE_PREFIX, parent__isnull=False),
            CaseNode.objects.filter(case__title__startswith=CASE_PREFIX),
        ):
            queryset._raw_delete(queryset.db)
        RetentionPeriod.objects.filter(**mine).delete()
        PromotionEvent.objects.filter(**mine).delete()
        users = User.objects.filter(staff_id__startswith=PREFIX)
        User.groups.through.objects.filter(user__in=users).delete()
        users.delete()
        Team.objects.filter(centre__code__startswith="pop-").delete()
        Centre.objects.filter(code__startswith="pop-").delete()
        Case.objects.filter(title__startswith=CASE_PREFIX).delete()

    # --- generating --------------------------------------------------------------------

    def _progress(self, started: float, what: str) -> None:
        self.stdout.write(f"  {time.perf_counter() - started:6.1f} s  {what}")

    @transaction.atomic
    def _generate(
        self, *, centres, csrs, team_size, entries, studies, cases_per_level, rng
    ) -> None:
        started = time.perf_counter()
        self.stdout.write(
            f"generating {centres} centres × {csrs} CSRs, {5 * cases_per_level} cases …"
        )
        self._delete()
        self._progress(started, "removed any earlier population")
        now = timezone.now()
        pools = self._library(cases_per_level, rng, now)
        self._progress(
            started,
            f"case library: {sum(len(p) for p in pools.values())} training cases in levels 1–5",
        )
        users = self._users(centres, csrs, team_size, rng, now)
        self._progress(
            started,
            f"{len(users)} CSRs in {Team.objects.filter(centre__code__startswith='pop-').count()} "
            "teams",
        )
        self._promotions(users, rng, now)
        self._progress(started, "promotions and retention periods")
        rules = self._rules()
        written = self._write(
            PointsEntry,
            (entry for user in users for entry in self._entries(user, rules, entries, rng, now)),
        )
        self._progress(started, f"{written} points entries")
        studied, rated = 0, 0
        for chunk in _batches(users, 500):
            rows_s, rows_r = [], []
            for user in chunk:
                s, r = self._studies(user, pools, studies, rng, now)
                rows_s += s
                rows_r += r
            studied += self._write(CaseStudy, rows_s)
            rated += self._write(CaseRating, rows_r)
        self._progress(started, f"{studied} case studies, {rated} ratings")
        enrolled = self._write(
            Enrolment, (e for user in users for e in self._enrolments(user, rng, now))
        )
        self._progress(started, f"{enrolled} enrolments")
        rated = self._write(BehaviourRating, self._behaviour_ratings(users, rng, now=now))
        self._progress(started, f"{rated} behaviour ratings")
        self.stdout.write(f"generated the population in {time.perf_counter() - started:.1f} s")

    def _write(self, model, rows: Iterable) -> int:
        """bulk_create ``rows`` in batches without holding them all; the count written."""
        written, pending = 0, []
        for row in rows:
            pending.append(row)
            if len(pending) >= self.batch:
                written += len(model.objects.bulk_create(pending))
                pending = []
        if pending:
            written += len(model.objects.bulk_create(pending))
        return written

    def _library(self, per_level: int, rng: random.Random, now) -> dict[int, list[int]]:
        """Generated training cases (a customer question, a best and a weaker reply) in the
        existing categories; the ids of every active training case per level 1–5."""
        categories = list(CaseCategory.objects.all())
        if not categories:
            categories = [
                CaseCategory.objects.add_root(create_kwargs={"code": "pop-general", "name": "综合"})
            ]
        cases = []
        for level in range(1, 6):
            for n in range(per_level):
                topic = rng.choice(TOPICS)
                cases.append(
                    Case(
                        title=f"{CASE_PREFIX} L{level}-{n:04d} {topic}",
                        category=rng.choice(categories),
                        level=level,
                        split=Case.Split.TRAINING,
                        background=(
                            f"客户来电咨询{topic}，情绪{rng.choice(['平稳', '急躁', '不满'])}。"
                        ),
                        created_at=now - rng.randint(30, 900) * DAY,
                        revised_at=None if rng.random() < 0.6 else now - rng.randint(0, 29) * DAY,
                    )
                )
        cases = Case.objects.bulk_create(cases, batch_size=self.batch)
        roots = CaseNode.objects.bulk_create(
            [
                CaseNode(
                    case=case,
                    role=CaseNode.Role.CUSTOMER,
                    text=f"我想问一下{case.title.split()[-1]}的事，怎么回事？",
                    emotion=rng.choice(["着急", "不满", "困惑", "平静"]),
                    thinking="希望尽快解决",
                )
                for case in cases
            ],
            batch_size=self.batch,
        )
        replies = []
        for root in roots:
            replies.append(
                CaseNode(
                    case_id=root.case_id,
                    parent=root,
                    order=0,
                    role=CaseNode.Role.CSR,
                    is_best=True,
                    text="您先别着急，我马上帮您查清楚，并告诉您接下来怎么办。",
                    rationales=["先接纳情绪", "给出确定的行动"],
                    outcome="问题当场解决",
                    final_state="满意",
                )
            )
            replies.append(
                CaseNode(
                    case_id=root.case_id,
                    parent=root,
                    order=1,
                    role=CaseNode.Role.CSR,
                    text="这个是系统规定，我们也没办法。",
                    rationales=["照章办事"],
                    outcome="客户要求投诉",
                    final_state="不满",
                )
            )
        CaseNode.objects.bulk_create(replies, batch_size=self.batch)
        pools: dict[int, list[int]] = {level: [] for level in range(1, 6)}
        for pk, level in Case.objects.training().values_list("pk", "level").order_by("pk"):
            pools[level].append(pk)
        return pools

    def _users(
        self, centres: int, csrs: int, team_size: int, rng: random.Random, now
    ) -> list[User]:
        positions = list(Position.objects.filter(code__in=CSR_POSITIONS).order_by("code"))
        csr_group = Group.objects.filter(name=Role.CSR).first()
        today = timezone.localdate()
        users = []
        for c in range(centres):
            centre, _ = Centre.objects.update_or_create(
                code=f"pop-{c}", defaults={"name": f"基准分中心{c + 1}"}
            )
            teams = [
                Team.objects.get_or_create(centre=centre, name=f"第{t + 1:03d}班")[0]
                for t in range(max(1, -(-csrs // team_size)))
            ]
            made = []
            for n in range(csrs):
                level = rng.choices(LEVELS, weights=LEVEL_WEIGHTS)[0]
                made.append(
                    User(
                        staff_id=f"{PREFIX}{c:02d}{n:05d}",
                        name=rng.choice(SURNAMES) + rng.choice(GIVEN),
                        centre=centre,
                        team=teams[n // team_size],
                        level=level,
                        position=rng.choice(positions) if positions else None,
                        hire_date=today - timedelta(days=90 + 200 * level + rng.randint(0, 300)),
                        education=rng.choice(list(User.Education.values)),
                        performance_rating=rng.choice(list(User.PerformanceRating.values)),
                        date_joined=now - timedelta(days=90 + 200 * level),
                        password="!",
                    )
                )
            users += User.objects.bulk_create(made, batch_size=self.batch)
        if csr_group:
            self._write(
                User.groups.through,
                (User.groups.through(user_id=u.pk, group_id=csr_group.pk) for u in users),
            )
        return users

    def _promotions(self, users: list[User], rng: random.Random, now) -> None:
        """Backfilled promotions up to each CSR's level, the latest within the last 330 days,
        and the retention period of the latest (its task from the level's requirement)."""
        requirements = {r.level.number: r for r in LevelRequirement.objects.select_related("level")}
        latest = {}
        events = []
        for user in users:
            if user.level == 0:
                continue
            last = now - rng.randint(1, 330) * DAY
            for to_level in range(1, user.level + 1):
                event = PromotionEvent(
                    employee=user,
                    kind=PromotionEvent.Kind.PROMOTED,
                    from_level=to_level - 1,
                    to_level=to_level,
                    backfilled=True,
                    evidence={"bench": True},
                    at=last - (user.level - to_level) * 380 * DAY,
                )
                events.append(event)
            latest[user.pk] = event
        PromotionEvent.objects.bulk_create(events, batch_size=self.batch)
        periods = []
        for event in latest.values():
            req = requirements.get(event.to_level)
            opens = event.at + (req.retest_opens_after_days if req else 335) * DAY
            due = event.at + (req.retention_days if req else 365) * DAY
            periods.append(
                RetentionPeriod(
                    employee_id=event.employee_id,
                    promotion=event,
                    level=event.to_level,
                    starts_at=event.at,
                    retest_opens_at=opens,
                    due_at=due,
                    remind_at=due - (req.reminder_days_before_due if req else 14) * DAY,
                    points_task=req.retention_points if req else 200,
                    apprentices_task=req.retention_apprentices if req else 0,
                    retest_attempts=req.retest_attempts if req else 2,
                    status=RetentionPeriod.Status.RETEST_OPEN
                    if opens <= now
                    else RetentionPeriod.Status.ACTIVE,
                    retest_opened_at=opens if opens <= now else None,
                )
            )
        RetentionPeriod.objects.bulk_create(periods, batch_size=self.batch)

    @staticmethod
    def _rules() -> tuple[list[PointRule], list[int]]:
        rules = {r.code: r for r in PointRule.objects.filter(active=True)}
        chosen = [(rules[code], weight) for code, weight in RULE_WEIGHTS.items() if code in rules]
        if not chosen:
            chosen = [(rule, 1) for rule in rules.values() if rule.max_amount > 0]
        return [r for r, _ in chosen], [w for _, w in chosen]

    @staticmethod
    def _amount(rule: PointRule, rng: random.Random) -> int:
        """An award within the rule's range (committees and managers choose across it; a
        fixed rule's minimum equals its maximum)."""
        low = max(1, rule.min_amount or 1)
        return rng.randint(low, max(low, rule.max_amount))

    def _entries(
        self, user: User, rules, average: int, rng: random.Random, now, exactly: int | None = None
    ):
        """About ``average`` awards (``exactly`` that many if given) over the last year, each
        with its own source key."""
        rule_list, weights = rules
        count = (
            exactly
            if exactly is not None
            else (rng.randint(max(1, average * 3 // 5), average * 7 // 5) if average > 0 else 0)
        )
        if not rule_list:
            return
        for k in range(count):
            rule = rng.choices(rule_list, weights=weights)[0]
            yield PointsEntry(
                employee_id=user.pk,
                amount=self._amount(rule, rng),
                rule=rule,
                source=f"{SOURCE}:{user.staff_id}:{k}",
                note="基准数据",
                created_at=now - timedelta(seconds=rng.randint(3600, 365 * 86400)),
            )

    @staticmethod
    def _studies(
        user: User,
        pools: dict[int, list[int]],
        average: int,
        rng: random.Random,
        now,
        exclude: frozenset = frozenset(),
        exactly: int | None = None,
    ):
        """About ``average`` studies (``exactly`` that many if given, as far as the library
        allows) of training cases up to the level above the CSR's own, a third of them rated."""
        pool = [
            pk
            for level in range(1, min(max(user.level + 1, 1), 5) + 1)
            for pk in pools[level]
            if pk not in exclude
        ]
        count = (
            exactly
            if exactly is not None
            else (rng.randint(average // 2, average * 3 // 2) if average > 0 else 0)
        )
        count = max(0, min(len(pool), count))
        studies, ratings = [], []
        for pk in rng.sample(pool, count):
            at = now - timedelta(seconds=rng.randint(3600, 365 * 86400))
            studies.append(CaseStudy(case_id=pk, employee_id=user.pk, studied_at=at))
            if rng.random() < 0.33:
                ratings.append(
                    CaseRating(
                        case_id=pk,
                        employee_id=user.pk,
                        rated_at=at + timedelta(minutes=10),
                        value=rng.choices(RATING_VALUES, weights=[5, 4, 1])[0],
                    )
                )
        return studies, ratings

    def _behaviour_ratings(self, users, rng: random.Random, *, now):
        """Ratings of the competency items of each CSR's position, as training managers give
        them: about two thirds of the items rated "before" a training (1 to the target), a
        third of those rated again "after" (up to one point better), a few not at all — so
        gap analyses and remedial plans have real gaps to rank."""
        now = now or timezone.now()
        items: dict[int, list[tuple[int, int]]] = {}
        for position_id, item_id, target in PositionCompetency.objects.values_list(
            "position_id", "item_id", "target_score"
        ):
            items.setdefault(position_id, []).append((item_id, target))
        rater = (
            User.objects.filter(is_superuser=True).order_by("pk").first()
            or User.objects.exclude(staff_id__startswith=PREFIX).order_by("pk").first()
        )
        if rater is None or not items:
            return
        if hasattr(users, "iterator"):
            users = users.only("pk", "position_id").iterator(chunk_size=2000)
        for user in users:
            for item_id, target in items.get(user.position_id, ()):
                if rng.random() > 0.65:
                    continue
                before = rng.randint(1, max(target, 1))
                observed = (now - rng.randint(60, 400) * DAY).date()
                yield BehaviourRating(
                    employee_id=user.pk,
                    item_id=item_id,
                    rater=rater,
                    phase=BehaviourRating.Phase.BEFORE,
                    score=before,
                    observed_on=observed,
                    created_at=now,
                )
                if rng.random() < 0.35:
                    yield BehaviourRating(
                        employee_id=user.pk,
                        item_id=item_id,
                        rater=rater,
                        phase=BehaviourRating.Phase.AFTER,
                        score=min(before + rng.randint(0, 1), 5),
                        observed_on=observed + rng.randint(20, 50) * DAY,
                        created_at=now,
                    )

    def _enrolments(self, user: User, rng: random.Random, now):
        """Stages of the learning map below the CSR's level done, the current one partly."""
        if not hasattr(self, "_stages"):
            stages: dict[tuple, list[int]] = {}
            for stage, course in (
                MapCourse.objects.filter(course__is_active=True)
                .order_by("map_topic__stage__order", "map_topic__stage__pk", "order", "pk")
                .values_list("map_topic__stage__order", "course_id")
            ):
                stages.setdefault(stage, [])
                if course not in stages[stage]:
                    stages[stage].append(course)
            self._stages = list(stages.values()) or [
                list(
                    Course.objects.filter(is_active=True)
                    .order_by("pk")
                    .values_list("pk", flat=True)
                )
            ]
        current = min(user.level // 2, len(self._stages) - 1)
        seen = set()
        for index, courses in enumerate(self._stages[: current + 1]):
            for course in courses:
                if course in seen or (index == current and rng.random() < 0.4):
                    continue
                seen.add(course)
                enrolled = now - rng.randint(30, 700 if index < current else 200) * DAY
                done = index < current or rng.random() < 0.5
                yield Enrolment(
                    employee_id=user.pk,
                    course_id=course,
                    enrolled_at=enrolled,
                    status=Enrolment.Status.COMPLETED if done else Enrolment.Status.ENROLLED,
                    completed_at=enrolled + rng.randint(3, 25) * DAY if done else None,
                    completed_by=rng.choice(list(Enrolment.CompletedBy.values)) if done else "",
                )

    @transaction.atomic
    def _login_history(
        self, staff_id: str, *, entries: int, studies: int, rng: random.Random
    ) -> None:
        """Give the CSR the page test logs in as a typical year too (once: its generated
        ledger entries and studies are recognised and kept)."""
        user = User.objects.filter(staff_id=staff_id.strip().upper()).first()
        if user is None:
            self.stdout.write(f"no employee {staff_id}: no login history added")
            return
        now = timezone.now()
        added_entries = 0
        if not PointsEntry.objects.filter(source__startswith=f"{SOURCE}:{user.staff_id}:").exists():
            # As many as make ``entries`` with the ledger rows it already has (the demo's).
            missing = entries - PointsEntry.objects.filter(employee=user).count()
            added_entries = self._write(
                PointsEntry,
                self._entries(user, self._rules(), entries, rng, now, exactly=max(0, missing)),
            )
        added_studies = 0
        if not CaseStudy.objects.filter(
            employee=user, case__title__startswith=CASE_PREFIX
        ).exists():
            pools: dict[int, list[int]] = {level: [] for level in range(1, 6)}
            for pk, level in Case.objects.training().values_list("pk", "level").order_by("pk"):
                pools[level].append(pk)
            # The generated cases only: the demo's own studies and ratings of this CSR stay as they
            # are.
            generated = frozenset(
                Case.objects.exclude(title__startswith=CASE_PREFIX).values_list("pk", flat=True)
            )
            missing = studies - CaseStudy.objects.filter(employee=user).count()
            rows_s, rows_r = self._studies(
                user, pools, studies, rng, now, exclude=generated, exactly=max(0, missing)
            )
            added_studies = self._write(CaseStudy, rows_s)
            self._write(CaseRating, rows_r)
        self.stdout.write(
            f"{user.staff_id}: {PointsEntry.objects.filter(employee=user).count()} points entries "
            f"({added_entries} new), {CaseStudy.objects.filter(employee=user).count()} studied "
            f"cases ({added_studies} new)"
        )

    @staticmethod
    def _analyze() -> None:
        """Fresh planner statistics and visibility maps, as autovacuum would have them after
        a real year."""
        if connection.vendor != "postgresql":
            return
        with connection.cursor() as cursor:
            for model in (
                User,
                PointsEntry,
                CaseStudy,
                CaseRating,
                Case,
                CaseNode,
                Enrolment,
                PromotionEvent,
                RetentionPeriod,
            ):
                # VACUUM too: autovacuum would have set the visibility map of a year's rows,
                # which index-only scans (a case's study count) need. Not inside a transaction
                # (a test's), where PostgreSQL refuses it.
                vacuum = "" if connection.in_atomic_block else "VACUUM "
                cursor.execute(f"{vacuum}ANALYZE {model._meta.db_table}")
