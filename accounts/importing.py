"""Bulk import of employees from the HR system's CSV/XLSX export (django-import-export).

One resource (EmployeeResource) serves both the admin import (ImportMixin on the employee
admin, with import-export's own dry-run preview) and the HR page (accounts.services.
employees_import). Only the HR columns are imported — staff ID, name, centre, team,
position, hire date, education — and rows are matched (updated) by staff ID. Passwords,
roles, admin rights, the level and the active flag are never read from a file: a file with
such a column is refused as a whole, and a row for an admin account (staff or superuser) is
refused. New employees get an unusable password (they set one through the password reset by
staff ID) and the CSR role.

Header names are accepted in English or Chinese (compared case-insensitively, spaces and
underscores ignored); the first data row is line 2 of the spreadsheet. A blank optional cell
leaves the employee's current value.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

import tablib
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from import_export import fields, resources, widgets

from accounts.models import Centre, Team, User
from accounts.roles import Role

MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_ROWS = 5000
MAX_COLUMNS = 64  # a header wider than this is refused (every row is padded to its width)

MSG_ADMIN_ACCOUNT = gettext_noop(
    "%(staff_id)s has admin rights; change this account in the admin, not by import."
)
MSG_OWN_ACCOUNT = gettext_noop(
    "%(staff_id)s is your own account; another HR user or an admin changes it."
)
MAX_UNPACKED_BYTES = 64 * 1024 * 1024  # an XLSX whose parts unpack to more is refused (zip bomb)
MSG_FORBIDDEN_COLUMN = gettext_noop(
    "The column “%(column)s” cannot be imported: passwords, roles, admin rights, levels and the "
    "active flag are never changed by an import."
)

# Canonical column → accepted header spellings (normalised: lower case, no spaces/underscores).
COLUMNS: dict[str, set[str]] = {
    "staff_id": {"staffid", "工号", "员工号", "员工编号"},
    "name": {"name", "姓名"},
    "centre": {"centre", "center", "中心", "所属中心"},
    "team": {"team", "班组", "组别"},
    "position": {"position", "岗位", "职位"},
    "hire_date": {"hiredate", "入职日期", "入职时间"},
    "education": {"education", "学历"},
}
REQUIRED = ("staff_id", "name")
OPTIONAL = ("centre", "team", "position", "hire_date", "education")
# Columns that would change who may do what: refused, the whole file with them.
FORBIDDEN: set[str] = {
    "password",
    "密码",
    "isstaff",
    "issuperuser",
    "superuser",
    "admin",
    "管理员",
    "groups",
    "group",
    "roles",
    "role",
    "角色",
    "userpermissions",
    "permissions",
    "权限",
    "level",
    "等级",
    "级别",
    "isactive",
    "active",
    "lastlogin",
    "datejoined",
    "passwordchangedat",
}

EDUCATION_ALIASES = {
    User.Education.HIGH_SCHOOL: {
        "high_school",
        "high school",
        "高中",
        "中专",
        "职高",
        "高中及以下",
    },
    User.Education.JUNIOR_COLLEGE: {"junior_college", "junior college", "大专", "专科"},
    User.Education.BACHELOR: {"bachelor", "本科", "学士"},
    User.Education.MASTER: {"master", "master or above", "硕士", "研究生", "博士", "硕士及以上"},
}


def normalise_header(value) -> str:
    return "".join(str(value or "").split()).replace("_", "").replace("-", "").lower()


def canonical_headers(headers: list) -> list[str]:
    """Map the file's headers onto the resource's columns; raises ValidationError for a
    forbidden column, a missing required one or a duplicate. Unknown columns are kept under
    their own name and ignored by the resource."""
    lookup = {
        alias: key for key, aliases in COLUMNS.items() for alias in aliases | {key.replace("_", "")}
    }
    result, seen, problems = [], set(), []
    for raw in headers:
        norm = normalise_header(raw)
        if norm in FORBIDDEN:
            problems.append(_(MSG_FORBIDDEN_COLUMN) % {"column": str(raw).strip()})
            result.append(norm)
            continue
        key = lookup.get(norm, f"ignored:{str(raw).strip()}")
        if key in seen and not key.startswith("ignored:"):
            problems.append(
                _("The column “%(column)s” appears twice.") % {"column": str(raw).strip()}
            )
        seen.add(key)
        result.append(key)
    for key in REQUIRED:
        if key not in seen:
            problems.append(_("The required column “%(column)s” is missing.") % {"column": key})
    if problems:
        raise ValidationError(problems)
    return result


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a staff ID typed as a number in Excel
    return str(value).strip()


class CentreWidget(widgets.ForeignKeyWidget):
    """A centre by code or name (the HR system uses names)."""

    def __init__(self):
        super().__init__(Centre)

    def clean(self, value, row=None, **kwargs):
        value = _text(value)
        if not value:
            return None
        centre = (
            Centre.objects.filter(code__iexact=value).first()
            or Centre.objects.filter(name=value).first()
        )
        if centre is None:
            raise ValueError(_("Unknown centre “%(value)s”.") % {"value": value})
        return centre

    def render(self, value, obj=None, **kwargs):
        return value.name if value else ""


class TeamWidget(widgets.ForeignKeyWidget):
    """A team by name inside the row's centre (team names repeat across centres)."""

    def __init__(self):
        super().__init__(Team)

    def clean(self, value, row=None, **kwargs):
        value = _text(value)
        if not value:
            return None
        centre = CentreWidget().clean((row or {}).get("centre"))
        if centre is None:
            raise ValueError(_("Give the centre of team “%(value)s”.") % {"value": value})
        team = Team.objects.filter(centre=centre, name=value).first()
        if team is None:
            raise ValueError(
                _("Unknown team “%(team)s” in centre %(centre)s.")
                % {"team": value, "centre": centre.name}
            )
        return team

    def render(self, value, obj=None, **kwargs):
        return value.name if value else ""


class PositionWidget(widgets.ForeignKeyWidget):
    """A position by code or name."""

    def __init__(self):
        from accounts.models import Position

        super().__init__(Position)

    def clean(self, value, row=None, **kwargs):
        value = _text(value)
        if not value:
            return None
        position = (
            self.model.objects.filter(code__iexact=value).first()
            or self.model.objects.filter(name=value).first()
        )
        if position is None:
            raise ValueError(_("Unknown position “%(value)s”.") % {"value": value})
        return position

    def render(self, value, obj=None, **kwargs):
        return value.name if value else ""


class EducationWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs):
        value = _text(value).lower()
        if not value:
            return ""
        for code, aliases in EDUCATION_ALIASES.items():
            if value in aliases or value == str(code.label).lower():
                return code.value
        raise ValueError(_("Unknown education “%(value)s”.") % {"value": value})

    def render(self, value, obj=None, **kwargs):
        return value or ""


class HireDateWidget(widgets.DateWidget):
    def __init__(self):
        super().__init__(format="%Y-%m-%d")
        self.formats = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d")

    def clean(self, value, row=None, **kwargs):
        if isinstance(value, dt.datetime):
            value = value.date()
        if isinstance(value, dt.date):
            day = value
        else:
            text = _text(value)
            if not text:
                return None
            for fmt in self.formats:
                try:
                    day = dt.datetime.strptime(text, fmt).date()
                    break
                except ValueError:
                    continue
            else:
                raise ValueError(
                    _("The hire date “%(value)s” is not a date (use YYYY-MM-DD).") % {"value": text}
                )
        if day > dt.date.today() + dt.timedelta(days=366):
            raise ValueError(
                _("The hire date %(date)s is too far in the future.") % {"date": day.isoformat()}
            )
        return day


class StaffIdWidget(widgets.CharWidget):
    def clean(self, value, row=None, **kwargs):
        return _text(value).upper()


class EmployeeResource(resources.ModelResource):
    """The HR columns of an employee, matched by staff ID (see the module docstring)."""

    staff_id = fields.Field(attribute="staff_id", column_name="staff_id", widget=StaffIdWidget())
    name = fields.Field(attribute="name", column_name="name", widget=widgets.CharWidget())
    centre = fields.Field(attribute="centre", column_name="centre", widget=CentreWidget())
    team = fields.Field(attribute="team", column_name="team", widget=TeamWidget())
    position = fields.Field(attribute="position", column_name="position", widget=PositionWidget())
    hire_date = fields.Field(
        attribute="hire_date", column_name="hire_date", widget=HireDateWidget()
    )
    education = fields.Field(
        attribute="education", column_name="education", widget=EducationWidget()
    )

    class Meta:
        model = User
        fields = ("staff_id", "name", "centre", "team", "position", "hire_date", "education")
        import_id_fields = ("staff_id",)
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = True
        use_transactions = True

    def before_import(self, dataset, **kwargs):
        """Headers in English or Chinese become the resource's columns; forbidden or missing
        columns refuse the whole file (admin import included)."""
        dataset.headers = canonical_headers(list(dataset.headers or []))
        if len(dataset) > MAX_ROWS:
            raise ValidationError(_("At most %(max)s rows per file.") % {"max": MAX_ROWS})

    def before_import_row(self, row, **kwargs):
        if not _text(row.get("staff_id")):
            raise ValidationError({"staff_id": _("The staff ID is missing.")})
        if not _text(row.get("name")):
            raise ValidationError({"name": _("The name is missing.")})
        # A blank optional cell means "not in the HR export", not "clear it": keep the value.
        for key in OPTIONAL:
            if key in row and not _text(row[key]):
                del row[key]

    def after_init_instance(self, instance, new, row, **kwargs):
        if new:
            instance.set_unusable_password()
        elif instance.is_staff or instance.is_superuser:
            raise ValidationError(
                {"staff_id": _(MSG_ADMIN_ACCOUNT) % {"staff_id": instance.staff_id}}
            )
        elif kwargs.get("user") is not None and instance.pk == kwargs["user"].pk:
            # Nobody moves themselves (a team or centre decides whom a team leader rates).
            raise ValidationError(
                {"staff_id": _(MSG_OWN_ACCOUNT) % {"staff_id": instance.staff_id}}
            )

    def after_save_instance(self, instance, row, **kwargs):
        if getattr(instance, "_imported_as_new", False):
            group = Group.objects.filter(name=Role.CSR).first()
            if group is not None:
                instance.groups.add(group)

    def save_instance(self, instance, is_create, row, **kwargs):
        instance._imported_as_new = is_create
        super().save_instance(instance, is_create, row, **kwargs)


def read_employee_file(*, file_name: str, content: bytes) -> tablib.Dataset:
    """The uploaded file as a Dataset (headers as in the file). Raises ValidationError for
    a file that is too large, of another type, or unreadable."""
    if len(content) > MAX_FILE_BYTES:
        raise ValidationError(
            _("The file is larger than %(mb)s MB.") % {"mb": MAX_FILE_BYTES // (1024 * 1024)}
        )
    name = (file_name or "").lower()
    is_xlsx = name.endswith(".xlsx") or content[:2] == b"PK"
    if not is_xlsx and not name.endswith((".csv", ".txt")):
        raise ValidationError(_("Upload a CSV or XLSX file."))
    rows = _rows_from_xlsx(content) if is_xlsx else _rows_from_csv(content)
    rows = [r for r in rows if any(_text(c) for c in r)]
    if not rows:
        raise ValidationError(_("The file is empty."))
    header, data = rows[0], rows[1:]
    while header and not _text(header[-1]):
        header = header[:-1]
    if len(header) > MAX_COLUMNS:
        raise ValidationError(_("At most %(max)s columns per file.") % {"max": MAX_COLUMNS})
    if len(data) > MAX_ROWS:
        raise ValidationError(_("At most %(max)s rows per file.") % {"max": MAX_ROWS})
    width = len(header)
    dataset = tablib.Dataset(headers=[_text(h) for h in header])
    for row in data:
        row = list(row[:width]) + [None] * (width - len(row))
        dataset.append(row)
    return dataset


def _rows_from_csv(content: bytes) -> list[list]:
    for encoding in ("utf-8-sig", "gb18030"):  # Excel in China saves CSV as GBK
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ValidationError(_("The CSV file is neither UTF-8 nor GBK text."))
    try:
        return [list(r) for r in csv.reader(io.StringIO(text))]
    except csv.Error as exc:
        raise ValidationError(
            _("The CSV file cannot be read: %(error)s") % {"error": exc}
        ) from None


def _rows_from_xlsx(content: bytes) -> list[list]:
    import zipfile

    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError):
        raise ValidationError(_("The XLSX file cannot be read.")) from None
    if unpacked > MAX_UNPACKED_BYTES:
        raise ValidationError(
            _("The XLSX file unpacks to more than %(mb)s MB.")
            % {"mb": MAX_UNPACKED_BYTES // (1024 * 1024)}
        )
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
        rows = []
        for row in sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS + 1):
            rows.append(list(row))
            if len(rows) > MAX_ROWS + 1:
                break
        workbook.close()
        return rows
    except Exception:  # openpyxl raises many kinds for a damaged file
        raise ValidationError(_("The XLSX file cannot be read.")) from None
