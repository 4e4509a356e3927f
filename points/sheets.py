"""Reading weekly volunteer sheets (CSV or XLSX) into validated rows.

Line numbers are the spreadsheet's: the header is line 1, the first data row line 2.
Every problem of the file is collected before anything is returned, so the importer can
show all of them at once and import nothing.

A row is one person's volunteer work on one day: staff ID, date, hours and points are
required, a note is optional. Two rows for the same person and day are a line error (the
canteen adds two shifts of one day into one row), because a paid row is recognised by
person and day across every sheet (points.services.volunteer_sheet_import).
"""

import csv
import hashlib
import io
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from config.errors import ValidationFailedError

MAX_ROWS = 5000
MAX_HOURS = 24  # a row is one person's help on one day

MSG_POINTS_ABOVE_MAX = gettext_noop(
    "Points %(value)s are above the maximum of %(max)s per row (rule “%(rule)s”)."
)
MSG_POINTS_BELOW_MIN = gettext_noop(
    "Points %(value)s are below the minimum of %(min)s per row (rule “%(rule)s”)."
)
MSG_HOURS_ABOVE_DAY = gettext_noop("Hours must not exceed %(max)s in a day.")
MSG_DATE_MISSING = gettext_noop("The date is missing: each row is one person's help on one day.")
MSG_DATE_IN_FUTURE = gettext_noop("The date %(date)s is in the future.")
MSG_SHEET_ERRORS = gettext_noop("The sheet has errors; nothing was imported.")

# Header names accepted for each column (compared case-insensitively, spaces ignored).
COLUMNS = {
    "staff_id": {"staffid", "staff_id", "工号", "员工号"},
    "hours": {"hours", "时长", "小时", "工时"},
    "points": {"points", "积分"},
    "date": {"date", "日期"},
    "note": {"note", "备注", "notes"},
}
REQUIRED = ["staff_id", "date", "hours", "points"]


class SheetInvalid(ValidationFailedError):
    """Bad rows; ``line_errors`` lists (line, message), the field messages of "file.<line>"."""

    def __init__(self, line_errors: list[tuple[int, str]]):
        self.line_errors = line_errors
        super().__init__(_(MSG_SHEET_ERRORS), fields=line_fields(line_errors))


def line_fields(line_errors: list[tuple[int, str]]) -> dict[str, list[str]]:
    """(line, message) pairs as field messages {"file.<line>": [messages]} (the API's shape)."""
    fields: dict[str, list[str]] = {}
    for line, message in line_errors:
        fields.setdefault(f"file.{line}", []).append(str(message))
    return fields


@dataclass
class SheetRow:
    line: int
    staff_id: str
    employee: object
    hours: Decimal
    points: int
    date: date
    note: str

    def normalised(self) -> str:
        """The row as the fingerprint sees it: upper-case staff ID, ISO date, hours with two
        decimals, points as an integer (the note is not part of what is paid)."""
        return (
            f"{self.staff_id}|{self.date.isoformat()}|"
            f"{self.hours.quantize(Decimal('0.01'))}|{self.points}"
        )


def sheet_fingerprint(rows: list[SheetRow]) -> str:
    """SHA-256 over the sorted normalised rows: the same sheet saved as CSV or XLSX, with
    LF or CRLF, with or without a BOM, in any row order gives the same fingerprint."""
    return hashlib.sha256("\n".join(sorted(row.normalised() for row in rows)).encode()).hexdigest()


@dataclass
class PointsBounds:
    """The volunteer rule's range for one row (min None: at least 1)."""

    rule: str
    max: int
    min: int | None = None


def _cells_from_csv(content: bytes) -> list[list]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise SheetInvalid([(1, _("The file is neither UTF-8 nor GB18030 text."))])
    return [row for row in csv.reader(io.StringIO(text))]


def _cells_from_xlsx(content: bytes) -> list[list]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a damaged file
        raise SheetInvalid([(1, _("The file is not a readable XLSX workbook."))]) from None
    try:
        sheet = workbook.worksheets[0]
        return [list(row) for row in sheet.iter_rows(values_only=True)]
    finally:
        workbook.close()


def _header_map(header: list) -> tuple[dict[str, int], list[str]]:
    found: dict[str, int] = {}
    for index, cell in enumerate(header):
        key = str(cell or "").strip().lower().replace(" ", "")
        for column, names in COLUMNS.items():
            if key in {n.replace(" ", "") for n in names} and column not in found:
                found[column] = index
    missing = [c for c in REQUIRED if c not in found]
    return found, missing


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _parse_date(value) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    for fmt in ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(text)


def _points(raw: str, bounds: PointsBounds) -> tuple[int | None, list[str]]:
    """The row's points and its problems: a whole number, above zero, within the rule's
    range. The size is checked on the Decimal, before int(), so "1e999999999" costs nothing."""
    try:
        number = Decimal(raw)
        if not number.is_finite() or number != number.to_integral_value():
            raise InvalidOperation
    except InvalidOperation:
        return None, [_("Points “%(value)s” is not a whole number.") % {"value": raw}]
    if number < 0:
        return None, [_("Points must not be negative.")]
    if number == 0:
        return None, [_("Points must be greater than zero.")]
    if number > bounds.max:
        return None, [
            _(MSG_POINTS_ABOVE_MAX) % {"value": raw, "max": bounds.max, "rule": bounds.rule}
        ]
    if bounds.min is not None and number < bounds.min:
        return None, [
            _(MSG_POINTS_BELOW_MIN) % {"value": raw, "min": bounds.min, "rule": bounds.rule}
        ]
    return int(number), []


def parse_volunteer_sheet(
    *, file_name: str, content: bytes, bounds: PointsBounds
) -> list[SheetRow]:
    """Validated rows of the sheet, points within ``bounds`` (the volunteer rule's range);
    raises SheetInvalid with every (line, message) otherwise."""
    is_xlsx = file_name.lower().endswith(".xlsx") or content[:2] == b"PK"
    if not is_xlsx and not file_name.lower().endswith((".csv", ".txt")):
        raise SheetInvalid([(1, _("Upload a CSV or XLSX file."))])
    cells = _cells_from_xlsx(content) if is_xlsx else _cells_from_csv(content)
    if not cells or not any(_text(c) for c in cells[0]):
        raise SheetInvalid([(1, _("The file is empty."))])
    columns, missing = _header_map(cells[0])
    if missing:
        raise SheetInvalid(
            [(1, _("Missing column: %(column)s.") % {"column": name}) for name in missing]
        )
    data = [
        (line, row) for line, row in enumerate(cells[1:], start=2) if any(_text(c) for c in row)
    ]
    if not data:
        raise SheetInvalid([(1, _("The file has no data rows."))])
    if len(data) > MAX_ROWS:
        raise SheetInvalid([(1, _("At most %(max)s rows per sheet.") % {"max": MAX_ROWS})])

    def cell(row: list, column: str):
        index = columns.get(column)
        return row[index] if index is not None and index < len(row) else None

    staff_ids = {_text(cell(row, "staff_id")).upper() for _, row in data}
    users = {
        u.staff_id: u
        for u in get_user_model().objects.filter(staff_id__in=staff_ids, is_active=True)
    }

    today = timezone.localdate()
    errors: list[tuple[int, str]] = []
    rows: list[SheetRow] = []
    seen: dict[tuple, int] = {}
    for line, row in data:
        line_errors = []
        staff_id = _text(cell(row, "staff_id")).upper()
        employee = users.get(staff_id)
        if not staff_id:
            line_errors.append(_("The staff ID is missing."))
        elif employee is None:
            line_errors.append(_("Unknown staff ID %(staff_id)s.") % {"staff_id": staff_id})
        raw_hours = _text(cell(row, "hours"))
        try:
            hours = Decimal(raw_hours)
            if not hours.is_finite():
                raise InvalidOperation
            if hours < 0:
                line_errors.append(_("Hours must not be negative."))
            elif hours > MAX_HOURS:
                line_errors.append(_(MSG_HOURS_ABOVE_DAY) % {"max": MAX_HOURS})
        except InvalidOperation:
            hours = None
            line_errors.append(_("Hours “%(value)s” is not a number.") % {"value": raw_hours})
        points, problems = _points(_text(cell(row, "points")), bounds)
        line_errors.extend(problems)
        try:
            day = _parse_date(cell(row, "date"))
        except ValueError as exc:
            day = None
            line_errors.append(
                _("Date “%(value)s” is not a date (use YYYY-MM-DD).") % {"value": exc.args[0]}
            )
        else:
            if day is None:
                line_errors.append(_(MSG_DATE_MISSING))
            elif day > today:
                line_errors.append(_(MSG_DATE_IN_FUTURE) % {"date": day.isoformat()})
        key = (staff_id, day)
        if staff_id and day is not None and key in seen:
            line_errors.append(_("Duplicate of line %(line)s.") % {"line": seen[key]})
        elif staff_id and day is not None:
            seen[key] = line
        if line_errors:
            errors.extend((line, message) for message in line_errors)
            continue
        rows.append(
            SheetRow(
                line=line,
                staff_id=staff_id,
                employee=employee,
                hours=hours,
                points=points,
                date=day,
                note=_text(cell(row, "note"))[:200],
            )
        )
    if errors:
        raise SheetInvalid(errors)
    return rows
