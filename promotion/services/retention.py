"""The daily retention (保级) job, retention_run_daily: set-based steps, each locking its
employees first and then claiming its periods (config/locks.py); failed periods demote through
levels._demote_locked. The period itself is opened by the promotion
(levels.retention_period_open)."""

from datetime import datetime

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from accounts.services import employees_lock
from config.locks import retry_on_deadlock
from promotion import selectors
from promotion.models import Notification, RetentionPeriod
from promotion.services.levels import _demote_locked
from promotion.services.notifications import notifications_send


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
