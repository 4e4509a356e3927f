"""Promotion forecast and workforce view (reads only).

Per employee: the next promotion's checklist (promotion.selectors.promotion_checklists, the
one rule), the pace of the last PromotionSettings.pace_days days (points, next-level training
cases and apprentices per week), the requirement that holds the promotion back longest (the
bottleneck) and the date the pace reaches every numeric requirement — or None, "not at this
pace". Per team or centre: the level distribution at the end of each month, promotions and
demotions per month, re-tests due soon, the retention periods at risk and a remedial plan for
each (unstudied training cases of the level and the courses of the gap analysis).

Every selector here reads many employees in a constant number of queries (no query per
employee): tests/promotion test_forecast counts them."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.auth import get_user_model
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts import roles
from promotion.models import PromotionEvent, PromotionSettings, RetentionPeriod
from promotion.selectors import ChecklistItem, promotion_checklists, retention_statuses

# Checklist items with a count the pace can project: item code → evidence keys (done, needed).
NUMERIC = {
    "points": ("points", "needed"),
    "training_cases": ("studied", "needed"),
    "apprentices": ("apprentices", "needed"),
}
MONTHS = 12  # months of history on the workforce charts
PLAN_COURSES = 3  # courses named in a remedial plan


@dataclass
class Pace:
    """Per-week rates over the last ``days`` days (Decimal, 2 places)."""

    days: int
    points: Decimal = Decimal("0")
    training_cases: Decimal = Decimal("0")
    apprentices: Decimal = Decimal("0")

    def per_week(self, code: str) -> Decimal:
        return getattr(self, code)


@dataclass
class Forecast:
    """One employee's road to the next level. ``estimated_on`` is None when some numeric
    requirement makes no progress at this pace (or when there is no next level)."""

    employee: object
    next_level: int | None
    items: list[ChecklistItem]
    pace: Pace
    bottleneck: ChecklistItem | None
    estimated_on: date | None
    weeks: dict[str, Decimal | None] = field(
        default_factory=dict
    )  # unmet numeric item → weeks left, None: never

    @property
    def all_met(self) -> bool:
        return bool(self.items) and all(item.met for item in self.items)

    @property
    def has_next(self) -> bool:
        return bool(self.items)


def _rate(count: int | Decimal, days: int) -> Decimal:
    return (Decimal(count) * 7 / Decimal(days)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def estimate(
    items: Sequence[ChecklistItem], pace: Pace, today: date
) -> tuple[ChecklistItem | None, date | None, dict[str, Decimal | None]]:
    """THE forecast rule, without queries: (bottleneck, estimated date, weeks per unmet
    numeric item). Each unmet numeric requirement (points, training cases, apprentices)
    needs (needed − done) ÷ its weekly pace weeks, rounded up to whole days; none at a pace
    of 0. The estimate is today + the longest of them, None when one makes no progress. The
    bottleneck is the unmet numeric requirement that takes longest (the first in checklist
    order among equals, one without progress first of all); the exam and the query-time
    result, done in one sitting, are the bottleneck only when every numeric requirement is
    met. Everything met: (None, today)."""
    days_needed: dict[str, float] = {}
    weeks: dict[str, Decimal | None] = {}
    for item in items:
        if item.met or item.code not in NUMERIC:
            continue
        done_key, needed_key = NUMERIC[item.code]
        remaining = (item.evidence.get(needed_key) or 0) - (item.evidence.get(done_key) or 0)
        rate = pace.per_week(item.code)
        if rate <= 0:
            days_needed[item.code], weeks[item.code] = math.inf, None
        else:
            exact = Decimal(remaining) / rate
            weeks[item.code] = exact.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
            days_needed[item.code] = math.ceil(exact * 7)
    if days_needed:
        code = max(days_needed, key=lambda c: days_needed[c])  # max keeps the first of equals
        bottleneck = next(item for item in items if item.code == code)
        longest = days_needed[code]
        return bottleneck, (None if longest == math.inf else today + timedelta(days=longest)), weeks
    bottleneck = next((item for item in items if not item.met), None)
    return bottleneck, today, weeks


def _window_start(days: int, now: datetime) -> datetime:
    return now - timedelta(days=days)


def paces(employees: Sequence, *, days: int, now: datetime) -> dict[int, Pace]:
    """The pace of each employee over the last ``days`` days: points written, training cases
    of their next level studied, apprentices they brought up one level (three queries)."""
    from casebase.selectors import training_studied_counts
    from points.models import PointsEntry

    ids = [e.pk for e in employees]
    since = _window_start(days, now)
    points = dict(
        PointsEntry.objects.filter(employee_id__in=ids, created_at__gte=since, created_at__lte=now)
        .order_by()
        .values("employee")
        .annotate(t=Sum("amount"))
        .values_list("employee", "t")
    )
    studied = training_studied_counts(ids, since=since)
    brought = dict(
        PromotionEvent.objects.filter(
            kind=PromotionEvent.Kind.PROMOTED,
            mentorship__mentor__in=ids,
            at__gte=since,
            at__lte=now,
        )
        .order_by()
        .values("mentorship__mentor")
        .annotate(n=Count("employee", distinct=True))
        .values_list("mentorship__mentor", "n")
    )
    return {
        e.pk: Pace(
            days=days,
            points=_rate(max(points.get(e.pk) or 0, 0), days),
            training_cases=_rate(studied.get((e.pk, e.level + 1), 0), days),
            apprentices=_rate(brought.get(e.pk, 0), days),
        )
        for e in employees
    }


def forecasts(employees: Iterable, *, now: datetime | None = None) -> list[Forecast]:
    """The forecast of each employee (in the given order) in a constant number of queries."""
    now = now or timezone.now()
    employees = list(employees)
    if not employees:
        return []
    config = PromotionSettings.current()
    checklists = promotion_checklists(employees)
    pace_of = paces(employees, days=config.pace_days, now=now)
    today = timezone.localdate(now)
    result = []
    for employee in employees:
        items = checklists[employee.pk]
        bottleneck, when, weeks = (
            estimate(items, pace_of[employee.pk], today) if items else (None, None, {})
        )
        result.append(
            Forecast(
                employee=employee,
                next_level=employee.level + 1 if items else None,
                items=items,
                pace=pace_of[employee.pk],
                bottleneck=bottleneck,
                estimated_on=when,
                weeks=weeks,
            )
        )
    return result


def forecast_of(employee, *, now: datetime | None = None) -> Forecast:
    return forecasts([employee], now=now)[0]


# --- who sees which part of the workforce ---------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """The employees a viewer may see on the workforce page: everyone (HR), one centre
    (an operations manager of a centre: the centre's manager), one team (a team leader)."""

    centre_id: int | None = None
    team_id: int | None = None
    everyone: bool = False
    employee_id: int | None = None  # one employee (their own page)


def workforce_scope(user) -> Scope | None:
    """HR (roster exports) see everyone; an operations manager with a centre sees that centre;
    a team leader (behaviour ratings) with a team sees the team; anybody else: None (403)."""
    if user.has_perm(roles.EXPORT_ROSTERS):
        return Scope(everyone=True)
    if user.has_perm(roles.MANAGE_OPERATIONS) and user.centre_id:
        return Scope(centre_id=user.centre_id)
    if user.has_perm(roles.RATE_BEHAVIOUR) and user.team_id:
        return Scope(team_id=user.team_id)
    return None


def narrow(
    scope: Scope, *, centre_id: int | None = None, team_id: int | None = None
) -> Scope | None:
    """``scope`` narrowed to a requested centre or team; None when the request reaches outside
    it (a team leader asking for another team)."""
    from accounts.models import Team

    if team_id:
        team = Team.objects.filter(pk=team_id).values_list("centre_id", flat=True).first()
        if team is None:
            return None
        if (
            scope.everyone
            or scope.team_id == team_id
            or (scope.centre_id and scope.centre_id == team)
        ):
            return Scope(team_id=team_id)
        return None
    if centre_id:
        if scope.everyone or scope.centre_id == centre_id:
            return Scope(centre_id=centre_id)
        return None
    return scope


def _people(scope: Scope, prefix: str = "") -> Q:
    if scope.employee_id:
        return Q(**{f"{prefix}pk" if not prefix else f"{prefix}id": scope.employee_id})
    if scope.team_id:
        return Q(**{f"{prefix}team_id": scope.team_id})
    if scope.centre_id:
        return Q(**{f"{prefix}centre_id": scope.centre_id})
    return Q()


def employees_in(scope: Scope) -> QuerySet:
    """Active employees (not administrators' accounts) in ``scope``, by staff ID."""
    return (
        get_user_model()
        .objects.filter(_people(scope), is_active=True, is_superuser=False)
        .select_related("team", "centre")
        .order_by("staff_id")
    )


# --- per team / centre ------------------------------------------------------------------


def _month_starts(today: date, months: int) -> list[date]:
    first = today.replace(day=1)
    starts = []
    for back in range(months - 1, -1, -1):
        year, month = divmod(first.year * 12 + first.month - 1 - back, 12)
        starts.append(date(year, month + 1, 1))
    return starts


def _aware(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


@dataclass
class MonthLevels:
    month: date
    counts: list[int]  # employees at level 0..5 at the end of the month (today for this month)


@dataclass
class MonthMoves:
    month: date
    promoted: int
    demoted: int


def level_distribution(
    scope: Scope, *, months: int = MONTHS, now: datetime | None = None
) -> list[MonthLevels]:
    """Employees per level at the end of each of the last ``months`` local months (the
    current month: now), rebuilt from today's levels by undoing later level changes; an
    employee counts from the month of their hire date (always, without one). Two queries."""
    now = now or timezone.now()
    starts = _month_starts(timezone.localdate(now), months)
    people = list(employees_in(scope).values_list("pk", "level", "hire_date"))
    events: dict[int, list[tuple[datetime, int]]] = defaultdict(list)
    for employee, at, kind in PromotionEvent.objects.filter(
        _people(scope, "employee__"),
        at__gte=_aware(starts[0]),
        employee__is_active=True,
        employee__is_superuser=False,
    ).values_list("employee", "at", "kind"):
        events[employee].append((at, 1 if kind == PromotionEvent.Kind.PROMOTED else -1))
    result = []
    for index, start in enumerate(starts):
        end = _aware(starts[index + 1]) if index + 1 < len(starts) else now
        counts = [0] * 6
        last_day = (
            timezone.localdate(end)
            if index + 1 == len(starts)
            else starts[index + 1] - timedelta(days=1)
        )
        for pk, level, hired in people:
            if hired and hired > last_day:
                continue
            at_end = level - sum(delta for at, delta in events.get(pk, ()) if at >= end)
            counts[min(max(at_end, 0), 5)] += 1
        result.append(MonthLevels(month=start, counts=counts))
    return result


def monthly_moves(
    scope: Scope, *, months: int = MONTHS, now: datetime | None = None
) -> list[MonthMoves]:
    """Promotions and demotions per local month over the last ``months`` months (one query)."""
    now = now or timezone.now()
    starts = _month_starts(timezone.localdate(now), months)
    rows = (
        PromotionEvent.objects.filter(_people(scope, "employee__"), at__gte=_aware(starts[0]))
        .annotate(month=TruncMonth("at", tzinfo=timezone.get_current_timezone()))
        .order_by()
        .values("month")
        .annotate(
            up=Count("pk", filter=Q(kind=PromotionEvent.Kind.PROMOTED)),
            down=Count("pk", filter=Q(kind=PromotionEvent.Kind.DEMOTED)),
        )
    )
    by_month = {
        timezone.localtime(row["month"]).date()
        if isinstance(row["month"], datetime)
        else row["month"]: row
        for row in rows
    }
    return [
        MonthMoves(
            month=start,
            promoted=by_month.get(start, {}).get("up", 0),
            demoted=by_month.get(start, {}).get("down", 0),
        )
        for start in starts
    ]


def retests_due(
    scope: Scope, *, now: datetime | None = None, days: int | None = None
) -> QuerySet[RetentionPeriod]:
    """Running retention periods in ``scope`` whose re-test window is open or opens within
    ``days`` (PromotionSettings.retest_horizon_days), soonest due first."""
    now = now or timezone.now()
    days = days if days is not None else PromotionSettings.current().retest_horizon_days
    return (
        RetentionPeriod.objects.filter(
            _people(scope, "employee__"),
            status__in=RetentionPeriod.OPEN_STATUSES,
            due_at__gte=now,
            retest_opens_at__lte=now + timedelta(days=days),
        )
        .select_related("employee", "employee__team")
        .order_by("due_at", "pk")
    )


@dataclass
class RemedialPlan:
    """What to do before the re-test of ``level``: the level's training cases not studied yet
    and the courses the gap analysis advises."""

    level: int
    cases_left: int
    courses: list = field(default_factory=list)  # curriculum.models.Course

    def text(self) -> str:
        parts = []
        if self.cases_left:
            parts.append(
                ngettext(
                    "study %(n)s level-%(level)s training case not studied yet",
                    "study %(n)s level-%(level)s training cases not studied yet",
                    self.cases_left,
                )
                % {"n": self.cases_left, "level": self.level}
            )
        if self.courses:
            parts.append(
                _("courses: %(names)s") % {"names": "、".join(c.title for c in self.courses)}
            )
        return "; ".join(parts) if parts else _("review the level's training cases")


def remedial_plans(
    pairs: Iterable[tuple[object, int]],
    *,
    studied: Mapping[tuple[int, int], int] | None = None,
    totals: Mapping[int, int] | None = None,
) -> dict[tuple[int, int], RemedialPlan]:
    """{(employee pk, level): plan} for (employee, level of the re-test) pairs — an employee
    with two open periods has a plan for each level: the level's active
    training cases minus those studied, and the first PLAN_COURSES courses of the
    employee's gap analysis (curriculum.gaps.advice_of_many). Eight queries whatever the
    number of employees; six when the caller passes ``studied`` ({(employee pk, level):
    cases studied}, casebase.selectors.training_studied_counts_of — the roster reads them
    once for all its rows) and ``totals`` (casebase.selectors.training_totals)."""
    from casebase.selectors import training_studied_counts, training_totals
    from curriculum.gaps import advice_of_many

    pairs = list(pairs)
    if not pairs:
        return {}
    employees = [employee for employee, _level in pairs]
    if totals is None:
        totals = training_totals()
    if studied is None:
        studied = training_studied_counts([e.pk for e in employees])
    advice = advice_of_many({e.pk: e for e in employees}.values())
    return {
        (employee.pk, level): RemedialPlan(
            level=level,
            cases_left=max(totals.get(level, 0) - studied.get((employee.pk, level), 0), 0),
            courses=[one.course for one in advice[employee.pk][:PLAN_COURSES]],
        )
        for employee, level in pairs
    }


@dataclass
class RiskRow:
    period: RetentionPeriod
    days_left: int
    missing: list[str]
    plan: RemedialPlan


def retention_risks(scope: Scope, *, now: datetime | None = None) -> list[RiskRow]:
    """Running retention periods in ``scope`` with fewer than PromotionSettings.risk_days_left
    days before their due date whose points task, apprentice task or query-time result is
    still missing (promotion.selectors.retention_statuses decides each), soonest due first,
    each with its remedial plan. A constant number of queries."""
    now = now or timezone.now()
    left = PromotionSettings.current().risk_days_left
    periods = (
        RetentionPeriod.objects.filter(
            _people(scope, "employee__"),
            status__in=RetentionPeriod.OPEN_STATUSES,
            due_at__gte=now,
            due_at__lt=now + timedelta(days=left),
        )
        .select_related("employee", "employee__team")
        .order_by("due_at", "pk")
    )
    statuses = retention_statuses(periods, now)
    rows = []
    for status in statuses.values():
        missing = []
        if not status.points_met:
            missing.append(
                _("points %(earned)s / %(needed)s")
                % {"earned": status.points_earned, "needed": status.period.points_task}
            )
        if not status.apprentices_met:
            missing.append(
                _("apprentices %(brought)s / %(needed)s")
                % {"brought": status.apprentices_brought, "needed": status.period.apprentices_task}
            )
        if not status.query_time_met:
            missing.append(_("query-time result"))
        if missing:
            rows.append((status.period, missing))
    plans = remedial_plans((period.employee, period.level) for period, _missing in rows)
    return [
        RiskRow(
            period=period,
            days_left=max((period.due_at - now).days, 0),
            missing=missing,
            plan=plans[(period.employee_id, period.level)],
        )
        for period, missing in rows
    ]


def own_risk(employee, *, now: datetime | None = None) -> RiskRow | None:
    """The employee's own retention risk (retention_risks of a one-person scope), else None."""
    return next(iter(retention_risks(Scope(employee_id=employee.pk), now=now)), None)


@dataclass
class Workforce:
    scope: Scope
    headcount: int
    levels: list[MonthLevels]
    moves: list[MonthMoves]
    retests: list[RetentionPeriod]
    retest_count: int
    risks: list[RiskRow]
    horizon_days: int
    risk_days: int


RETEST_LIST = 50  # re-tests listed on the page (the count covers them all)


def workforce(scope: Scope, *, now: datetime | None = None) -> Workforce:
    """The team's or centre's numbers: headcount, level distribution per month, promotions
    and demotions per month, re-tests due soon (count and the first RETEST_LIST), retention
    risks with plans. A constant number of queries."""
    now = now or timezone.now()
    config = PromotionSettings.current()
    due = retests_due(scope, now=now, days=config.retest_horizon_days)
    return Workforce(
        scope=scope,
        headcount=employees_in(scope).count(),
        levels=level_distribution(scope, now=now),
        moves=monthly_moves(scope, now=now),
        retests=list(due[:RETEST_LIST]),
        retest_count=due.count(),
        risks=retention_risks(scope, now=now),
        horizon_days=config.retest_horizon_days,
        risk_days=config.risk_days_left,
    )
