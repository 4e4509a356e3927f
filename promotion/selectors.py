"""Reads of the promotion app: levels, the promotion checklist, retention status, exams
(who may start which exam and when: exam_check), mentorships and notifications. Rosters
live in promotion/rosters.py."""

from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Case as SqlCase
from django.db.models import Count, Exists, OuterRef, QuerySet, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.levels import MAX_LEVEL
from accounts.rules import allowed
from casebase.models import Case, CaseCategory
from casebase.questions import KIND_LABELS
from casebase.selectors import (
    cases_known_to,
    exam_pool,
    test_content_levels_q,
    training_cases_studied,
)
from curriculum.exam_items import score_percent
from knowledgebase.models import QueryTestSession, QueryTimeTest
from knowledgebase.selectors import counting_query_time_result, pick_counting_result
from points.selectors import entries_within, points_balance
from promotion.models import (
    VIEW_EXAM_ANSWERS,
    ExamAttempt,
    Level,
    LevelRequirement,
    Mentorship,
    Notification,
    PromotionEvent,
    PromotionSettings,
    RetentionPeriod,
    attempt_ended_at,
)

# Exact messages of a refused exam start (tests and API clients assert them).
MSG_EXAM_LEVEL = gettext_noop(
    "You can sit the exam of your next level, or the re-test of your level while its window is "
    "open."
)
MSG_NO_WINDOW = gettext_noop("Your level-%(level)s re-test window is not open.")
MSG_NO_ATTEMPTS = gettext_noop("All %(attempts)s re-test attempts were used.")
MSG_RETEST_PASSED = gettext_noop("You already passed this re-test.")
MSG_EXAM_PASSED = gettext_noop("You already passed the level-%(level)s exam.")
MSG_NO_REQUIREMENT = gettext_noop("Level %(level)s has no requirements configured.")
MSG_RETAKE_WAIT = gettext_noop(
    "You can start the next level-%(level)s attempt from %(when)s: there is a waiting period of "
    "%(hours)s hours after each attempt."
)
MSG_RETAKE_MAX = gettext_noop(
    "You have used the %(max)s level-%(level)s attempts allowed in %(days)s days; the next attempt "
    "is allowed from %(when)s."
)
MSG_POOL_SHORT = gettext_noop(
    "The level-%(level)s exam is not available yet: it needs %(needed)s test cases with questions "
    "and the level's test set has %(available)s. Please try again later."
)


@dataclass
class ChecklistItem:
    """One requirement of the next promotion: met or not, a label and a detail such as
    "620 / 800 points"; ``evidence`` goes into the PromotionEvent."""

    code: str
    met: bool
    label: str
    detail: str
    evidence: dict[str, Any] = field(default_factory=dict)


def levels() -> dict[int, Level]:
    return {level.number: level for level in Level.objects.all()}


def level_of(number: int) -> Level | None:
    return Level.objects.filter(number=number).first()


def mentoring_levels() -> list[int]:
    """The levels whose Level row allows taking apprentices (Level.can_mentor), lowest
    first; [] when no level does. One query. What the mentoring page says about who may
    mentor comes from here, never from a number written into the page."""
    return list(
        Level.objects.filter(can_mentor=True).order_by("number").values_list("number", flat=True)
    )


def requirement_for(level: int) -> LevelRequirement | None:
    """The requirements of promotion to ``level``; None for level 0 or a missing row."""
    return LevelRequirement.objects.select_related("level").filter(level__number=level).first()


def last_level_change_at(employee) -> datetime | None:
    """When the employee's level last changed (latest promotion or demotion); None if never."""
    return (
        PromotionEvent.objects.filter(employee=employee)
        .order_by("-at", "-pk")
        .values_list("at", flat=True)
        .first()
    )


def passed_promotion_exam(
    employee, level: int, *, since: datetime | None = None
) -> ExamAttempt | None:
    """The latest passed promotion exam of ``level`` submitted after ``since`` (None: ever)."""
    attempts = ExamAttempt.objects.filter(
        employee=employee,
        level=level,
        purpose=ExamAttempt.Purpose.PROMOTION,
        status=ExamAttempt.Status.PASSED,
    )
    if since is not None:
        attempts = attempts.filter(submitted_at__gte=since)
    return attempts.order_by("-submitted_at", "-pk").first()


def apprentice_promotions(
    mentor, from_level, *, since=None, until=None
) -> QuerySet[PromotionEvent]:
    """Promotions from ``from_level`` to the next level that credited one of ``mentor``'s
    mentorships, from ``since`` up to and including ``until`` when given. Arguments may be
    values or expressions such as OuterRef (the retention job counts this per period in one
    query)."""
    events = PromotionEvent.objects.filter(
        kind=PromotionEvent.Kind.PROMOTED, from_level=from_level, mentorship__mentor=mentor
    )
    if since is not None:
        events = events.filter(at__gte=since)
    if until is not None:
        events = events.filter(at__lte=until)
    return events


def apprentices_brought(
    mentor, from_level: int, *, since: datetime | None = None, until: datetime | None = None
) -> int:
    """Distinct apprentices promoted from ``from_level`` to the next level while paired
    with ``mentor`` (apprentice_promotions), promoted from ``since`` up to and including
    ``until`` when given."""
    return (
        apprentice_promotions(mentor, from_level, since=since, until=until)
        .values("employee")
        .distinct()
        .count()
    )


@dataclass
class ChecklistEvidence:
    """What the checklist of one promotion is decided on: points earned since the last level
    change, level-n training cases studied (and, when the requirement says "all of them", how
    many there are), the passed exam and the counting query-time result since the last level
    change (or None) and the apprentices brought. Gathered one employee at a time by
    promotion_checklist, for many at once by promotion_checklists."""

    since: datetime | None
    earned: int
    studied: int
    training_total: int | None
    attempt: ExamAttempt | None
    result: QueryTestSession | None
    brought: int


def checklist_items(
    req: LevelRequirement, level: int, ev: ChecklistEvidence
) -> list[ChecklistItem]:
    """THE promotion rule: the requirements of promotion to ``level`` under ``req``, each met
    or not on the evidence ``ev`` (no queries)."""
    items = []
    items.append(
        ChecklistItem(
            "points",
            ev.earned >= req.points_threshold,
            _("Points earned since your last level change"),
            _("%(earned)s / %(needed)s points")
            % {"earned": ev.earned, "needed": req.points_threshold},
            {
                "points": ev.earned,
                "needed": req.points_threshold,
                "since": ev.since.isoformat() if ev.since else None,
            },
        )
    )

    needed = req.training_cases_required
    if needed is None:
        needed = ev.training_total or 0
    items.append(
        ChecklistItem(
            "training_cases",
            ev.studied >= needed,
            _("Level-%(level)s training cases studied") % {"level": level},
            _("%(studied)s / %(needed)s cases") % {"studied": ev.studied, "needed": needed},
            {"studied": ev.studied, "needed": needed},
        )
    )

    attempt = ev.attempt
    items.append(
        ChecklistItem(
            "exam",
            attempt is not None,
            _("Level-%(level)s exam passed") % {"level": level},
            (
                _("Passed with %(score)s%% on %(date)s")
                % {
                    "score": attempt.score_percent,
                    "date": timezone.localtime(attempt.submitted_at).date(),
                }
                if attempt
                else _("Not passed yet (pass mark %(mark)s%%)") % {"mark": req.exam_pass_percent}
            ),
            {"exam_attempt": attempt.pk if attempt else None},
        )
    )

    if req.query_time_required:
        # Like points and the exam: a result from before the last level change is stale.
        result = ev.result
        allowed = result.allowed_level if result else None
        items.append(
            ChecklistItem(
                "query_time",
                allowed is not None and allowed >= level,
                _("Query-time result allows level %(level)s") % {"level": level},
                (
                    _("Counting result: %(seconds)s s for %(tasks)s tasks allows level %(allowed)s")
                    % {
                        "seconds": result.total_seconds,
                        "tasks": result.task_count,
                        "allowed": allowed if allowed is not None else "–",
                    }
                    if result
                    else _("No finished query-time test")
                ),
                {"query_result": result.pk if result else None, "allowed_level": allowed},
            )
        )

    if req.apprentices_required:
        items.append(
            ChecklistItem(
                "apprentices",
                ev.brought >= req.apprentices_required,
                _("Apprentices brought from level %(from)s to %(to)s")
                % {"from": req.apprentice_from_level, "to": req.apprentice_from_level + 1},
                _("%(brought)s / %(needed)s apprentices")
                % {"brought": ev.brought, "needed": req.apprentices_required},
                {"apprentices": ev.brought, "needed": req.apprentices_required},
            )
        )
    return items


def promotion_checklist(employee, level: int | None = None) -> list[ChecklistItem]:
    """The requirements of promotion to ``level`` (default: the employee's next level), each
    met or not (checklist_items); [] at the top level or when the level has no requirement
    row. Points, the exam and the query-time result count only from the last level change."""
    level = employee.level + 1 if level is None else level
    if level > MAX_LEVEL or level < 1:
        return []
    req = requirement_for(level)
    if req is None:
        return []
    since = last_level_change_at(employee)
    return checklist_items(
        req,
        level,
        ChecklistEvidence(
            since=since,
            earned=points_balance(employee, since=since),
            studied=training_cases_studied(employee, level).count(),
            training_total=(
                Case.objects.training().filter(level=level).count()
                if req.training_cases_required is None
                else None
            ),
            attempt=passed_promotion_exam(employee, level, since=since),
            result=counting_query_time_result(employee, since=since)
            if req.query_time_required
            else None,
            brought=apprentices_brought(employee, req.apprentice_from_level)
            if req.apprentices_required
            else 0,
        ),
    )


def promotion_checklists(employees: Iterable) -> dict[int, list[ChecklistItem]]:
    """promotion_checklist (the next level) of many employees, keyed by employee pk, in a
    constant number of queries whatever their number (requirements, an annotated read of the
    employees with their last level change and points, training cases studied and their
    totals, passed exams, finished query-time tests and the query-time settings, apprentices
    brought): the evidence is gathered set-based, the rule is checklist_items."""
    from django.contrib.auth import get_user_model

    from casebase.selectors import training_studied_counts, training_totals

    employees = list(employees)
    checklists: dict[int, list[ChecklistItem]] = {e.pk: [] for e in employees}
    reqs = {req.level.number: req for req in LevelRequirement.objects.select_related("level")}
    targets = {
        e.pk: e.level + 1
        for e in employees
        if 1 <= e.level + 1 <= MAX_LEVEL and e.level + 1 in reqs
    }
    if not targets:
        return checklists
    ids = list(targets)
    last_change = (
        PromotionEvent.objects.filter(employee=OuterRef("pk"))
        .order_by("-at", "-pk")
        .values("at")[:1]
    )

    def total(entries):
        return Coalesce(
            Subquery(entries.order_by().values("employee").annotate(t=Sum("amount")).values("t")), 0
        )

    people = {
        pk: (since, since_total if since else all_total)
        for pk, since, since_total, all_total in get_user_model()
        .objects.filter(pk__in=ids)
        .annotate(since_at=Subquery(last_change))
        .annotate(
            since_total=total(entries_within(OuterRef("pk"), since=OuterRef("since_at"))),
            all_total=total(entries_within(OuterRef("pk"))),
        )
        .values_list("pk", "since_at", "since_total", "all_total")
    }
    studied = training_studied_counts(ids)
    totals = (
        training_totals()
        if any(reqs[lv].training_cases_required is None for lv in targets.values())
        else {}
    )
    attempts: dict[int, list[ExamAttempt]] = defaultdict(list)
    for attempt in ExamAttempt.objects.filter(
        employee_id__in=ids, purpose=ExamAttempt.Purpose.PROMOTION, status=ExamAttempt.Status.PASSED
    ).order_by("-submitted_at", "-pk"):
        attempts[attempt.employee_id].append(attempt)
    sessions: dict[int, list[QueryTestSession]] = defaultdict(list)
    config = None
    if any(reqs[lv].query_time_required for lv in targets.values()):
        config = QueryTimeTest.current()
        for session in QueryTestSession.objects.filter(
            employee_id__in=ids, finished_at__isnull=False
        ).order_by("-finished_at", "-pk"):
            sessions[session.employee_id].append(session)
    brought = defaultdict(set)
    for mentor, from_level, apprentice in PromotionEvent.objects.filter(
        kind=PromotionEvent.Kind.PROMOTED, mentorship__mentor__in=ids
    ).values_list("mentorship__mentor", "from_level", "employee"):
        brought[mentor, from_level].add(apprentice)
    for pk, level in targets.items():
        req = reqs[level]
        since, earned = people[pk]
        attempt = next(
            (
                a
                for a in attempts[pk]
                if a.level == level and (since is None or a.submitted_at >= since)
            ),
            None,
        )
        result = (
            pick_counting_result(
                [s for s in sessions[pk] if since is None or s.finished_at >= since], config=config
            )
            if config is not None and req.query_time_required
            else None
        )
        checklists[pk] = checklist_items(
            req,
            level,
            ChecklistEvidence(
                since=since,
                earned=earned,
                studied=studied.get((pk, level), 0),
                training_total=totals.get(level, 0),
                attempt=attempt,
                result=result,
                brought=len(brought[pk, req.apprentice_from_level])
                if req.apprentices_required
                else 0,
            ),
        )
    return checklists


def current_retention(employee) -> RetentionPeriod | None:
    """The employee's running retention period (the latest open one), else None."""
    return (
        RetentionPeriod.objects.filter(employee=employee, status__in=RetentionPeriod.OPEN_STATUSES)
        .order_by("-starts_at", "-pk")
        .first()
    )


@dataclass
class RetentionStatus:
    """Progress of a retention period. Evidence counts only inside the period: points and
    apprentices from starts_at to due_at, query time from retest_opens_at to due_at."""

    period: RetentionPeriod
    points_earned: int
    points_met: bool
    apprentices_brought: int
    apprentices_met: bool
    exam_passed: bool
    attempts_used: int
    attempts_left: int
    query_time_met: bool
    window_open: bool
    exam_open: bool = False  # a re-test attempt of the period is still running

    @property
    def retest_met(self) -> bool:
        return self.exam_passed and self.query_time_met

    @property
    def all_met(self) -> bool:
        """Points task, apprentice task and re-test (exam + query time) all met."""
        return self.points_met and self.apprentices_met and self.retest_met


def retention_status(period: RetentionPeriod, now: datetime | None = None) -> RetentionStatus:
    """Progress of a retention period: points earned and apprentices brought up between the
    promotion and the due date, the re-test exam (its attempts; an open one counts as used)
    and a query-time result allowing the level finished inside the re-test window. Anything
    dated after due_at does not count, however late the daily job looks. The rules live in
    retention_statuses (the daily job reads many periods with them)."""
    return retention_statuses([period], now)[period.pk]


def _with_retention_evidence(periods: QuerySet[RetentionPeriod]) -> QuerySet[RetentionPeriod]:
    """``periods`` annotated with their evidence, one correlated subquery each, built from the
    same querysets as the per-employee selectors (so the windows cannot drift apart): points
    as points_balance (entries_within since=starts_at, until=due_at), apprentices as
    apprentices_brought (apprentice_promotions, same window), and the period's re-test
    attempts (all of them, passed ones, running ones)."""
    window = {"since": OuterRef("starts_at"), "until": OuterRef("due_at")}
    points = (
        entries_within(OuterRef("employee"), **window)
        .order_by()
        .values("employee")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    brought = (
        apprentice_promotions(OuterRef("employee"), OuterRef("apprentice_from_level"), **window)
        .order_by()
        .values("mentorship__mentor")
        .annotate(n=Count("employee", distinct=True))
        .values("n")
    )
    attempts = (
        ExamAttempt.objects.filter(retention_period=OuterRef("pk"))
        .order_by()
        .values("retention_period")
        .annotate(n=Count("pk"))
        .values("n")
    )
    of_period = ExamAttempt.objects.filter(retention_period=OuterRef("pk"))
    return periods.annotate(
        ev_points=Coalesce(Subquery(points), 0),
        # only periods with an apprentice task count apprentices (as retention_status always did)
        ev_brought=SqlCase(
            When(
                apprentices_task__gt=0,
                apprentice_from_level__isnull=False,
                then=Coalesce(Subquery(brought), 0),
            ),
            default=Value(0),
        ),
        ev_attempts=Coalesce(Subquery(attempts), 0),
        ev_passed=Exists(of_period.filter(status=ExamAttempt.Status.PASSED)),
        ev_open=Exists(of_period.filter(status=ExamAttempt.Status.OPEN)),
    )


def retention_statuses(
    periods: Iterable[RetentionPeriod] | QuerySet[RetentionPeriod], now: datetime | None = None
) -> dict[int, RetentionStatus]:
    """retention_status of many periods in a constant number of queries, keyed by period
    id: one query for points, apprentices and attempts (per-period subqueries), one for the
    finished query-time tests inside the periods' re-test windows (the counting result is
    picked per period in Python by pick_counting_result, the rule of
    counting_query_time_result), one for the query-time settings. A QuerySet is read
    (annotated) as it is; a list is matched by primary key and its own objects returned."""
    now = now or timezone.now()
    if isinstance(periods, QuerySet):
        rows = list(_with_retention_evidence(periods))
        evidence = {row.pk: row for row in rows}
        periods = rows
    else:
        periods = list(periods)
        if not periods:
            return {}
        evidence = {
            row.pk: row
            for row in _with_retention_evidence(
                RetentionPeriod.objects.filter(pk__in=[period.pk for period in periods])
            )
        }
    if not periods:
        return {}
    in_window = RetentionPeriod.objects.filter(
        pk__in=[period.pk for period in periods],
        employee=OuterRef("employee"),
        retest_opens_at__lte=OuterRef("finished_at"),
        due_at__gte=OuterRef("finished_at"),
    )
    sessions: dict[int, list[QueryTestSession]] = defaultdict(list)
    for session in QueryTestSession.objects.filter(
        Exists(in_window), finished_at__isnull=False
    ).order_by("-finished_at", "-pk"):
        sessions[session.employee_id].append(session)
    config = QueryTimeTest.current()
    statuses = {}
    for period in periods:
        row = evidence[period.pk]
        earned, brought = (
            row.ev_points,
            row.ev_brought,
        )  # ev_brought is 0 without an apprentice task
        result = pick_counting_result(
            [
                s
                for s in sessions[period.employee_id]
                if period.retest_opens_at <= s.finished_at <= period.due_at
            ],
            config=config,
        )
        query_ok = bool(
            result and result.allowed_level is not None and result.allowed_level >= period.level
        )
        statuses[period.pk] = RetentionStatus(
            period=period,
            points_earned=earned,
            points_met=earned >= period.points_task,
            apprentices_brought=brought,
            apprentices_met=brought >= period.apprentices_task,
            exam_passed=row.ev_passed,
            attempts_used=row.ev_attempts,
            attempts_left=max(period.retest_attempts - row.ev_attempts, 0),
            query_time_met=query_ok,
            window_open=period.retest_window_open(now),
            exam_open=row.ev_open,
        )
    return statuses


def last_demotion(employee) -> PromotionEvent | None:
    return (
        PromotionEvent.objects.filter(employee=employee, kind=PromotionEvent.Kind.DEMOTED)
        .order_by("-at", "-pk")
        .first()
    )


def promotion_history(employee) -> QuerySet[PromotionEvent]:
    return (
        PromotionEvent.objects.filter(employee=employee)
        .select_related("decided_by")
        .order_by("-at", "-pk")
    )


def open_exam(employee) -> ExamAttempt | None:
    return ExamAttempt.objects.filter(employee=employee, status=ExamAttempt.Status.OPEN).first()


def sits_exam_with_case(user, case_id: int, *, now: datetime | None = None) -> bool:
    """True when ``user`` has an OPEN exam attempt before its server-side deadline that drew
    case ``case_id`` (what lets an examinee hear a test case's recording). One query."""
    case_ids = (
        ExamAttempt.objects.filter(
            employee_id=user.pk, status=ExamAttempt.Status.OPEN, deadline__gt=now or timezone.now()
        )
        .values_list("case_ids", flat=True)
        .first()
    )
    return case_ids is not None and case_id in case_ids


def exam_attempts_of(employee) -> QuerySet[ExamAttempt]:
    return (
        ExamAttempt.objects.filter(employee=employee)
        .defer("questions", "answers")
        .order_by("-started_at", "-pk")
    )


def apprentices_of(mentor) -> QuerySet[Mentorship]:
    return (
        Mentorship.objects.filter(mentor=mentor)
        .select_related("apprentice", "apprentice__team")
        .order_by("ended_at", "-started_at")
    )


def active_mentorships() -> QuerySet[Mentorship]:
    return (
        Mentorship.objects.filter(ended_at__isnull=True)
        .select_related("mentor", "apprentice", "created_by")
        .order_by("-started_at", "-pk")
    )


def mentor_of(apprentice) -> Mentorship | None:
    return (
        Mentorship.objects.filter(apprentice=apprentice, ended_at__isnull=True)
        .select_related("mentor")
        .first()
    )


def creditable_mentorship(apprentice, to_level: int) -> Mentorship | None:
    """The mentorship a promotion of ``apprentice`` to ``to_level`` credits (the mentor is
    paid and counts the apprentice as brought up), else None: the apprentice's active pair,
    only when the pair has run at least PromotionSettings.mentorship_min_days, only when the
    mentor may still mentor them now (their level can take apprentices and is above the
    apprentice's level before the promotion, as when pairing) and only the first
    time the apprentice reaches ``to_level`` — a demotion and re-promotion, under the same
    or another mentor, is the same step again and pays and counts nobody."""
    mentorship = mentor_of(apprentice)
    if mentorship is None:
        return None
    if mentorship.started_at > timezone.now() - timedelta(days=exam_settings().mentorship_min_days):
        return None  # paired too recently to have brought the apprentice up
    mentor = mentorship.mentor
    level = level_of(mentor.level)
    if level is None or not level.can_mentor or mentor.level <= to_level - 1:
        return None
    if PromotionEvent.objects.filter(
        employee=apprentice, kind=PromotionEvent.Kind.PROMOTED, to_level=to_level
    ).exists():
        return None
    return mentorship


def notifications_of(employee) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient=employee).order_by("-created_at", "-pk")


def unread_count(employee) -> int:
    return Notification.objects.filter(recipient=employee, read_at__isnull=True).count()


# --- exam policy ---------------------------------------------------------------------------


def exam_settings() -> PromotionSettings:
    return PromotionSettings.current()


def exam_pool_needed(requirement: LevelRequirement, config: PromotionSettings | None = None) -> int:
    """Test cases with questions an exam of the requirement's level needs: the minimum pool
    (PromotionSettings.min_test_pool), and never fewer than the exam's case count."""
    config = config or exam_settings()
    return max(config.min_test_pool, requirement.exam_case_count)


def exam_pool_needed_by_level() -> dict[int, int]:
    """{level: test cases with questions its exam needs} for every level with requirements
    (registered with casebase for the library health page; two queries)."""
    config = exam_settings()
    return {
        req.level.number: exam_pool_needed(req, config)
        for req in LevelRequirement.objects.select_related("level")
    }


def local_minute(moment: datetime) -> str:
    """``moment`` as local date and time to the minute ("2026-02-05 09:00", Asia/Shanghai)."""
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def _round_up_to_minute(moment: datetime) -> datetime:
    """The next whole minute (``moment`` itself when it is one), so "from 09:01" is exact."""
    floor = moment.replace(second=0, microsecond=0)
    return floor if floor == moment else floor + timedelta(minutes=1)


@dataclass
class RetakeVerdict:
    """When the next attempt is allowed (None: now) and what decides it ("wait", "max")."""

    allowed_at: datetime | None
    reason: str | None = None


def retake_verdict(
    employee,
    *,
    level: int,
    purpose: str,
    retention_period: RetentionPeriod | None = None,
    requirement: LevelRequirement | None = None,
    config: PromotionSettings | None = None,
    now: datetime | None = None,
) -> RetakeVerdict:
    """The retake policy (PromotionSettings) for ``employee``'s next attempt of ``level``:

    * waiting period: ``retake_wait_hours`` after the end of the latest attempt of the same
      level (attempt_ended_at: an abandoned attempt ended at its deadline), whatever its
      purpose: a failed retention re-test followed by a demotion is no free practice run
      for the promotion exam of the same level;
    * promotion exams: at most ``max_attempts_per_period`` promotion attempts started within
      the last ``attempt_period_days`` (rolling; abandoned and expired attempts count);
    * retention re-tests: attempts of the same retention period only; no per-period limit
      (the level's re-test attempts count instead) and the wait never ends later than the
      last moment a make-up can still be finished before the due date.

    ``allowed_at`` is rounded up to the whole minute; None when an attempt may start now."""
    now = now or timezone.now()
    config = config or exam_settings()
    attempts = ExamAttempt.objects.filter(employee=employee, level=level)
    if retention_period is not None:
        attempts = attempts.filter(retention_period=retention_period)
    rows = list(
        attempts.exclude(status=ExamAttempt.Status.OPEN, deadline__gt=now).values_list(
            "started_at", "submitted_at", "deadline", "purpose"
        )
    )
    if not rows:
        return RetakeVerdict(None)
    last_end = max(
        attempt_ended_at(submitted, deadline) for _started, submitted, deadline, _purpose in rows
    )
    wait_until = last_end + config.retake_wait
    if retention_period is not None and requirement is not None:
        wait_until = min(
            wait_until,
            retention_period.due_at - timedelta(minutes=requirement.exam_time_limit_minutes),
        )
    candidates = [(wait_until, "wait")]
    if purpose == ExamAttempt.Purpose.PROMOTION:
        recent = sorted(
            started
            for started, _submitted, _deadline, kind in rows
            if kind == ExamAttempt.Purpose.PROMOTION and started > now - config.attempt_period
        )
        if len(recent) >= config.max_attempts_per_period:
            candidates.append(
                (
                    recent[len(recent) - config.max_attempts_per_period] + config.attempt_period,
                    "max",
                )
            )
    allowed_at, reason = max(candidates, key=lambda item: (item[0], item[1] == "max"))
    if allowed_at <= now:
        return RetakeVerdict(None)
    return RetakeVerdict(_round_up_to_minute(allowed_at), reason)


@dataclass
class ExamCheck:
    """Whether ``employee`` may start the level exam now: ``refusal`` is the exact message
    (translated) when not, else None; the rest is what the start needs."""

    level: int
    refusal: str | None = None
    purpose: str | None = None
    retention_period: RetentionPeriod | None = None
    requirement: LevelRequirement | None = None
    config: PromotionSettings | None = None
    needed: int = 0
    available: int = 0
    next_allowed_at: datetime | None = None
    excluded: frozenset[int] = frozenset()  # cases the draw leaves out

    @property
    def allowed(self) -> bool:
        return self.refusal is None


def exam_check(
    employee, level: int, *, now: datetime | None = None, exclude_case_ids: Collection[int] = ()
) -> ExamCheck:
    """THE rule of who may start which exam, when (used by services.exams.exam_start and the exam
    page), checked in this order:

    1. the level: the promotion exam of the next level, or the retention re-test of the
       current level while its window is open, not yet passed and attempts remain;
    2. a promotion exam already passed since the last level change is not sat again;
    3. the retake policy (retake_verdict): the message gives the local date and time from
       which the next attempt is allowed;
    4. the exam pool: at least exam_pool_needed active test cases of the level that yield
       questions, without ``exclude_case_ids`` and the cases the employee knows from their
       own work (casebase.selectors.cases_known_to: authored, proposed, named on or voted
       on) and the overexposed cases (PromotionSettings.exam_exposure_cap) — otherwise
       refused, never a short exam.

    An open attempt is not considered here (exam_start resumes it)."""
    now = now or timezone.now()
    check = ExamCheck(level=level)
    if level == employee.level + 1 and level <= MAX_LEVEL:
        check.purpose = ExamAttempt.Purpose.PROMOTION
    elif level == employee.level and level >= 1:
        period = current_retention(employee)
        if period is None or period.level != level or not period.retest_window_open(now):
            check.refusal = _(MSG_NO_WINDOW) % {"level": level}
            return check
        statuses = list(period.exam_attempts.values_list("status", flat=True))
        if ExamAttempt.Status.PASSED in statuses:
            check.refusal = _(MSG_RETEST_PASSED)
            return check
        if len(statuses) >= period.retest_attempts:
            check.refusal = _(MSG_NO_ATTEMPTS) % {"attempts": period.retest_attempts}
            return check
        check.purpose, check.retention_period = ExamAttempt.Purpose.RETENTION, period
    else:
        check.refusal = _(MSG_EXAM_LEVEL)
        return check
    if (
        check.purpose == ExamAttempt.Purpose.PROMOTION
        and passed_promotion_exam(employee, level, since=last_level_change_at(employee)) is not None
    ):
        check.refusal = _(MSG_EXAM_PASSED) % {"level": level}
        return check
    check.requirement = requirement_for(level)
    if check.requirement is None:
        check.refusal = _(MSG_NO_REQUIREMENT) % {"level": level}
        return check
    check.config = exam_settings()
    verdict = retake_verdict(
        employee,
        level=level,
        purpose=check.purpose,
        retention_period=check.retention_period,
        requirement=check.requirement,
        config=check.config,
        now=now,
    )
    if verdict.allowed_at is not None:
        check.next_allowed_at = verdict.allowed_at
        if verdict.reason == "max":
            check.refusal = _(MSG_RETAKE_MAX) % {
                "max": check.config.max_attempts_per_period,
                "level": level,
                "days": check.config.attempt_period_days,
                "when": local_minute(verdict.allowed_at),
            }
        else:
            check.refusal = _(MSG_RETAKE_WAIT) % {
                "level": level,
                "when": local_minute(verdict.allowed_at),
                "hours": check.config.retake_wait_hours,
            }
        return check
    check.needed = exam_pool_needed(check.requirement, check.config)
    check.excluded = frozenset(exclude_case_ids) | cases_known_to(employee)
    check.available = exam_pool(
        level, exclude_ids=check.excluded, max_exposure=check.config.exam_exposure_cap or None
    ).count()
    if check.available < check.needed:
        check.refusal = _(MSG_POOL_SHORT) % {
            "level": level,
            "needed": check.needed,
            "available": check.available,
        }
    return check


# --- results and the full view -------------------------------------------------------------


def exam_feedback(attempt: ExamAttempt) -> dict[str, list[dict]]:
    """What the examinee learns after submitting: correct / total per question kind (and per
    case category) — no prompts, options, keys, context or case titles. Empty lists while
    the attempt is open. One query (category names)."""
    if attempt.status == ExamAttempt.Status.OPEN:
        return {"by_kind": [], "by_category": []}
    by_kind: dict[str, list[int]] = {}
    by_category: dict[int, list[int]] = {}
    for question in attempt.questions:
        right = int(attempt.answers.get(question["id"]) == question["answer"])
        by_kind.setdefault(question["kind"], [0, 0])
        by_kind[question["kind"]][0] += right
        by_kind[question["kind"]][1] += 1
        if question.get("category_id"):
            by_category.setdefault(question["category_id"], [0, 0])
            by_category[question["category_id"]][0] += right
            by_category[question["category_id"]][1] += 1
    names = {c.pk: c for c in CaseCategory.objects.filter(pk__in=list(by_category))}
    order = list(KIND_LABELS)
    return {
        "by_kind": [
            {
                "kind": kind,
                "label": str(KIND_LABELS.get(kind, kind)),
                "correct": n[0],
                "total": n[1],
            }
            for kind, n in sorted(
                by_kind.items(),
                key=lambda item: order.index(item[0]) if item[0] in order else len(order),
            )
        ],
        "by_category": [
            {"category": names[pk].name if pk in names else "–", "correct": n[0], "total": n[1]}
            for pk, n in sorted(
                by_category.items(),
                key=lambda item: names[item[0]].path if item[0] in names else "",
            )
        ],
    }


def can_view_in_full(user, attempt: ExamAttempt) -> bool:
    """True when ``user`` may see ``attempt`` with its answers: they hold VIEW_EXAM_ANSWERS,
    the attempt is submitted (or expired), it is not their own and, when they can sit exams
    themselves (a CSR on the committee), it is of a level below their own — a level they will never
    be examined on again (their promotion exam is above it, their retention re-test at it). The
    named rule promotion.view_attempt_in_full (promotion/rules.py)."""
    from promotion.rules import VIEW_ATTEMPT_IN_FULL

    return allowed(VIEW_ATTEMPT_IN_FULL, user, attempt)


def attempts_viewable_in_full(
    user, *, staff_id: str = "", level: int | None = None
) -> QuerySet[ExamAttempt]:
    """The submitted attempts ``user`` may see in full (see can_view_in_full), newest first,
    optionally of one employee (staff ID) and level; none without VIEW_EXAM_ANSWERS."""
    if not user.has_perm(VIEW_EXAM_ANSWERS):
        return ExamAttempt.objects.none()
    qs = (
        ExamAttempt.objects.exclude(status=ExamAttempt.Status.OPEN)
        .exclude(employee=user)
        .select_related("employee")
        .defer("questions", "answers")
        .order_by("-started_at", "-pk")
    )
    test_levels = test_content_levels_q(user)
    if test_levels is not None:
        qs = qs.filter(test_levels)
    if staff_id:
        qs = qs.filter(employee__staff_id=staff_id.strip().upper())
    if level is not None:
        qs = qs.filter(level=level)
    return qs


# --- HR's home panel --------------------------------------------------------------------


@dataclass
class RosterCount:
    """One roster of this month: its event (promotion.rosters.Event), how many rows it
    holds and the roster page's query string that lists exactly those rows."""

    event: str
    count: int
    query: str


@dataclass
class HRDashboard:
    month_start: Any  # date
    month_end: Any  # date
    promoted: RosterCount
    demoted: RosterCount
    due_retest: RosterCount


def hr_dashboard(*, today=None) -> HRDashboard:
    """This (local) month's promotions, demotions and re-tests due, counted with the very
    filters the roster page applies (promotion.rosters.roster_queryset), so each number is
    the length of the roster its link opens. One COUNT per roster: three queries."""
    from calendar import monthrange
    from urllib.parse import urlencode

    from promotion.rosters import Event, RosterFilters, roster_queryset

    today = today or timezone.localdate()
    first = today.replace(day=1)
    last = today.replace(day=monthrange(today.year, today.month)[1])
    rows = {}
    for event in (Event.PROMOTED, Event.DEMOTED, Event.DUE_RETEST):
        filters = RosterFilters(event=event, date_from=first, date_to=last)
        rows[event] = RosterCount(
            event=event,
            count=roster_queryset(filters).count(),
            query=urlencode(
                {"event": event, "date_from": first.isoformat(), "date_to": last.isoformat()}
            ),
        )
    return HRDashboard(
        month_start=first,
        month_end=last,
        promoted=rows[Event.PROMOTED],
        demoted=rows[Event.DEMOTED],
        due_retest=rows[Event.DUE_RETEST],
    )


# --- exam blueprint ----------------------------------------------------------------------


@dataclass
class BlueprintLevel:
    """One level's column of the blueprint: how many cases its exam draws, the places
    planned per item (item id → places), the exam pool's cases per item and untagged."""

    level: int
    case_count: int
    planned: dict[int, int]
    available: dict[int, int]
    untagged: int


@dataclass
class BlueprintRow:
    item: Any  # competency.models.CompetencyItem
    weight: Any  # Decimal, the position's published Q-sort weight
    by_level: list[dict[str, int]]  # [{"level", "planned", "available"}] in level order


@dataclass
class ExamBlueprint:
    position: Any  # accounts.models.Position | None
    floor_percent: int
    levels: list[BlueprintLevel]
    rows: list[BlueprintRow]


def position_weights(position_id: int | None) -> dict[int, Any]:
    """{competency item id: weight} of the position's competency model (the weights its
    published Q-sort round wrote into PositionCompetency), heaviest first, weight > 0 only;
    {} for no position. One query."""
    if position_id is None:
        return {}
    from competency.models import PositionCompetency

    rows = (
        PositionCompetency.objects.filter(position_id=position_id, weight__gt=0)
        .order_by("-weight", "item__order", "item__code")
        .values_list("item_id", "weight")
    )
    return dict(rows)


def exam_plan(
    position_id: int | None, case_count: int, config: PromotionSettings | None = None
) -> dict[int, int]:
    """The blueprint of one exam: {competency item id: cases to draw}, heaviest item first,
    items with no place left out — promotion.blueprint.apportion of ``case_count`` over the
    position's weights with the settings' floor. {} when the employee has no position or
    the position no weights (the exam then draws as before)."""
    from promotion.blueprint import apportion

    weights = position_weights(position_id)
    if not weights:
        return {}
    config = config or PromotionSettings.current()
    counts = apportion(case_count, weights, Decimal(config.blueprint_floor_percent) / 100)
    return {item_id: n for item_id, n in counts.items() if n > 0}


def exam_blueprint(position) -> ExamBlueprint:
    """The blueprint of ``position`` for every level with requirements: per competency item
    its weight, the cases planned for each level's exam and the exam pool's test cases
    tagged with it (what the draw can use), plus each level's untagged pool. Training cases
    never count. A fixed number of queries."""
    from casebase.selectors import case_competency_tags
    from competency.models import CompetencyItem
    from promotion.blueprint import apportion

    config = PromotionSettings.current()
    floor = Decimal(config.blueprint_floor_percent) / 100
    requirements = list(LevelRequirement.objects.select_related("level").order_by("level__number"))
    weights = position_weights(position.pk if position else None)
    pool = list(exam_pool_all_levels().values_list("pk", "level"))
    tags = case_competency_tags([pk for pk, _level in pool])
    levels = []
    for req in requirements:
        number = req.level.number
        available: dict[int, int] = defaultdict(int)
        untagged = 0
        for pk, level in pool:
            if level != number:
                continue
            if not tags.get(pk):
                untagged += 1
            for item_id in tags.get(pk, ()):
                available[item_id] += 1
        planned = apportion(req.exam_case_count, weights, floor) if weights else {}
        levels.append(
            BlueprintLevel(
                level=number,
                case_count=req.exam_case_count,
                planned=planned,
                available=dict(available),
                untagged=untagged,
            )
        )
    items = CompetencyItem.objects.in_bulk(list(weights))
    rows = [
        BlueprintRow(
            item=items[item_id],
            weight=weight,
            by_level=[
                {
                    "level": lv.level,
                    "planned": lv.planned.get(item_id, 0),
                    "available": lv.available.get(item_id, 0),
                }
                for lv in levels
            ],
        )
        for item_id, weight in weights.items()
    ]
    return ExamBlueprint(
        position=position, floor_percent=config.blueprint_floor_percent, levels=levels, rows=rows
    )


def exam_pool_all_levels() -> QuerySet[Case]:
    """The exam pools of all levels at once (active test cases that yield questions)."""
    from casebase.questions import with_question_flag

    return with_question_flag(Case.objects.testing()).filter(has_questions=True)


def competency_scores(attempt: ExamAttempt) -> list[dict]:
    """The submitted attempt's result per competency item: correct / total over the
    questions drawn from cases tagged with it (the tags stored on the questions at draw
    time; a question of a case with several tags counts for each). [] while the attempt is
    open, or when none of its cases was tagged. One query (item names)."""
    if attempt.status == ExamAttempt.Status.OPEN:
        return []
    from competency.models import CompetencyItem
    from promotion.blueprint import competency_tally

    tally = competency_tally(attempt.questions, attempt.answers)
    items = CompetencyItem.objects.select_related("module").in_bulk(list(tally))
    rows = [
        {
            "item": items[pk].name if pk in items else "–",
            "code": items[pk].code if pk in items else "",
            "correct": n[0],
            "total": n[1],
            "percent": float(score_percent(n[0], n[1])),
        }
        for pk, n in tally.items()
    ]
    order = {pk: (item.module.order, item.order, item.code) for pk, item in items.items()}
    return [
        row
        for _pk, row in sorted(
            zip(tally, rows, strict=True), key=lambda pair: order.get(pair[0], (0, 0, ""))
        )
    ]
