import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts import roles
from config.diffs import fields_diff_html
from config.trees import path_labels
from knowledgebase.models import (
    Category,
    Entry,
    EntryChange,
    QueryTestSession,
    QueryTimeTest,
    QueryTimeThreshold,
)
from review.models import Proposal

# The knowledge base's proposal kinds (registered in knowledgebase.review_kinds).
KIND_REVISION = "kb_revision"
KIND_NEW_ENTRY = "kb_new_entry"


def category_choices() -> list[tuple[int, str]]:
    """(id, "parent / child" label) for every category, tree order (one query)."""
    return path_labels(Category, " / ")


def entry_history(entry: Entry) -> QuerySet:
    """Historical versions of ``entry``, newest first, with the user who made each."""
    return entry.history.select_related("history_user").order_by("-history_date", "-history_id")


@dataclass(frozen=True)
class HistoryRow:
    """One version of an entry on its history page: when, by whom, what kind of change
    (``change``: its EntryChange row, None for versions written before those rows existed,
    whose ``legacy_reason`` is the history's stored text) and why."""

    version: int
    date: datetime
    author: object | None
    change: EntryChange | None
    legacy_reason: str = ""

    @property
    def reason(self) -> str:
        return self.change.reason if self.change is not None else self.legacy_reason


def entry_history_rows(entry: Entry, *, limit: int) -> list[HistoryRow]:
    """The newest ``limit`` versions of ``entry``, newest first, each once: committee-applied
    and direct changes alike, from the EntryChange rows (kind, via, author, reason, proposal)
    with the history's record where a version has none. Two queries."""
    records = list(entry_history(entry)[: limit * 2])
    changes = {
        c.version: c
        for c in EntryChange.objects.filter(
            entry=entry, version__in={r.version for r in records}
        ).select_related("author", "proposal")
    }
    rows: list[HistoryRow] = []
    seen: set[int] = set()
    for record in records:  # newest first: the first record of a version is the version as it stood
        if record.version in seen:
            continue
        seen.add(record.version)
        change = changes.get(record.version)
        if change is not None:
            rows.append(
                HistoryRow(
                    version=change.version,
                    date=change.created_at,
                    author=change.author,
                    change=change,
                )
            )
        else:
            rows.append(
                HistoryRow(
                    version=record.version,
                    date=record.history_date,
                    author=record.history_user,
                    change=None,
                    legacy_reason=record.history_change_reason or "",
                )
            )
    return rows[:limit]


def maintainable_entries(
    *, query: str = "", status: str = "current", category_ids: set[int] | None = None
) -> QuerySet:
    """Entries for the maintainers' list: ``status`` "current" (not retired), "retired" or
    "all"; ``query`` matches the title or keywords (icontains); newest change first."""
    entries = Entry.objects.select_related("category").only(
        "pk",
        "title",
        "version",
        "retired_at",
        "updated_at",
        "effective_from",
        "effective_to",
        "category__name",
    )
    if status == "current":
        entries = entries.filter(retired_at__isnull=True)
    elif status == "retired":
        entries = entries.filter(retired_at__isnull=False)
    if query:
        entries = entries.filter(Q(title__icontains=query) | Q(keywords__icontains=query))
    if category_ids:
        entries = entries.filter(category_id__in=category_ids)
    return entries.order_by("-updated_at", "-pk")


def entry_version_fields(entry: Entry, version: int) -> dict[str, str] | None:
    """Title/category/keywords/body of ``entry`` at ``version``; None when that version is
    not in the history."""
    record = entry.history.filter(version=version).order_by("-history_date", "-history_id").first()
    if record is None:
        return None
    category = (
        Category.objects.filter(pk=record.category_id).values_list("name", flat=True).first() or ""
    )
    return {
        "title": record.title,
        "category": category,
        "keywords": record.keywords,
        "body": record.body,
    }


def _fields(payload: dict) -> dict[str, str]:
    category = (
        Category.objects.filter(pk=payload.get("category_id"))
        .values_list("name", flat=True)
        .first()
        or ""
    )
    return {
        "title": payload.get("title", ""),
        "category": category,
        "keywords": payload.get("keywords", ""),
        "body": payload.get("body", ""),
    }


def entry_fields(entry: Entry) -> dict[str, str]:
    return {
        "title": entry.title,
        "category": entry.category.name,
        "keywords": entry.keywords,
        "body": entry.body,
    }


# An entry's content as people compare it, in this order.
ENTRY_DIFF_FIELDS = [
    ("title", gettext_noop("Title")),
    ("category", gettext_noop("Category")),
    ("keywords", gettext_noop("Keywords and aliases")),
    ("body", gettext_noop("Answer script")),
]


def entry_fields_diff_html(old: dict[str, str], new: dict[str, str]):
    """The diff (config.diffs.fields_diff_html) of two entry contents as entry_fields gives
    them: one row per field that exists in either dict."""
    return fields_diff_html(
        (_(label), str(old.get(key) or ""), str(new.get(key) or ""))
        for key, label in ENTRY_DIFF_FIELDS
        if key in old or key in new
    )


def payload_diff_html(*, entry: Entry | None, payload: dict):
    """Diff of ``payload`` against ``entry``'s current content (against nothing for a new entry)."""
    before = (
        entry_fields(entry)
        if entry is not None
        else {"title": "", "category": "", "keywords": "", "body": ""}
    )
    return entry_fields_diff_html(before, _fields(payload))


def proposal_diff_html(proposal: Proposal):
    """What the proposal changes: for an applied revision, its base version against the
    version it produced; otherwise the current entry against the proposed content."""
    entry = (
        Entry.objects.select_related("category").filter(pk=proposal.target_id).first()
        if proposal.target_id
        else None
    )
    if proposal.status == Proposal.Status.APPLIED and entry is not None:
        if proposal.kind == KIND_NEW_ENTRY:
            return payload_diff_html(entry=None, payload=proposal.payload)
        before = entry_version_fields(entry, proposal.base_version)
        after = entry_version_fields(entry, proposal.applied_version)
        if before is not None and after is not None:
            return entry_fields_diff_html(before, after)
    return payload_diff_html(
        entry=entry if proposal.kind == KIND_REVISION else None, payload=proposal.payload
    )


def _sort_best(session: QueryTestSession) -> tuple:
    # Highest level first, then the fastest time per task, then the newest.
    level = session.allowed_level if session.allowed_level is not None else -1
    return (
        -level,
        session.total_seconds / session.task_count,
        -session.finished_at.timestamp(),
        -session.pk,
    )


def pick_counting_result(
    results: Sequence[QueryTestSession], *, config: QueryTimeTest
) -> QueryTestSession | None:
    """The result that counts among one employee's finished ``results`` (newest first) under
    the configured rule: the latest one, or the best of those finished within N days before
    the latest one. None for no results. The one place the rule lives: the per-employee
    selector and the calibration page both call it."""
    if not results:
        return None
    latest = results[0]
    if config.counting_rule != QueryTimeTest.CountingRule.BEST_RECENT:
        return latest
    window_start = best_window_start(latest.finished_at, config=config)
    return min((r for r in results if r.finished_at >= window_start), key=_sort_best)


def best_window_start(latest_finished_at: datetime, *, config: QueryTimeTest) -> datetime:
    """Start of the "best within N days" window: local midnight N calendar days before the
    day of the latest result (so "within 30 days" means dates, not seconds)."""
    day = timezone.localdate(latest_finished_at) - timedelta(days=config.best_window_days)
    return timezone.make_aware(datetime.combine(day, time.min))


def counting_query_time_result(
    employee, *, since: datetime | None = None, until: datetime | None = None
) -> QueryTestSession | None:
    """The employee's query-time result that counts under the configured rule (see
    pick_counting_result) among the tests finished within [since, until] (None: open
    ended). Abandoned tests are results too (level 0). None when no test finished in the
    range. At most three queries."""
    config = QueryTimeTest.current()
    finished = QueryTestSession.objects.filter(employee=employee, finished_at__isnull=False)
    if since is not None:
        finished = finished.filter(finished_at__gte=since)
    if until is not None:
        finished = finished.filter(finished_at__lte=until)
    finished = finished.order_by("-finished_at", "-pk")
    latest = finished.first()
    if latest is None or config.counting_rule != QueryTimeTest.CountingRule.BEST_RECENT:
        return latest
    window = list(
        finished.filter(finished_at__gte=best_window_start(latest.finished_at, config=config))
    )
    return pick_counting_result(window, config=config)


def query_test_next_start_at(employee, *, config: QueryTimeTest | None = None) -> datetime | None:
    """The first moment the employee may start a new query-time test: their latest start
    (finished, abandoned or running) + the waiting period; None when they never started one."""
    config = config or QueryTimeTest.current()
    last_start = (
        QueryTestSession.objects.filter(employee=employee)
        .order_by("-started_at")
        .values_list("started_at", flat=True)
        .first()
    )
    return None if last_start is None else last_start + timedelta(hours=config.retake_wait_hours)


def query_test_sessions_of(employee) -> QuerySet[QueryTestSession]:
    return QueryTestSession.objects.filter(employee=employee).order_by("-started_at", "-pk")


# --- calibration of the query-time thresholds ----------------------------------------

CALIBRATION_DEFAULT_DAYS = 90
CALIBRATION_MAX_DAYS = 730
HISTOGRAM_BIN = Decimal("0.1")  # seconds per task
HISTOGRAM_MAX_BINS = 30
CENT = Decimal("0.01")


@dataclass(frozen=True)
class HistogramBin:
    """Results with lower < seconds per task ≤ upper (upper None: every slower result)."""

    lower: Decimal
    upper: Decimal | None
    count: int


@dataclass(frozen=True)
class BandShare:
    """Employees whose counting result falls in a band: slower than ``slower_than`` (None: the
    fastest band) and at most ``at_most`` seconds per task (None: slower than every band)."""

    allowed_level: int
    slower_than: Decimal | None
    at_most: Decimal | None
    employees: int
    percent: Decimal | None


@dataclass(frozen=True)
class ReferenceCheck:
    """Share of the reference group allowed at least ``level`` (per-task time ≤ ``limit``)
    against the seed's reference share."""

    level: int
    limit: Decimal | None
    target_percent: int
    within: int
    observed_percent: Decimal | None


@dataclass(frozen=True)
class SuggestedBand:
    allowed_level: int
    current: Decimal | None
    suggested: Decimal | None


@dataclass
class QueryTimeCalibration:
    days: int
    since: datetime
    until: datetime
    result_count: int
    employee_count: int
    histogram: list[HistogramBin]
    bands: list[BandShare]
    reference_months: int
    reference_hired_on_or_before: date
    reference_count: int
    reference: list[ReferenceCheck]
    suggestions: list[SuggestedBand]


def _percent(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(100 * part) / whole).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _months_before(day: date, months: int) -> date:
    month_index = day.year * 12 + day.month - 1 - months
    year, month = divmod(month_index, 12)
    last_day = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last_day))


def nearest_rank(sorted_values: Sequence[Decimal], percent: int) -> Decimal:
    """The smallest value that at least ``percent`` % of ``sorted_values`` (ascending, not
    empty) are at most: the value of rank ⌈percent × n / 100⌉."""
    rank = -(-percent * len(sorted_values) // 100)
    return sorted_values[max(rank, 1) - 1]


def _histogram(values: Sequence[Decimal]) -> list[HistogramBin]:
    if not values:
        return []
    lowest = (min(values) / HISTOGRAM_BIN).to_integral_value(
        rounding=ROUND_CEILING
    ) * HISTOGRAM_BIN - HISTOGRAM_BIN
    needed = int(((max(values) - lowest) / HISTOGRAM_BIN).to_integral_value(rounding=ROUND_CEILING))
    bins = max(min(needed, HISTOGRAM_MAX_BINS), 1)
    counts = [0] * bins
    for value in values:
        index = (
            int(((value - lowest) / HISTOGRAM_BIN).to_integral_value(rounding=ROUND_CEILING)) - 1
        )
        counts[min(max(index, 0), bins - 1)] += 1
    out = []
    for i, count in enumerate(counts):
        lower = lowest + HISTOGRAM_BIN * i
        upper = None if i == bins - 1 and needed > bins else lower + HISTOGRAM_BIN
        out.append(HistogramBin(lower=lower, upper=upper, count=count))
    return out


def query_time_calibration(
    *, days: int = CALIBRATION_DEFAULT_DAYS, now: datetime | None = None
) -> QueryTimeCalibration:
    """What the query-time results finished in the last ``days`` days say about the bands:
    the per-task distribution of every result, the share of employees (by their counting
    result within the window) in each current band, the reference group (at least
    ``reference_service_months`` of service by hire date) against the seed's shares, and
    suggested thresholds — level 1 at the reference group's level-1 percentile (nearest rank,
    rounded up to 0.01 s), level 5 at its level-5 percentile, levels 2 and 3–4 evenly between.
    Three queries whatever the number of results."""
    until = now or timezone.now()
    since = until - timedelta(days=days)
    config = QueryTimeTest.current()
    bands = QueryTimeThreshold.objects.bands()
    results = list(
        QueryTestSession.objects.filter(
            finished_at__isnull=False, finished_at__gte=since, finished_at__lte=until
        )
        .select_related("employee")
        .only(
            "pk",
            "employee_id",
            "employee__hire_date",
            "finished_at",
            "task_count",
            "total_seconds",
            "allowed_level",
            "expired",
        )
        .order_by("employee_id", "-finished_at", "-pk")
    )
    by_employee: dict[int, list[QueryTestSession]] = {}
    for result in results:
        by_employee.setdefault(result.employee_id, []).append(result)
    counting = [pick_counting_result(rows, config=config) for rows in by_employee.values()]

    def band_index(result: QueryTestSession) -> int:
        """Index of the fastest band the result is within; len(bands) when slower than all."""
        if not result.expired:
            for i, band in enumerate(bands):
                if result.total_seconds <= band.seconds_per_task * result.task_count:
                    return i
        return len(bands)

    in_band = [0] * (len(bands) + 1)
    for result in counting:
        in_band[band_index(result)] += 1
    shares = [
        BandShare(
            allowed_level=band.allowed_level,
            slower_than=bands[i - 1].seconds_per_task if i else None,
            at_most=band.seconds_per_task,
            employees=in_band[i],
            percent=_percent(in_band[i], len(counting)),
        )
        for i, band in enumerate(bands)
    ]
    shares.append(
        BandShare(
            allowed_level=0,
            slower_than=bands[-1].seconds_per_task if bands else None,
            at_most=None,
            employees=in_band[-1],
            percent=_percent(in_band[-1], len(counting)),
        )
    )

    hired_by = _months_before(timezone.localtime(until).date(), config.reference_service_months)
    reference = [
        r for r in counting if r.employee.hire_date is not None and r.employee.hire_date <= hired_by
    ]
    reference_levels = [
        0 if band_index(r) == len(bands) else bands[band_index(r)].allowed_level for r in reference
    ]
    checks = []
    for level, target in (
        (1, config.reference_level1_percent),
        (5, config.reference_level5_percent),
    ):
        allowing = [b.seconds_per_task for b in bands if b.allowed_level >= level]
        within = sum(1 for lv in reference_levels if lv >= level)
        checks.append(
            ReferenceCheck(
                level=level,
                limit=max(allowing) if allowing else None,
                target_percent=target,
                within=within,
                observed_percent=_percent(within, len(reference)),
            )
        )

    current = {}
    for band in bands:  # the slowest band allowing each level is its threshold
        current[band.allowed_level] = band.seconds_per_task
    suggested: dict[int, Decimal | None] = dict.fromkeys((5, 4, 2, 1))
    if reference:
        per_task = sorted(r.total_seconds / r.task_count for r in reference)
        level1 = nearest_rank(per_task, config.reference_level1_percent).quantize(
            CENT, rounding=ROUND_CEILING
        )
        level5 = nearest_rank(per_task, config.reference_level5_percent).quantize(
            CENT, rounding=ROUND_CEILING
        )
        step = (level1 - level5) / 3
        suggested = {
            5: level5,
            4: (level5 + step).quantize(CENT, rounding=ROUND_HALF_UP),
            2: (level1 - step).quantize(CENT, rounding=ROUND_HALF_UP),
            1: level1,
        }
    suggestions = [
        SuggestedBand(allowed_level=level, current=current.get(level), suggested=value)
        for level, value in suggested.items()
    ]
    return QueryTimeCalibration(
        days=days,
        since=since,
        until=until,
        result_count=len(results),
        employee_count=len(counting),
        histogram=_histogram([r.total_seconds / r.task_count for r in results]),
        bands=shares,
        reference_months=config.reference_service_months,
        reference_hired_on_or_before=hired_by,
        reference_count=len(reference),
        reference=checks,
        suggestions=suggestions,
    )


# --- search misses ----------------------------------------------------------------------


def search_misses(*, days: int | None = None):
    """Searches whose strict query found nothing (no result, or only the fallback's), grouped
    by normalised query: ``query``, ``count``, ``zero_results`` (how many found nothing at
    all) and ``last_seen``; most frequent first. ``days`` limits to recent searches."""
    from django.db.models import Count, Max

    from knowledgebase.models import SearchLog

    logs = SearchLog.objects.filter(Q(result_count=0) | Q(fallback=True))
    if days:
        logs = logs.filter(created_at__gte=timezone.now() - timedelta(days=days))
    return (
        logs.values("query")
        .annotate(
            count=Count("id"),
            zero_results=Count("id", filter=Q(result_count=0)),
            last_seen=Max("created_at"),
        )
        .order_by("-count", "-last_seen", "query")
    )


# --- knowledge that went stale ------------------------------------------------------------


def _flag_category(flag) -> tuple[str, int | None]:
    """(tree, category pk) deciding who reviews ``flag``: the case's case category, or the
    KB category of the query task's answer entry."""
    if flag.case_id:
        return "case_category", flag.case.category_id
    return "kb_category", flag.query_task.answer.category_id


def _type_ids() -> dict[str, int]:
    from review.selectors import category_fields

    return {name: type_id for type_id, name in category_fields().items()}


def may_resolve_flag(user, flag, *, index=None) -> bool:
    """True when ``user`` may resolve ``flag``: an operations manager, or an active committee
    member who is a review expert of the item's category or of an ancestor (the expert index
    of review.selectors, the rule the review queue decides experts with)."""
    from review.selectors import expert_index

    if not (user and user.is_authenticated and user.is_active):
        return False
    if user.has_perm(roles.MANAGE_OPERATIONS):
        return True
    if not user.has_perm(roles.REVIEW):
        return False
    tree, category_id = _flag_category(flag)
    index = index or expert_index()
    return user.pk in index.experts_of(_type_ids()[tree], category_id)


def stale_flags_for(user) -> QuerySet:
    """The open stale flags ``user`` may resolve, oldest first: all of them for an operations
    manager; for a review expert, those whose case category or query task's KB category is
    one of theirs (subcategories included); none otherwise."""
    from knowledgebase.models import StaleFlag
    from review.selectors import expert_index

    flags = (
        StaleFlag.objects.filter(status=StaleFlag.Status.OPEN)
        .select_related(
            "entry",
            "change",
            "change__author",
            "case",
            "case__category",
            "query_task",
            "query_task__answer",
            "query_task__answer__category",
        )
        .order_by("created_at", "pk")
    )
    if user.has_perm(roles.MANAGE_OPERATIONS):
        return flags
    if not user.has_perm(roles.REVIEW):
        return flags.none()
    index, types = expert_index(), _type_ids()
    cases = index.covered(types["case_category"], user.pk)
    kb = index.covered(types["kb_category"], user.pk)
    if not (cases or kb):
        return flags.none()
    return flags.filter(Q(case__category_id__in=cases) | Q(query_task__answer__category_id__in=kb))


STALE_AGE_DAYS = (7, 30)  # the age bands of an open flag: under 7 days, 7 to 30, over 30


@dataclass
class StaleCount:
    """The open stale flags of one category: ``kind`` "case" (a case category) or "query_task"
    (the KB category of the task's answer entry); ``ages``: how many have waited under 7
    days, 7 to 30 days and over 30 days (STALE_AGE_DAYS)."""

    kind: str
    category: str
    ages: tuple[int, int, int]

    @property
    def total(self) -> int:
        return sum(self.ages)


def stale_counts(flags: QuerySet, *, now: datetime | None = None) -> list[StaleCount]:
    """The flags of ``flags`` (stale_flags_for: the viewer's scope) counted per category and
    age band, most flags first (then cases before query tasks, then by name). One query."""
    from django.db.models import Count

    now = now or timezone.now()
    young, old = (now - timedelta(days=days) for days in STALE_AGE_DAYS)
    rows = (
        flags.order_by()
        .values(
            "case__category_id",
            "case__category__name",
            "query_task__answer__category_id",
            "query_task__answer__category__name",
        )
        .annotate(
            fresh=Count("pk", filter=Q(created_at__gt=young)),
            waiting=Count("pk", filter=Q(created_at__lte=young, created_at__gt=old)),
            late=Count("pk", filter=Q(created_at__lte=old)),
        )
    )
    counts = [
        StaleCount(
            kind="case" if row["case__category_id"] else "query_task",
            category=row["case__category__name"] or row["query_task__answer__category__name"],
            ages=(row["fresh"], row["waiting"], row["late"]),
        )
        for row in rows
    ]
    return sorted(counts, key=lambda c: (-c.total, c.kind != "case", c.category))


def flag_diffs(flags) -> dict[int, str]:
    """{flag pk: HTML diff of its entry from ``base_version`` to its latest change}, rendered
    by entry_fields_diff_html like every entry diff. Two queries for any number
    of flags (the versions from the history, the category names)."""
    flags = list(flags)
    if not flags:
        return {}
    wanted = {(f.entry_id, f.base_version) for f in flags} | {
        (f.entry_id, f.change.version) for f in flags
    }
    condition = Q()
    for entry_id, version in wanted:
        condition |= Q(id=entry_id, version=version)
    versions: dict[tuple[int, int], object] = {}
    for record in Entry.history.filter(condition).order_by("history_date", "history_id"):
        versions[record.id, record.version] = record  # the latest record of a version wins
    names = dict(
        Category.objects.filter(pk__in={r.category_id for r in versions.values()}).values_list(
            "pk", "name"
        )
    )

    def fields(key):
        record = versions.get(key)
        if record is None:
            return {"title": "", "category": "", "keywords": "", "body": ""}
        return {
            "title": record.title,
            "category": names.get(record.category_id, ""),
            "keywords": record.keywords,
            "body": record.body,
        }

    return {
        f.pk: entry_fields_diff_html(
            fields((f.entry_id, f.base_version)), fields((f.entry_id, f.change.version))
        )
        for f in flags
    }
