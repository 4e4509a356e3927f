"""HR promotion rosters: one row source for the page, the CSV and the XLSX export, so the
three always show the same rows. Every roster is a single SELECT of plain values (joins and
annotations, no per-row queries, no model instances; the re-test roster adds its remedial
plans, read per chunk of rows), streamed from a server-side cursor
with .iterator(chunk_size=…); level titles come from one extra query. The files are written
by the shared export helpers (config.exports): the CSV streams to the client, the XLSX is
written row by row to a temporary file."""

import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from itertools import islice
from types import SimpleNamespace

from django.contrib.auth import get_user_model
from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from config.exports import CHUNK, csv_chunks, xlsx_write
from config.template_filters import localized_value
from promotion.models import Level, PromotionEvent, RetentionPeriod, reasons_text


class Event:
    PROMOTED = "promoted"
    DEMOTED = "demoted"
    DUE_RETEST = "due_retest"
    CURRENT_LEVEL = "current_level"
    CHOICES = [PROMOTED, DEMOTED, DUE_RETEST, CURRENT_LEVEL]


@dataclass
class RosterFilters:
    event: str = Event.PROMOTED
    centre_id: int | None = None
    team_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    level: int | None = None


def _start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _people_filter(qs: QuerySet, f: RosterFilters, prefix: str) -> QuerySet:
    if f.centre_id:
        qs = qs.filter(**{f"{prefix}centre_id": f.centre_id})
    if f.team_id:
        qs = qs.filter(**{f"{prefix}team_id": f.team_id})
    return qs


def _person_fields(prefix: str) -> tuple[str, ...]:
    return (f"{prefix}staff_id", f"{prefix}name", f"{prefix}centre__name", f"{prefix}team__name")


# The values each roster reads, in row order after the leading primary key: the export
# reads plain tuples (no model instances; a server-side cursor on PostgreSQL).
_EVENT_FIELDS = (
    "pk",
    *_person_fields("employee__"),
    "from_level",
    "to_level",
    "at",
    "decided_by__staff_id",
    "reason",
    "reasons",
)
_RETEST_FIELDS = (
    "pk",
    *_person_fields("employee__"),
    "level",
    "starts_at",
    "retest_opens_at",
    "due_at",
    "status",
    "employee_id",
    "employee__position_id",
)
_CURRENT_FIELDS = ("pk", *_person_fields(""), "level", "last_change")


def retest_periods(f: RosterFilters) -> QuerySet[RetentionPeriod]:
    """The retention periods of the re-test roster: open, in the filters' centre, team and
    level, and due for re-test in the period (the re-test window overlaps [from, to])."""
    qs = _people_filter(
        RetentionPeriod.objects.filter(status__in=RetentionPeriod.OPEN_STATUSES), f, "employee__"
    )
    if f.date_from:
        qs = qs.filter(due_at__gte=_start(f.date_from))
    if f.date_to:
        qs = qs.filter(retest_opens_at__lt=_start(f.date_to + timedelta(days=1)))
    if f.level is not None:
        qs = qs.filter(level=f.level)
    return qs


def roster_queryset(f: RosterFilters) -> QuerySet:
    """The rows of the roster ``f.event`` as tuples of plain values (leading primary key of
    the event, retention period or employee), filtered and ordered stably; RosterRows turns
    one into a row."""
    if f.event in (Event.PROMOTED, Event.DEMOTED):
        qs = _people_filter(PromotionEvent.objects.filter(kind=f.event), f, "employee__")
        if f.date_from:
            qs = qs.filter(at__gte=_start(f.date_from))
        if f.date_to:
            qs = qs.filter(at__lt=_start(f.date_to + timedelta(days=1)))
        if f.level is not None:
            qs = qs.filter(to_level=f.level)
        return qs.order_by("-at", "-pk").values_list(*_EVENT_FIELDS)
    if f.event == Event.DUE_RETEST:
        return retest_periods(f).order_by("due_at", "pk").values_list(*_RETEST_FIELDS)
    last_change = (
        PromotionEvent.objects.filter(employee=OuterRef("pk"))
        .order_by("-at", "-pk")
        .values("at")[:1]
    )
    # Employees only: a superuser is an administrator's account, not somebody on the ladder.
    employees = get_user_model().objects.filter(is_active=True, is_superuser=False)
    qs = _people_filter(employees.annotate(last_change=Subquery(last_change)), f, "")
    if f.level is not None:
        qs = qs.filter(level=f.level)
    return qs.order_by("staff_id").values_list(*_CURRENT_FIELDS)


def roster_columns(event: str) -> list[tuple[str, str]]:
    """The roster's columns as (key, header): the key is a stable identifier (the API's row
    keys, the same in every language), the header the translated label people read (page,
    CSV, XLSX)."""
    person = [
        ("staff_id", _("Staff ID")),
        ("name", _("Name")),
        ("centre", _("Centre")),
        ("team", _("Team")),
    ]
    if event in (Event.PROMOTED, Event.DEMOTED):
        return person + [
            ("from_level", _("From level")),
            ("to_level", _("To level")),
            ("title", _("Level title")),
            ("date", _("Date")),
            ("decided_by", _("Decided by")),
            ("reason", _("Reason")),
        ]
    if event == Event.DUE_RETEST:
        return person + [
            ("level", _("Level")),
            ("title", _("Level title")),
            ("promoted_on", _("Promoted on")),
            ("retest_opens_at", _("Re-test opens")),
            ("due_at", _("Due")),
            ("status", _("Status")),
            ("remedial_plan", _("Remedial plan")),
        ]
    return person + [
        ("level", _("Level")),
        ("title", _("Level title")),
        ("last_level_change", _("Last level change")),
    ]


def roster_headers(event: str) -> list[str]:
    return [header for _key, header in roster_columns(event)]


def roster_keys(event: str) -> list[str]:
    return [key for key, _header in roster_columns(event)]


class RosterRows:
    """Turns the tuples of roster_queryset into rows: strings and integer levels, dates as
    "YYYY-MM-DD HH:MM" in the current time zone (page, API, CSV) or, with ``typed``, as
    naive local datetimes (XLSX cells that are real dates). Level titles and status labels
    are read once per export (one query), not per row."""

    def __init__(self, event: str, *, typed: bool = False):
        self.event = event
        self.typed = typed
        self.titles = level_titles()
        self.statuses = {value: str(label) for value, label in RetentionPeriod.Status.choices}
        self.tz = timezone.get_current_timezone()
        self._plan_texts: dict[tuple, str] = {}

    def date(self, moment: datetime | None):
        if moment is None:
            return None if self.typed else ""
        local = moment.astimezone(self.tz)
        return (
            local.replace(tzinfo=None, second=0, microsecond=0)
            if self.typed
            else local.strftime("%Y-%m-%d %H:%M")
        )

    def rows(self, values: Iterable[tuple], *, periods: QuerySet | None = None) -> Iterator[list]:
        """The rows of ``values`` in order. The re-test roster (``periods``: its retention
        periods, retest_periods) reads the training cases each employee studied at the
        re-test's level once for all rows (one grouped statement), then the rest of the
        remedial plans for CHUNK rows at a time (promotion.forecast.remedial_plans: a
        constant number of queries per chunk), so an export still streams and its query
        count grows with chunks, not rows."""
        if self.event != Event.DUE_RETEST:
            for one in values:
                yield self(one)
            return
        from casebase.selectors import training_studied_counts_of, training_totals
        from promotion.forecast import remedial_plans

        studied = training_studied_counts_of(periods) if periods is not None else None
        totals = training_totals()
        for chunk in batched(values, CHUNK):
            plans = remedial_plans(
                ((SimpleNamespace(pk=one[-2], position_id=one[-1]), one[5]) for one in chunk),
                studied=studied,
                totals=totals,
            )
            for one in chunk:
                yield self(one, plans.get((one[-2], one[5])))

    def plan_text(self, plan) -> str:
        """The plan's wording (RemedialPlan.text), written once per export for each distinct
        plan: a roster of thousands of rows has a few dozen (level, cases left, courses)."""
        key = (plan.level, plan.cases_left, tuple(course.pk for course in plan.courses))
        text = self._plan_texts.get(key)
        if text is None:
            text = self._plan_texts[key] = plan.text()
        return text

    def __call__(self, values: tuple, plan=None) -> list:
        """One row (without the leading primary key)."""
        _pk, staff_id, name, centre, team, *rest = values
        person = [staff_id, name, centre or "", team or ""]
        if self.event in (Event.PROMOTED, Event.DEMOTED):
            from_level, to_level, at, decided_by, reason, reasons = rest
            return person + [
                from_level,
                to_level,
                self.titles.get(to_level, ""),
                self.date(at),
                decided_by or "",
                reasons_text(reasons, reason),
            ]
        if self.event == Event.DUE_RETEST:
            level, starts_at, retest_opens_at, due_at, status, _employee, _position = rest
            return person + [
                level,
                self.titles.get(level, ""),
                self.date(starts_at),
                self.date(retest_opens_at),
                self.date(due_at),
                self.statuses.get(status, status),
                self.plan_text(plan) if plan else "",
            ]
        level, last_change = rest
        return person + [level, self.titles.get(level, ""), self.date(last_change)]


def batched(values: Iterable, size: int) -> Iterator[list]:
    """``values`` in lists of at most ``size`` (itertools.batched arrives with Python 3.12)."""
    iterator = iter(values)
    while chunk := list(islice(iterator, size)):
        yield chunk


def level_titles() -> dict[int, str]:
    """Level number → title in the current language (the English title when English is active
    and one is written)."""
    return {
        level.number: localized_value(level, "title")
        for level in Level.objects.only("number", "title", "title_en")
    }


def roster_rows(f: RosterFilters, *, typed: bool = False) -> Iterator[list]:
    """Every row of the roster (headers excluded), streamed from a server-side cursor in
    chunks: 2 queries in all (titles, rows), plus the remedial plans' few per chunk on the
    re-test roster."""
    periods = retest_periods(f) if f.event == Event.DUE_RETEST else None
    yield from RosterRows(f.event, typed=typed).rows(
        roster_queryset(f).iterator(chunk_size=CHUNK), periods=periods
    )


def roster_csv_chunks(f: RosterFilters) -> Iterator[bytes]:
    """The roster as CSV chunks (csv_chunks)."""
    return csv_chunks(roster_headers(f.event), roster_rows(f))


def roster_csv(f: RosterFilters) -> bytes:
    """The whole CSV at once (tests, small exports); the web export streams roster_csv_chunks."""
    return b"".join(roster_csv_chunks(f))


def roster_xlsx_write(f: RosterFilters, target) -> None:
    """Write the roster as an XLSX workbook into ``target`` (xlsx_write); dates are real date
    cells."""
    xlsx_write(
        target, sheet_name=f.event, headers=roster_headers(f.event), rows=roster_rows(f, typed=True)
    )


def roster_xlsx(f: RosterFilters) -> bytes:
    buffer = io.BytesIO()
    roster_xlsx_write(f, buffer)
    return buffer.getvalue()
