"""Reads of the points app: balances are sums over the ledger."""

from datetime import date, datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.db.models import Count, Prefetch, Q, QuerySet, Sum
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from config.cache_versions import CacheVersion
from points.models import (
    PointRule,
    PointsEntry,
    QCGroup,
    QCGroupMember,
    QCTopic,
    RationalisationProposal,
    VolunteerSheet,
    VolunteerSheetRow,
)

PERIODS = {"all": None, "7d": 7, "30d": 30, "90d": 90, "365d": 365}


def active_rule(code: str) -> PointRule | None:
    """The rule ``code`` when it exists and is active, else None (nothing should be paid)."""
    return PointRule.objects.filter(code=code, active=True).first()


def reviewers_amount(amounts) -> int | None:
    """The award the approving members chose: the LOWER median of their ``amounts`` (ints;
    None values — votes cast before amounts were required — are skipped). For an odd count
    the middle value; for an even count the lower of the two middle values (2, 3, 4, 5 → 3),
    so the award is always one of the amounts chosen and never a fraction. None when nobody
    chose an amount."""
    chosen = sorted(int(a) for a in amounts if a is not None)
    if not chosen:
        return None
    return chosen[(len(chosen) - 1) // 2]


def entries_within(employee, *, since=None, until=None) -> QuerySet[PointsEntry]:
    """``employee``'s entries written from ``since`` up to and including ``until`` (each
    bound only when given). Arguments may be values or expressions such as OuterRef (the
    retention job sums this per period in one query)."""
    entries = PointsEntry.objects.filter(employee=employee)
    if since is not None:
        entries = entries.filter(created_at__gte=since)
    if until is not None:
        entries = entries.filter(created_at__lte=until)
    return entries


def points_balance(
    employee, *, since: datetime | None = None, until: datetime | None = None
) -> int:
    """Sum of ``employee``'s entries written from ``since`` up to and including ``until``
    (each bound only when given); 0 without entries."""
    return entries_within(employee, since=since, until=until).balance()


def ledger_version(employee_id: int) -> int:
    """A number that changes whenever an entry is written for the employee (the post_save
    receiver in points.apps): pages rendered from their ledger are cached under it."""
    return CacheVersion(f"points:ledger:{employee_id}").current()


def ledger_changed(*, instance, **_signal_kwargs) -> None:
    CacheVersion(f"points:ledger:{instance.employee_id}").bump()


def day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def points_history(employee) -> QuerySet[PointsEntry]:
    """``employee``'s entries, newest first ("My points" and the API filter them through
    points.filters.PointsHistoryFilter)."""
    return (
        PointsEntry.objects.filter(employee=employee)
        .select_related("rule", "granted_by")
        .order_by("-created_at", "-pk")
    )


def period_start(period: str) -> datetime | None:
    """Start of a leaderboard period ("7d", "30d", "90d", "365d"); None for "all" or unknown."""
    days = PERIODS.get(period)
    return timezone.now() - timedelta(days=days) if days else None


def leaderboard(*, centre=None, since: datetime | None = None, limit: int = 20) -> QuerySet:
    """Employees (of ``centre`` when given) annotated with ``balance`` — the sum of their
    entries since ``since`` — best first, only those above zero; one query."""
    entry_filter = Q(points_entries__created_at__gte=since) if since is not None else Q()
    users = get_user_model().objects.filter(is_active=True)
    if centre is not None:
        users = users.filter(centre=centre)
    return (
        users.annotate(balance=Coalesce(Sum("points_entries__amount", filter=entry_filter), 0))
        .filter(balance__gt=0)
        .select_related("team")
        .order_by("-balance", "staff_id")[:limit]
    )


def cumulative_series(employee) -> list[tuple[date, int]]:
    """(local day, balance at the end of that day) for each day with entries, oldest first;
    [] without entries. One query."""
    rows = (
        PointsEntry.objects.filter(employee=employee)
        .annotate(day=TruncDate("created_at", tzinfo=timezone.get_current_timezone()))
        .values("day")
        .annotate(total=Sum("amount"))
        .order_by("day")
    )
    series, running = [], 0
    for row in rows:
        running += row["total"]
        series.append((row["day"], running))
    return series


def rationalisation_proposals_of(*, proposer) -> QuerySet[RationalisationProposal]:
    return RationalisationProposal.objects.filter(proposer=proposer).select_related("judged_by")


def rationalisation_pending() -> QuerySet[RationalisationProposal]:
    return (
        RationalisationProposal.objects.filter(status=RationalisationProposal.Status.SUBMITTED)
        .select_related("proposer")
        .order_by("created_at", "pk")
    )


def volunteer_sheets_pending() -> QuerySet[VolunteerSheet]:
    """Volunteer sheets awaiting a second manager's confirmation, oldest first, with their
    rows (employee loaded)."""
    return (
        VolunteerSheet.objects.filter(status=VolunteerSheet.Status.PENDING)
        .select_related("imported_by")
        .prefetch_related(
            Prefetch(
                "rows",
                queryset=VolunteerSheetRow.objects.select_related("employee").order_by("line"),
            )
        )
        .order_by("imported_at", "pk")
    )


def qc_topics() -> QuerySet[QCTopic]:
    """Topics newest first, annotated with ``group_count``."""
    return (
        QCTopic.objects.annotate(group_count=Count("groups"))
        .select_related("published_by")
        .order_by("-created_at", "-pk")
    )


def qc_groups_of_topic(topic: QCTopic) -> QuerySet[QCGroup]:
    return topic.groups.select_related("created_by", "completed_by").prefetch_related(
        Prefetch("members", queryset=QCGroupMember.objects.select_related("employee"))
    )
