"""Reads of the promotion app: levels, the promotion checklist, retention status, exams,
mentorships and notifications. Rosters live in promotion/rosters.py."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from casebase.models import Case
from casebase.selectors import training_cases_studied
from knowledgebase.selectors import counting_query_time_result
from points.selectors import points_balance
from promotion.models import (
    ExamAttempt,
    Level,
    LevelRequirement,
    Mentorship,
    Notification,
    PromotionEvent,
    RetentionPeriod,
)

MAX_LEVEL = 5


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


def requirement_for(level: int) -> LevelRequirement | None:
    """The requirements of promotion to ``level``; None for level 0 or a missing row."""
    return LevelRequirement.objects.select_related("level").filter(level__number=level).first()


def last_level_change_at(employee) -> datetime | None:
    """When the employee's level last changed (latest promotion or demotion); None if never."""
    return PromotionEvent.objects.filter(employee=employee).order_by("-at", "-pk").values_list("at", flat=True).first()


def passed_promotion_exam(employee, level: int, *, since: datetime | None = None) -> ExamAttempt | None:
    """The latest passed promotion exam of ``level`` submitted after ``since`` (None: ever)."""
    attempts = ExamAttempt.objects.filter(employee=employee, level=level, purpose=ExamAttempt.Purpose.PROMOTION,
                                          status=ExamAttempt.Status.PASSED)
    if since is not None:
        attempts = attempts.filter(submitted_at__gte=since)
    return attempts.order_by("-submitted_at", "-pk").first()


def apprentices_brought(mentor, from_level: int, *, since: datetime | None = None,
                        until: datetime | None = None) -> int:
    """Distinct apprentices promoted from ``from_level`` to the next level while paired
    with ``mentor`` (counted from PromotionEvent rows crediting one of their mentorships),
    promoted from ``since`` up to and including ``until`` when given."""
    events = PromotionEvent.objects.filter(kind=PromotionEvent.Kind.PROMOTED, from_level=from_level,
                                           mentorship__mentor=mentor)
    if since is not None:
        events = events.filter(at__gte=since)
    if until is not None:
        events = events.filter(at__lte=until)
    return events.values("employee").distinct().count()


def promotion_checklist(employee, level: int | None = None) -> list[ChecklistItem]:
    """The requirements of promotion to ``level`` (default: the employee's next level), each
    met or not; [] at the top level or when the level has no requirement row."""
    level = employee.level + 1 if level is None else level
    if level > MAX_LEVEL or level < 1:
        return []
    req = requirement_for(level)
    if req is None:
        return []
    since = last_level_change_at(employee)
    items = []

    earned = points_balance(employee, since=since)
    items.append(ChecklistItem(
        "points", earned >= req.points_threshold, _("Points earned since your last level change"),
        _("%(earned)s / %(needed)s points") % {"earned": earned, "needed": req.points_threshold},
        {"points": earned, "needed": req.points_threshold, "since": since.isoformat() if since else None},
    ))

    studied = training_cases_studied(employee, level).count()
    needed = req.training_cases_required
    if needed is None:
        needed = Case.objects.training().filter(level=level).count()
    items.append(ChecklistItem(
        "training_cases", studied >= needed, _("Level-%(level)s training cases studied") % {"level": level},
        _("%(studied)s / %(needed)s cases") % {"studied": studied, "needed": needed},
        {"studied": studied, "needed": needed},
    ))

    attempt = passed_promotion_exam(employee, level, since=since)
    items.append(ChecklistItem(
        "exam", attempt is not None, _("Level-%(level)s exam passed") % {"level": level},
        (_("Passed with %(score)s%% on %(date)s") % {"score": attempt.score_percent,
                                                      "date": timezone.localtime(attempt.submitted_at).date()}
         if attempt else _("Not passed yet (pass mark %(mark)s%%)") % {"mark": req.exam_pass_percent}),
        {"exam_attempt": attempt.pk if attempt else None},
    ))

    if req.query_time_required:
        result = counting_query_time_result(employee)
        allowed = result.allowed_level if result else None
        items.append(ChecklistItem(
            "query_time", allowed is not None and allowed >= level,
            _("Query-time result allows level %(level)s") % {"level": level},
            (_("Latest result: %(seconds)s s allows level %(allowed)s")
             % {"seconds": result.total_seconds, "allowed": allowed if allowed is not None else "–"}
             if result else _("No finished query-time test")),
            {"query_result": result.pk if result else None, "allowed_level": allowed},
        ))

    if req.apprentices_required:
        brought = apprentices_brought(employee, req.apprentice_from_level)
        items.append(ChecklistItem(
            "apprentices", brought >= req.apprentices_required,
            _("Apprentices brought from level %(from)s to %(to)s")
            % {"from": req.apprentice_from_level, "to": req.apprentice_from_level + 1},
            _("%(brought)s / %(needed)s apprentices") % {"brought": brought, "needed": req.apprentices_required},
            {"apprentices": brought, "needed": req.apprentices_required},
        ))
    return items


def current_retention(employee) -> RetentionPeriod | None:
    """The employee's running retention period (the latest open one), else None."""
    return (RetentionPeriod.objects.filter(employee=employee, status__in=RetentionPeriod.OPEN_STATUSES)
            .order_by("-starts_at", "-pk").first())


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
    dated after due_at does not count, however late the daily job looks."""
    now = now or timezone.now()
    earned = points_balance(period.employee, since=period.starts_at, until=period.due_at)
    brought = (apprentices_brought(period.employee, period.apprentice_from_level, since=period.starts_at,
                                   until=period.due_at)
               if period.apprentices_task and period.apprentice_from_level is not None else 0)
    attempts = list(period.exam_attempts.values_list("status", flat=True))
    passed = ExamAttempt.Status.PASSED in attempts
    result = counting_query_time_result(period.employee, since=period.retest_opens_at, until=period.due_at)
    query_ok = bool(result and result.allowed_level is not None and result.allowed_level >= period.level)
    return RetentionStatus(
        period=period, points_earned=earned, points_met=earned >= period.points_task,
        apprentices_brought=brought, apprentices_met=brought >= period.apprentices_task, exam_passed=passed,
        attempts_used=len(attempts), attempts_left=max(period.retest_attempts - len(attempts), 0),
        query_time_met=query_ok, window_open=period.retest_window_open(now),
    )


def last_demotion(employee) -> PromotionEvent | None:
    return (PromotionEvent.objects.filter(employee=employee, kind=PromotionEvent.Kind.DEMOTED)
            .order_by("-at", "-pk").first())


def promotion_history(employee) -> QuerySet[PromotionEvent]:
    return PromotionEvent.objects.filter(employee=employee).select_related("decided_by").order_by("-at", "-pk")


def open_exam(employee) -> ExamAttempt | None:
    return ExamAttempt.objects.filter(employee=employee, status=ExamAttempt.Status.OPEN).first()


def exam_attempts_of(employee) -> QuerySet[ExamAttempt]:
    return ExamAttempt.objects.filter(employee=employee).defer("questions", "answers").order_by("-started_at", "-pk")


def apprentices_of(mentor) -> QuerySet[Mentorship]:
    return (Mentorship.objects.filter(mentor=mentor).select_related("apprentice", "apprentice__team")
            .order_by("ended_at", "-started_at"))


def active_mentorships() -> QuerySet[Mentorship]:
    return (Mentorship.objects.filter(ended_at__isnull=True).select_related("mentor", "apprentice", "created_by")
            .order_by("-started_at", "-pk"))


def mentor_of(apprentice) -> Mentorship | None:
    return Mentorship.objects.filter(apprentice=apprentice, ended_at__isnull=True).select_related("mentor").first()


def notifications_of(employee) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient=employee).order_by("-created_at", "-pk")


def unread_count(employee) -> int:
    return Notification.objects.filter(recipient=employee, read_at__isnull=True).count()
