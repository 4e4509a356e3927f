"""HR promotion rosters: one row source for the page, the CSV and the XLSX export, so the
three always show the same rows. Every roster is a single SELECT with select_related and
annotations (no per-row queries), streamed with .iterator(chunk_size=…); level titles come
from one extra query."""

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook

from promotion.models import Level, PromotionEvent, RetentionPeriod

CHUNK = 2000


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


def _fmt(moment: datetime | None) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


def _people_filter(qs: QuerySet, f: RosterFilters, prefix: str) -> QuerySet:
    if f.centre_id:
        qs = qs.filter(**{f"{prefix}centre_id": f.centre_id})
    if f.team_id:
        qs = qs.filter(**{f"{prefix}team_id": f.team_id})
    return qs


def roster_queryset(f: RosterFilters) -> QuerySet:
    """The rows of the roster ``f.event`` as a queryset (events, retention periods or
    employees), filtered and ordered stably."""
    if f.event in (Event.PROMOTED, Event.DEMOTED):
        qs = PromotionEvent.objects.filter(kind=f.event).select_related("employee", "employee__centre",
                                                                         "employee__team", "decided_by")
        qs = _people_filter(qs, f, "employee__")
        if f.date_from:
            qs = qs.filter(at__gte=_start(f.date_from))
        if f.date_to:
            qs = qs.filter(at__lt=_start(f.date_to + timedelta(days=1)))
        if f.level is not None:
            qs = qs.filter(to_level=f.level)
        return qs.order_by("-at", "-pk")
    if f.event == Event.DUE_RETEST:
        qs = RetentionPeriod.objects.filter(status__in=RetentionPeriod.OPEN_STATUSES).select_related(
            "employee", "employee__centre", "employee__team")
        qs = _people_filter(qs, f, "employee__")
        # Due for re-test in the period: the re-test window overlaps [from, to].
        if f.date_from:
            qs = qs.filter(due_at__gte=_start(f.date_from))
        if f.date_to:
            qs = qs.filter(retest_opens_at__lt=_start(f.date_to + timedelta(days=1)))
        if f.level is not None:
            qs = qs.filter(level=f.level)
        return qs.order_by("due_at", "pk")
    last_change = PromotionEvent.objects.filter(employee=OuterRef("pk")).order_by("-at", "-pk").values("at")[:1]
    qs = (get_user_model().objects.filter(is_active=True).select_related("centre", "team")
          .annotate(last_change=Subquery(last_change)))
    qs = _people_filter(qs, f, "")
    if f.level is not None:
        qs = qs.filter(level=f.level)
    return qs.order_by("staff_id")


def roster_columns(event: str) -> list[tuple[str, str]]:
    """The roster's columns as (key, header): the key is a stable identifier (the API's row
    keys, the same in every language), the header the translated label people read (page,
    CSV, XLSX)."""
    person = [("staff_id", _("Staff ID")), ("name", _("Name")), ("centre", _("Centre")), ("team", _("Team"))]
    if event in (Event.PROMOTED, Event.DEMOTED):
        return person + [("from_level", _("From level")), ("to_level", _("To level")), ("title", _("Title")),
                         ("date", _("Date")), ("decided_by", _("Decided by")), ("reason", _("Reason"))]
    if event == Event.DUE_RETEST:
        return person + [("level", _("Level")), ("title", _("Title")), ("promoted_on", _("Promoted on")),
                         ("retest_opens_at", _("Re-test opens")), ("due_at", _("Due")), ("status", _("Status"))]
    return person + [("level", _("Level")), ("title", _("Title")), ("last_level_change", _("Last level change"))]


def roster_headers(event: str) -> list[str]:
    return [header for _key, header in roster_columns(event)]


def roster_keys(event: str) -> list[str]:
    return [key for key, _header in roster_columns(event)]


def _person(user) -> list:
    return [user.staff_id, user.name, user.centre.name if user.centre_id else "",
            user.team.name if user.team_id else ""]


def roster_row(event: str, obj, titles: dict[int, str]) -> list:
    """One roster row: strings and integer levels (the same values go to CSV and XLSX)."""
    if event in (Event.PROMOTED, Event.DEMOTED):
        return _person(obj.employee) + [obj.from_level, obj.to_level, titles.get(obj.to_level, ""), _fmt(obj.at),
                                        obj.decided_by.staff_id if obj.decided_by_id else "", obj.reason]
    if event == Event.DUE_RETEST:
        return _person(obj.employee) + [obj.level, titles.get(obj.level, ""), _fmt(obj.starts_at),
                                        _fmt(obj.retest_opens_at), _fmt(obj.due_at), str(obj.get_status_display())]
    return _person(obj) + [obj.level, titles.get(obj.level, ""), _fmt(obj.last_change)]


def level_titles() -> dict[int, str]:
    return dict(Level.objects.values_list("number", "title"))


def roster_rows(f: RosterFilters) -> Iterator[list]:
    """Every row of the roster (headers excluded), streamed in chunks: 2 queries in all."""
    titles = level_titles()
    for obj in roster_queryset(f).iterator(chunk_size=CHUNK):
        yield roster_row(f.event, obj, titles)


def roster_csv(f: RosterFilters) -> bytes:
    """The roster as UTF-8 CSV with a BOM (so Excel opens Chinese names correctly)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(roster_headers(f.event))
    for row in roster_rows(f):
        writer.writerow(row)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def roster_xlsx(f: RosterFilters) -> bytes:
    """The roster as an XLSX workbook written in openpyxl's write-only (streaming) mode."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=f.event[:31])
    sheet.append(roster_headers(f.event))
    for row in roster_rows(f):
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
