"""The employee's level changes only here: employee_promote (checks every requirement),
employee_demote (managers), _demote_locked (one employee or a batch: employee_demote and the
retention job) and promotion_history_backfill (demo history); each writes a PromotionEvent
through promotion_event_record. A promotion opens the retention period that follows it
(retention_period_open) and pays the mentor."""

from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts import roles
from accounts.levels import MAX_LEVEL
from config.locks import retry_on_deadlock
from points.models import PointRule
from points.selectors import active_rule
from points.services import points_award
from promotion import selectors
from promotion.models import (
    REASON_MESSAGES,
    Level,
    Mentorship,
    Notification,
    PromotionEvent,
    RetentionPeriod,
    retention_dates,
)
from promotion.selectors import MSG_NO_REQUIREMENT
from promotion.services.common import (
    MSG_REASON,
    PromotionError,
    PromotionPermissionDenied,
    _locked_employee,
)
from promotion.services.notifications import notification_send, notifications_send

# Exact messages (tests and API clients assert them).
MSG_NOT_NEXT_LEVEL = gettext_noop(
    "Promotion goes one level at a time: level %(level)s is not the next level."
)
MSG_MISSING = gettext_noop(
    "Promotion to level %(level)s is not possible yet. Missing: %(missing)s."
)
MSG_LEVEL_ZERO = gettext_noop("Level 0 is the lowest level.")


def _check_manager(employee, decided_by) -> None:
    if (
        decided_by is not None
        and decided_by.pk != employee.pk
        and not decided_by.has_perm(roles.MANAGE_OPERATIONS)
    ):
        raise PromotionPermissionDenied


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
