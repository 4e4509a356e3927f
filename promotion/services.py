"""Writes of the promotion app. The employee's level changes only here: employee_promote
(checks every requirement), employee_demote (retention failures, managers) and
promotion_history_backfill (demo history); each writes a PromotionEvent through
promotion_event_record."""

import random
from collections.abc import Callable, Collection, Iterable
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts import roles
from accounts.levels import MAX_LEVEL
from accounts.services import employees_lock
from casebase.selectors import cases_known_to, exam_draw
from casebase.services.exam_use import case_record_exam_uses
from config.errors import ConflictError, PermissionDeniedError, ValidationFailedError
from config.locks import retry_on_deadlock
from points.models import PointRule
from points.selectors import active_rule
from points.services import points_award
from promotion import selectors
from promotion.models import (
    REASON_MESSAGES,
    ExamAttempt,
    ExamItemResponse,
    Level,
    Medal,
    MedalAward,
    Mentorship,
    Notification,
    PromotionEvent,
    RetentionPeriod,
    question_key,
    retention_dates,
    score_percent,
)
from promotion.selectors import (  # noqa: F401 - the exam messages are part of this module's interface
    MSG_EXAM_LEVEL,
    MSG_EXAM_PASSED,
    MSG_NO_ATTEMPTS,
    MSG_NO_REQUIREMENT,
    MSG_NO_WINDOW,
    MSG_POOL_SHORT,
    MSG_RETAKE_MAX,
    MSG_RETAKE_WAIT,
    MSG_RETEST_PASSED,
)

AWARD_MEDALS = "promotion.award_medals"

# Exact messages (tests and API clients assert them).
MSG_NOT_NEXT_LEVEL = gettext_noop(
    "Promotion goes one level at a time: level %(level)s is not the next level."
)
MSG_MISSING = gettext_noop(
    "Promotion to level %(level)s is not possible yet. Missing: %(missing)s."
)
MSG_LEVEL_ZERO = gettext_noop("Level 0 is the lowest level.")
MSG_OTHER_OPEN = gettext_noop("Finish your open level-%(level)s exam first.")
MSG_SUBMITTED = gettext_noop("This exam was already submitted.")
MSG_TIME_UP = gettext_noop(
    "The time limit has passed: answers are no longer saved. Submit the exam."
)
MSG_CANNOT_MENTOR = gettext_noop("Level %(level)s employees cannot take apprentices.")
MSG_MENTOR_SELF = gettext_noop("An employee cannot mentor themselves.")
MSG_MENTOR_LEVEL = gettext_noop("The mentor's level must be above the apprentice's.")
MSG_HAS_MENTOR = gettext_noop("%(name)s already has a mentor.")
MSG_MENTOR_FULL = gettext_noop(
    "%(name)s already mentors %(count)s apprentices, the most allowed at a time."
)
MSG_ENDED = gettext_noop("This mentorship has already ended.")
MSG_REASON = gettext_noop("Give a reason.")
MSG_MEDAL_SELF = gettext_noop("You cannot award a medal to yourself: another manager awards it.")


class PromotionError(ValidationFailedError):
    """A promotion, demotion, mentorship or medal that cannot happen (HTTP 400); ``missing``
    lists unmet requirements (the message names them too)."""

    def __init__(self, message: str, missing: list[str] | None = None, **kwargs):
        self.missing = missing or []
        super().__init__(message, **kwargs)


class ExamError(ValidationFailedError):
    """The exam policy refused a start (level, retake wait, attempts, window, pool) (HTTP 400)."""


class PromotionConflict(ConflictError):
    """Already done: an exam already submitted or another one open, a mentor already named,
    a mentorship already ended (HTTP 409)."""


class PromotionPermissionDenied(PermissionDeniedError):
    """Only managers may do this to somebody else (HTTP 403)."""


def _locked_employee(employee):
    """The employee row, locked FOR NO KEY UPDATE: the first lock of every service here
    (config/locks.py: employee before their retention periods, exam attempts and
    mentorships). NO KEY, so writing rows that only reference the employee (points,
    notifications) elsewhere does not wait for it."""
    return get_user_model().objects.select_for_update(no_key=True).get(pk=employee.pk)


def _check_manager(employee, decided_by) -> None:
    if (
        decided_by is not None
        and decided_by.pk != employee.pk
        and not decided_by.has_perm(roles.MANAGE_OPERATIONS)
    ):
        raise PromotionPermissionDenied


def notification_send(
    *,
    recipient,
    kind: str,
    data: dict[str, Any] | None = None,
    key: str | None = None,
    at: datetime | None = None,
) -> Notification | None:
    """Write an in-app notification; with ``key`` a second call for the same key writes
    nothing and returns None (scheduled reminders stay idempotent)."""
    if key and Notification.objects.filter(key=key).exists():
        return None
    try:
        with transaction.atomic():
            return Notification.objects.create(
                recipient=recipient,
                kind=kind,
                data=data or {},
                key=key or "",
                created_at=at or timezone.now(),
            )
    except IntegrityError:
        return None


def notifications_send(notifications: Iterable[Notification]) -> list[Notification]:
    """notification_send for many unsaved notifications in two queries: those whose key was
    already used are skipped (the keyed ones stay idempotent); returns the ones sent to the
    database (the unique key drops one that a concurrent call wrote meanwhile; bulk rows carry
    no primary key)."""
    notifications = list(notifications)
    keys = [n.key for n in notifications if n.key]
    used = (
        set(Notification.objects.filter(key__in=keys).values_list("key", flat=True))
        if keys
        else set()
    )
    fresh = [n for n in notifications if not n.key or n.key not in used]
    if not fresh:
        return []
    with transaction.atomic():
        return Notification.objects.bulk_create(fresh, ignore_conflicts=True)


@transaction.atomic
def notifications_mark_read(*, employee, ids: list[int] | None = None) -> int:
    """Mark ``employee``'s notifications read (all unread ones when ``ids`` is None)."""
    unread = Notification.objects.filter(recipient=employee, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=ids)
    return unread.update(read_at=timezone.now())


def promotion_event_record(
    *,
    employee,
    kind: str,
    from_level: int,
    to_level: int,
    at: datetime | None = None,
    decided_by=None,
    mentorship: Mentorship | None = None,
    evidence: dict | None = None,
    reasons: list[dict] | None = None,
    backfilled: bool = False,
) -> PromotionEvent:
    """The audit row of one level change (the level itself is set by the caller)."""
    return PromotionEvent.objects.create(
        employee=employee,
        kind=kind,
        from_level=from_level,
        to_level=to_level,
        at=at or timezone.now(),
        decided_by=decided_by,
        mentorship=mentorship,
        evidence=evidence or {},
        reasons=_known_reasons(reasons),
        reason="",
        backfilled=backfilled,
    )


def _known_reasons(reasons: list[dict] | None) -> list[dict]:
    """The reasons of a level change, stored as codes and rendered in the reader's language
    (PromotionEvent.reason_display; ``reason`` only keeps free text of rows written before).
    An unknown code is a programming error."""
    reasons = reasons or []
    unknown = [r.get("code") for r in reasons if r.get("code") not in REASON_MESSAGES]
    if unknown:
        raise ValueError(f"unknown demotion reason codes: {unknown}")
    return reasons


def _set_level(employee, level: int) -> None:
    get_user_model().objects.filter(pk=employee.pk).update(level=level)
    employee.level = level


def _close_open_periods(employee, now: datetime) -> None:
    RetentionPeriod.objects.filter(
        employee=employee, status__in=RetentionPeriod.OPEN_STATUSES
    ).update(status=RetentionPeriod.Status.CLOSED, closed_at=now)


def retention_period_open(*, event: PromotionEvent) -> RetentionPeriod | None:
    """Open the retention period (保级) that follows a promotion; None when the level has
    no requirement row."""
    req = selectors.requirement_for(event.to_level)
    if req is None:
        return None
    opens, due = retention_dates(event.at, req)
    return RetentionPeriod.objects.create(
        employee=event.employee,
        promotion=event,
        level=event.to_level,
        starts_at=event.at,
        retest_opens_at=opens,
        due_at=due,
        remind_at=due - timedelta(days=req.reminder_days_before_due),
        points_task=req.retention_points,
        apprentices_task=req.retention_apprentices,
        apprentice_from_level=req.apprentice_from_level if req.retention_apprentices else None,
        retest_attempts=req.retest_attempts,
    )


def _pay_mentor(event: PromotionEvent, mentorship: Mentorship | None) -> None:
    if mentorship is None or active_rule(PointRule.MENTOR_LEVEL_UP) is None:
        return
    entry = points_award(
        employee=mentorship.mentor,
        rule_code=PointRule.MENTOR_LEVEL_UP,
        source=f"mentor:{mentorship.pk}:{event.to_level}",
        note=f"{event.employee.name} {event.from_level}→{event.to_level}",
    )
    notification_send(
        recipient=mentorship.mentor,
        kind=Notification.Kind.MENTOR_PAID,
        data={"name": event.employee.name, "level": event.to_level, "points": entry.amount},
        key=f"mentor-paid:{mentorship.pk}:{event.to_level}",
    )


@retry_on_deadlock
@transaction.atomic
def employee_promote(*, employee, to_level: int, decided_by=None) -> PromotionEvent:
    """Promote ``employee`` one level after checking every requirement on the locked
    employee row. Records the PromotionEvent with its evidence, closes any running
    retention period and opens the new one, credits and pays the mentor 200 points once
    (selectors.creditable_mentorship; source "mentor:<mentorship>:<level>") and notifies the
    employee.

    Raises PromotionError (not the next level, no requirements, requirements missing —
    listed in ``missing``) or PromotionPermissionDenied (someone else who is not a manager)."""
    _check_manager(employee, decided_by)
    locked = _locked_employee(employee)
    if to_level != locked.level + 1 or to_level > MAX_LEVEL:
        raise PromotionError(_(MSG_NOT_NEXT_LEVEL) % {"level": to_level})
    items = selectors.promotion_checklist(locked, to_level)
    if not items:
        raise PromotionError(_(MSG_NO_REQUIREMENT) % {"level": to_level})
    missing = [f"{item.label} ({item.detail})" for item in items if not item.met]
    if missing:
        raise PromotionError(
            _(MSG_MISSING) % {"level": to_level, "missing": "; ".join(missing)}, missing=missing
        )
    evidence: dict[str, Any] = {}
    for item in items:
        evidence.update(item.evidence)
    evidence["decided_by"] = decided_by.staff_id if decided_by else None
    mentorship = selectors.creditable_mentorship(locked, to_level)
    now = timezone.now()
    from_level = locked.level
    _set_level(locked, to_level)
    employee.level = to_level
    _close_open_periods(locked, now)
    event = promotion_event_record(
        employee=locked,
        kind=PromotionEvent.Kind.PROMOTED,
        from_level=from_level,
        to_level=to_level,
        at=now,
        decided_by=decided_by,
        mentorship=mentorship,
        evidence=evidence,
    )
    retention_period_open(event=event)
    _pay_mentor(event, mentorship)
    level = Level.objects.filter(number=to_level).first()
    notification_send(
        recipient=locked,
        kind=Notification.Kind.PROMOTED,
        data={"level": to_level, "title": level.title if level else ""},
        key=f"promoted:{event.pk}",
    )
    return event


@retry_on_deadlock
@transaction.atomic
def employee_demote(
    *,
    employee,
    reasons: list[dict] | None = None,
    reason: str = "",
    decided_by=None,
    retention_period: RetentionPeriod | None = None,
) -> PromotionEvent:
    """Move ``employee`` down one level with the reason recorded (codes of
    REASON_MESSAGES in ``reasons``, or a manager's free text in ``reason``), close their
    running retention periods and notify them. Raises PromotionError (level 0, no reason)
    or PromotionPermissionDenied (someone else who is not a manager)."""
    _check_manager(employee, decided_by)
    reasons = list(reasons or [])
    if (reason or "").strip():
        reasons.append({"code": "manual", "params": {"text": reason.strip()}})
    if not reasons:
        raise PromotionError(_(MSG_REASON), field="reason")
    locked = _locked_employee(employee)
    if locked.level == 0:
        raise PromotionError(_(MSG_LEVEL_ZERO))
    [event] = _demote_locked(
        [(locked, reasons, retention_period)], now=timezone.now(), decided_by=decided_by
    )
    employee.level = locked.level
    return event


def _demote_locked(
    demotions: list[tuple[Any, list[dict], RetentionPeriod | None]],
    *,
    now: datetime,
    decided_by=None,
) -> list[PromotionEvent]:
    """THE demotion record, for one employee (employee_demote) or many (the retention job):
    each (employee, reasons, retention period or None) — the employee row already locked by
    the caller, its level above 0 — moves down one level; their open retention periods are
    closed; a PromotionEvent with the reasons and a notification are written per employee.
    A fixed number of statements whatever the number of employees."""
    if not demotions:
        return []
    employees = [employee for employee, _reasons, _period in demotions]
    ids = [employee.pk for employee in employees]
    get_user_model().objects.filter(pk__in=ids).update(level=F("level") - 1)
    RetentionPeriod.objects.filter(
        employee_id__in=ids, status__in=RetentionPeriod.OPEN_STATUSES
    ).update(status=RetentionPeriod.Status.CLOSED, closed_at=now)
    events = PromotionEvent.objects.bulk_create(
        [
            PromotionEvent(
                employee=employee,
                kind=PromotionEvent.Kind.DEMOTED,
                from_level=employee.level,
                to_level=employee.level - 1,
                at=now,
                decided_by=decided_by,
                reasons=_known_reasons(reasons),
                reason="",
                evidence={
                    "retention_period": period.pk if period else None,
                    "decided_by": decided_by.staff_id if decided_by else None,
                },
            )
            for employee, reasons, period in demotions
        ]
    )
    for employee in employees:
        employee.level -= 1
    notifications_send(
        Notification(
            recipient=employee,
            kind=Notification.Kind.DEMOTED,
            created_at=now,
            data={"level": employee.level, "reasons": event.reasons},
            key=f"demoted:{event.pk}",
        )
        for employee, event in zip(employees, events, strict=True)
    )
    return events


@transaction.atomic
def promotion_history_backfill(
    *,
    employee,
    kind: str,
    from_level: int,
    to_level: int,
    at: datetime,
    reasons: list[dict] | None = None,
    mentorship: Mentorship | None = None,
    with_retention: bool = False,
) -> PromotionEvent:
    """DEMO/IMPORT ONLY: write a past level change as history (backfilled=True) without
    checking requirements and without touching the current level. A promotion may open
    its retention period (``with_retention``); a demotion marks the employee's running
    retention periods failed. Idempotent per (employee, kind, from, to)."""
    existing = PromotionEvent.objects.filter(
        employee=employee, kind=kind, from_level=from_level, to_level=to_level, backfilled=True
    ).first()
    if existing is not None:
        return existing
    event = promotion_event_record(
        employee=employee,
        kind=kind,
        from_level=from_level,
        to_level=to_level,
        at=at,
        mentorship=mentorship,
        reasons=reasons,
        backfilled=True,
        evidence={"history": True},
    )
    if kind == PromotionEvent.Kind.DEMOTED:
        RetentionPeriod.objects.filter(
            employee=employee, status__in=RetentionPeriod.OPEN_STATUSES
        ).update(status=RetentionPeriod.Status.FAILED, closed_at=at)
    elif with_retention:
        retention_period_open(event=event)
    return event


@transaction.atomic
def mentorship_history_backfill(
    *, mentor, apprentice, from_level: int, started_at: datetime, ended_at: datetime | None = None
) -> Mentorship:
    """DEMO/IMPORT ONLY: a past or running pair written as history, without the level
    checks of mentorship_create. Idempotent per (mentor, apprentice, from_level)."""
    mentorship, _created = Mentorship.objects.get_or_create(
        mentor=mentor,
        apprentice=apprentice,
        from_level=from_level,
        defaults={"started_at": started_at, "ended_at": ended_at},
    )
    return mentorship


# --- exams -----------------------------------------------------------------------------


def _grade(attempt: ExamAttempt, answers: dict, now: datetime) -> ExamAttempt:
    keys = {q["id"] for q in attempt.questions}
    given = {
        str(k): str(v) for k, v in (answers or {}).items() if str(k) in keys and v not in (None, "")
    }
    attempt.answers = given
    attempt.correct_count = sum(1 for q in attempt.questions if given.get(q["id"]) == q["answer"])
    attempt.score_percent = score_percent(attempt.correct_count, len(attempt.questions))
    attempt.submitted_at = now
    if attempt.is_overdue(now):
        attempt.status = ExamAttempt.Status.EXPIRED
    elif attempt.score_percent >= attempt.pass_percent:
        attempt.status = ExamAttempt.Status.PASSED
    else:
        attempt.status = ExamAttempt.Status.FAILED
    attempt.save(
        update_fields=["answers", "correct_count", "score_percent", "submitted_at", "status"]
    )
    exam_item_responses_record(attempt=attempt)
    return attempt


def exam_item_responses_record(*, attempt: ExamAttempt) -> int:
    """Write one ExamItemResponse per question of the graded ``attempt`` (an unanswered
    question counts as not correct), the rows the item statistics aggregate. One insert;
    running it again for the same attempt writes nothing new. Returns the number of questions."""
    rows = [
        ExamItemResponse(
            attempt=attempt,
            case_id=q["case_id"],
            question_key=question_key(q),
            kind=str(q.get("kind", ""))[:24],
            correct=attempt.answers.get(q["id"]) == q["answer"],
        )
        for q in attempt.questions
        if isinstance(q.get("case_id"), int)
    ]
    return len(ExamItemResponse.objects.bulk_create(rows, ignore_conflicts=True))


@transaction.atomic
def exam_expire_overdue(*, employee, now: datetime | None = None) -> ExamAttempt | None:
    """Close ``employee``'s open attempt as expired when its time limit has passed (with the
    answers saved so far); returns it, or None when there was none to close."""
    now = now or timezone.now()
    attempt = (
        ExamAttempt.objects.select_for_update()
        .filter(employee=employee, status=ExamAttempt.Status.OPEN, deadline__lt=now)
        .first()
    )
    return _grade(attempt, attempt.answers, now) if attempt is not None else None


def exam_start(
    *,
    employee,
    level: int,
    rng: random.Random | None = None,
    exclude_case_ids: Collection[int] = (),
) -> ExamAttempt:
    """Start the level-``level`` exam, or resume the employee's open attempt of that level.

    An overdue open attempt is first closed as expired in its own transaction (so it stays
    closed, and counts, even when the new start is refused). Then, on the locked employee
    row (two concurrent starts make one attempt): selectors.exam_check decides — level,
    retake policy, exam pool — and a refusal raises ExamError with its exact message, with
    nothing drawn and no attempt written. Otherwise the level's exam_case_count cases are
    drawn from the pool (least exposed first, random among equals; without
    ``exclude_case_ids``, the cases the employee knows from their own work, nor the cases
    drawn as often as the exposure cap allows), their
    questions (with answers) are stored on the attempt, and each drawn case's exposure (exam
    use) is counted. A retention re-test ends at the period's due date at the latest.
    Raises ExamError."""
    exam_expire_overdue(employee=employee)
    return _exam_start(employee=employee, level=level, rng=rng, exclude_case_ids=exclude_case_ids)


@retry_on_deadlock
@transaction.atomic
def _exam_start(
    *, employee, level: int, rng: random.Random | None, exclude_case_ids: Collection[int]
) -> ExamAttempt:
    locked = _locked_employee(employee)
    now = timezone.now()
    running = (
        ExamAttempt.objects.select_for_update()
        .filter(employee=locked, status=ExamAttempt.Status.OPEN)
        .first()
    )
    if running is not None:
        if running.is_overdue(now):  # ran out between the two steps
            _grade(running, running.answers, now)
        elif running.level == level:
            return running
        else:
            raise PromotionConflict(
                _(MSG_OTHER_OPEN) % {"level": running.level}, code="other_exam_open"
            )
    check = selectors.exam_check(locked, level, now=now, exclude_case_ids=exclude_case_ids)
    if not check.allowed:
        raise ExamError(check.refusal)
    req = check.requirement
    # the exam blueprint: the candidate's position weights share the cases among competency items
    plan = selectors.exam_plan(locked.position_id, req.exam_case_count, check.config)
    draw = exam_draw(
        level,
        req.exam_case_count,
        rng or random.SystemRandom(),
        exclude_ids=check.excluded,
        max_per_case=check.config.max_questions_per_case,
        max_exposure=check.config.exam_exposure_cap or None,
        plan=plan,
    )
    if (
        len(draw.cases) < req.exam_case_count
    ):  # cases that yield nothing after all: never a short exam
        raise ExamError(
            _(MSG_POOL_SHORT)
            % {"level": level, "needed": check.needed, "available": len(draw.cases)}
        )
    deadline = now + timedelta(minutes=req.exam_time_limit_minutes)
    if check.retention_period is not None:  # evidence after the due date never counts
        deadline = min(deadline, check.retention_period.due_at)
    try:
        with transaction.atomic():
            attempt = ExamAttempt.objects.create(
                employee=locked,
                level=level,
                purpose=check.purpose,
                retention_period=check.retention_period,
                started_at=now,
                deadline=deadline,
                case_ids=sorted(case.pk for case in draw.cases),
                questions=draw.questions,
                pass_percent=req.exam_pass_percent,
            )
    except IntegrityError:  # defence in depth: the employee lock already serialises starts
        return ExamAttempt.objects.get(employee=locked, status=ExamAttempt.Status.OPEN)
    case_record_exam_uses(case_ids=attempt.case_ids, exam_ref=f"promotion-exam:{attempt.pk}")
    return attempt


@transaction.atomic
def exam_history_backfill(
    *, employee, level: int, at: datetime, rng: random.Random, answer: Callable[[dict], bool]
) -> ExamAttempt | None:
    """DEMO/IMPORT ONLY: a past promotion-exam attempt of ``level`` started at ``at``,
    written as history without the policy checks of exam_start: drawn like an exam (the
    least exposed test cases first, without the cases the employee knows; the exposure is
    counted), answered right where ``answer(question)`` says so, graded (passed or failed,
    with its item responses) 20 minutes later. None when the pool cannot fill an exam."""
    req = selectors.requirement_for(level)
    if req is None:
        return None
    config = selectors.exam_settings()
    draw = exam_draw(
        level,
        req.exam_case_count,
        rng,
        exclude_ids=cases_known_to(employee),
        max_per_case=config.max_questions_per_case,
        max_exposure=config.exam_exposure_cap or None,
    )
    if len(draw.cases) < req.exam_case_count:
        return None
    attempt = ExamAttempt.objects.create(
        employee=employee,
        level=level,
        purpose=ExamAttempt.Purpose.PROMOTION,
        started_at=at,
        deadline=at + timedelta(minutes=req.exam_time_limit_minutes),
        case_ids=sorted(c.pk for c in draw.cases),
        questions=draw.questions,
        pass_percent=req.exam_pass_percent,
        status=ExamAttempt.Status.FAILED,
    )
    case_record_exam_uses(case_ids=attempt.case_ids, exam_ref=f"promotion-exam:{attempt.pk}")
    answers = {
        q["id"]: q["answer"]
        if answer(q)
        else next((o["key"] for o in q["options"] if o["key"] != q["answer"]), "")
        for q in attempt.questions
    }
    return _grade(attempt, answers, at + timedelta(minutes=20))


@transaction.atomic
def exam_submit(*, attempt_id: int, employee, answers: dict[str, str]) -> ExamAttempt:
    """Grade ``employee``'s open attempt on the server: score = correct / questions; passed
    when the score reaches the pass mark; a submission after the deadline is recorded as
    expired (failed). Raises ExamAttempt.DoesNotExist (somebody else's attempt) or
    PromotionConflict (submitted)."""
    attempt = ExamAttempt.objects.select_for_update().get(pk=attempt_id, employee=employee)
    if attempt.status != ExamAttempt.Status.OPEN:
        raise PromotionConflict(_(MSG_SUBMITTED), code="already_submitted")
    return _grade(attempt, answers, timezone.now())


@transaction.atomic
def exam_answers_save(*, attempt_id: int, employee, answers: dict[str, str]) -> ExamAttempt:
    """Save answers of ``employee``'s open attempt before it is submitted (the exam page saves
    each choice as it is made, so a reload or leaving the page loses nothing; an attempt that
    expires is graded with them). Only this attempt's questions and their option keys are
    kept; an empty value leaves a saved answer alone. Nothing about right or wrong is
    answered. Raises ExamAttempt.DoesNotExist (somebody else's attempt) or PromotionConflict
    (submitted, or the server-side deadline has passed)."""
    attempt = ExamAttempt.objects.select_for_update().get(pk=attempt_id, employee=employee)
    if attempt.status != ExamAttempt.Status.OPEN:
        raise PromotionConflict(_(MSG_SUBMITTED), code="already_submitted")
    if attempt.is_overdue(timezone.now()):
        raise PromotionConflict(_(MSG_TIME_UP), code="time_up")
    options = {q["id"]: {str(o["key"]) for o in q.get("options", [])} for q in attempt.questions}
    given = {
        str(k): str(v) for k, v in (answers or {}).items() if str(v) in options.get(str(k), ())
    }
    if given:
        attempt.answers = {**attempt.answers, **given}
        attempt.save(update_fields=["answers"])
    return attempt


# --- mentoring -------------------------------------------------------------------------


@retry_on_deadlock
@transaction.atomic
def mentorship_create(*, mentor, apprentice, by) -> Mentorship:
    """Pair ``mentor`` with ``apprentice`` (managers only, never in a pair of their own: the
    mentor is paid). The mentor's level must allow mentoring (Level.can_mentor) and be above
    the apprentice's; one active mentor per apprentice; at most
    PromotionSettings.max_active_apprentices per mentor (both rows locked, in pk order).
    Raises PromotionPermissionDenied, PromotionError or PromotionConflict (the apprentice
    has a mentor, the mentor has as many apprentices as allowed)."""
    if not by.has_perm(roles.MANAGE_OPERATIONS) or by.pk in (mentor.pk, apprentice.pk):
        raise PromotionPermissionDenied
    if mentor.pk == apprentice.pk:
        raise PromotionError(_(MSG_MENTOR_SELF), field="apprentice")
    level = Level.objects.filter(number=mentor.level).first()
    if level is None or not level.can_mentor:
        raise PromotionError(_(MSG_CANNOT_MENTOR) % {"level": mentor.level}, field="mentor")
    if mentor.level <= apprentice.level:
        raise PromotionError(_(MSG_MENTOR_LEVEL), field="mentor")
    for person in sorted(
        (mentor, apprentice), key=lambda employee: employee.pk
    ):  # lock order: by pk
        _locked_employee(person)
    if Mentorship.objects.filter(apprentice=apprentice, ended_at__isnull=True).exists():
        raise PromotionConflict(_(MSG_HAS_MENTOR) % {"name": apprentice.name}, field="apprentice")
    limit = selectors.exam_settings().max_active_apprentices
    if Mentorship.objects.filter(mentor=mentor, ended_at__isnull=True).count() >= limit:
        raise PromotionConflict(
            _(MSG_MENTOR_FULL) % {"name": mentor.name, "count": limit}, field="mentor"
        )
    try:
        with transaction.atomic():
            return Mentorship.objects.create(
                mentor=mentor, apprentice=apprentice, from_level=apprentice.level, created_by=by
            )
    except IntegrityError:
        raise PromotionConflict(
            _(MSG_HAS_MENTOR) % {"name": apprentice.name}, field="apprentice"
        ) from None


@transaction.atomic
def mentorship_end(*, mentorship_id: int, by) -> Mentorship:
    if not by.has_perm(roles.MANAGE_OPERATIONS):
        raise PromotionPermissionDenied
    mentorship = Mentorship.objects.select_for_update().get(pk=mentorship_id)
    if mentorship.ended_at is not None:
        raise PromotionConflict(_(MSG_ENDED))
    mentorship.ended_at = timezone.now()
    mentorship.save(update_fields=["ended_at"])
    return mentorship


# --- medals ----------------------------------------------------------------------------


@transaction.atomic
def medal_award(*, medal: Medal, employee, by, reason: str) -> MedalAward:
    """A manager awards a medal to an outstanding contributor (reason required) — never to
    themselves (PromotionPermissionDenied with MSG_MEDAL_SELF)."""
    if not by.has_perm(AWARD_MEDALS):
        raise PromotionPermissionDenied
    if employee.pk == by.pk:
        raise PromotionPermissionDenied(_(MSG_MEDAL_SELF))
    if not (reason or "").strip():
        raise PromotionError(_(MSG_REASON), field="reason")
    award = MedalAward.objects.create(
        medal=medal, employee=employee, awarded_by=by, reason=reason.strip()
    )
    notification_send(
        recipient=employee,
        kind=Notification.Kind.MEDAL,
        data={"medal": medal.name},
        key=f"medal:{award.pk}",
    )
    return award


# --- retention (保级) -------------------------------------------------------------------


def _retention_verdict(
    status: selectors.RetentionStatus, now: datetime
) -> tuple[str | None, list[dict]]:
    """("kept", []) when everything is met; ("failed", reasons) when the period failed
    (all re-test attempts used without a pass, or due date passed with something unmet);
    (None, []) while it is still undecided."""
    period = status.period
    if status.all_met:
        return "kept", []
    exhausted = not status.exam_passed and status.attempts_left == 0 and not status.exam_open
    if now <= period.due_at and not exhausted:
        return None, []
    reasons = []
    if now > period.due_at and not status.points_met:
        reasons.append(
            {
                "code": "points_task",
                "params": {"earned": status.points_earned, "needed": period.points_task},
            }
        )
    if now > period.due_at and not status.apprentices_met:
        reasons.append(
            {
                "code": "apprentice_task",
                "params": {
                    "brought": status.apprentices_brought,
                    "needed": period.apprentices_task,
                },
            }
        )
    if exhausted:
        reasons.append({"code": "retest_exhausted", "params": {"attempts": period.retest_attempts}})
    elif not status.exam_passed:
        reasons.append({"code": "retest_exam", "params": {"level": period.level}})
    if now > period.due_at and not status.query_time_met:
        reasons.append({"code": "retest_query_time", "params": {"level": period.level}})
    return "failed", reasons


def retention_run_daily(*, now: datetime | None = None) -> dict[str, int]:
    """The daily retention job (idempotent; every step claims its periods with a conditional
    update and acts only on the rows it changed). Set-based: the number of queries does not
    grow with the number of periods (failed periods go in batches of RETENTION_FAIL_BATCH):

    1. open the re-test window of periods whose opening day came (and notify);
    2. decide open windows (evidence of all of them at once, selectors.retention_statuses):
       kept when points task, re-test exam and query time are met (closed in bulk);
       failed → demoted one level with the reasons (_demote_locked, as employee_demote) when
       the due date passed with something unmet or every re-test attempt failed;
    3. remind employees whose due date is near (once per period).
    Returns counts of what was done."""
    now = now or timezone.now()
    done = {"opened": _retention_open_due(now=now), "kept": 0, "demoted": 0, "reminded": 0}
    statuses = selectors.retention_statuses(
        RetentionPeriod.objects.filter(status=RetentionPeriod.Status.RETEST_OPEN).select_related(
            "employee"
        ),
        now,
    )
    kept, failed = [], {}
    for status in statuses.values():
        verdict, reasons = _retention_verdict(status, now)
        if verdict == "kept":
            kept.append(status.period.pk)
        elif verdict is not None:
            failed[status.period.pk] = reasons
    done["kept"] = _retention_keep(kept, now=now)
    ids = sorted(failed)
    for start in range(0, len(ids), RETENTION_FAIL_BATCH):
        done["demoted"] += _retention_fail(
            {pk: failed[pk] for pk in ids[start : start + RETENTION_FAIL_BATCH]}, now=now
        )
    done["reminded"] = _retention_remind_due(now=now)
    return done


# Every step of the daily job locks the EMPLOYEES first (all of the step's employees in one
# statement, by pk) and only then claims the periods with a conditional UPDATE
# (config/locks.py): a promotion or demotion of the same employee at the same moment takes the
# same two locks in the same order, so one waits for the other.


def _claim(candidates: QuerySet[RetentionPeriod], **changes) -> list[RetentionPeriod]:
    """Find the candidates, lock their employees, then claim those candidates that still
    match ``candidates``' conditions (re-checked under the periods' row locks) and apply
    ``changes`` to them. Returns the claimed periods (with their employees), in pk order."""
    found = list(candidates.values_list("pk", "employee_id"))
    if not found:
        return []
    employees_lock(employee_id for _pk, employee_id in found)
    claimed = list(
        candidates.filter(pk__in=[pk for pk, _employee_id in found])
        .select_for_update(of=("self",))
        .select_related("employee")
        .order_by("pk")
    )
    if claimed:
        RetentionPeriod.objects.filter(pk__in=[p.pk for p in claimed]).update(**changes)
    return claimed


@retry_on_deadlock
@transaction.atomic
def _retention_open_due(*, now: datetime) -> int:
    opened = _claim(
        RetentionPeriod.objects.filter(
            status=RetentionPeriod.Status.ACTIVE, retest_opens_at__lte=now
        ),
        status=RetentionPeriod.Status.RETEST_OPEN,
        retest_opened_at=now,
    )
    notifications_send(
        Notification(
            recipient=period.employee,
            kind=Notification.Kind.RETEST_OPEN,
            key=f"retest-open:{period.pk}",
            created_at=now,
            data={
                "level": period.level,
                "due": timezone.localtime(period.due_at).date().isoformat(),
            },
        )
        for period in opened
    )
    return len(opened)


@retry_on_deadlock
@transaction.atomic
def _retention_keep(period_ids: list[int], *, now: datetime) -> int:
    """Close the still-open periods among ``period_ids`` as kept, in bulk, and notify."""
    if not period_ids:
        return 0
    kept = _claim(
        RetentionPeriod.objects.filter(
            pk__in=period_ids, status=RetentionPeriod.Status.RETEST_OPEN
        ),
        status=RetentionPeriod.Status.KEPT,
        closed_at=now,
    )
    notifications_send(
        Notification(
            recipient=period.employee,
            kind=Notification.Kind.KEPT,
            data={"level": period.level},
            key=f"kept:{period.pk}",
            created_at=now,
        )
        for period in kept
    )
    return len(kept)


# Failed periods are closed and their employees demoted in batches of this many: one short
# transaction per batch (employees locked first, then the periods claimed), a fixed number of
# statements per batch.
RETENTION_FAIL_BATCH = 500


@retry_on_deadlock
@transaction.atomic
def _retention_fail(failures: dict[int, list[dict]], *, now: datetime) -> int:
    """Close the still-open periods among ``failures`` (period pk → reasons) as failed and
    demote, with those reasons, each employee who still holds the period's level (one who
    was demoted or promoted meanwhile keeps their level). Returns how many were demoted."""
    failed = _claim(
        RetentionPeriod.objects.filter(
            pk__in=list(failures), status=RetentionPeriod.Status.RETEST_OPEN
        ),
        status=RetentionPeriod.Status.FAILED,
        closed_at=now,
    )
    demotions, seen = [], set()
    for period in failed:  # the employees were locked by _claim before their rows were read
        if (
            period.employee.level == period.level
            and period.level > 0
            and period.employee_id not in seen
        ):
            seen.add(period.employee_id)
            demotions.append((period.employee, failures[period.pk], period))
    return len(_demote_locked(demotions, now=now))


@retry_on_deadlock
@transaction.atomic
def _retention_remind_due(*, now: datetime) -> int:
    reminded = _claim(
        RetentionPeriod.objects.filter(
            status=RetentionPeriod.Status.RETEST_OPEN, reminded_at__isnull=True, remind_at__lte=now
        ),
        reminded_at=now,
    )
    statuses = selectors.retention_statuses(reminded, now)
    notifications_send(
        Notification(
            recipient=period.employee,
            kind=Notification.Kind.RETEST_DUE_SOON,
            key=f"retest-due:{period.pk}",
            created_at=now,
            data={
                "level": period.level,
                "due": timezone.localtime(period.due_at).date().isoformat(),
                "earned": statuses[period.pk].points_earned,
                "needed": period.points_task,
                "passed": "✓" if statuses[period.pk].retest_met else "✗",
            },
        )
        for period in reminded
    )
    return len(reminded)
