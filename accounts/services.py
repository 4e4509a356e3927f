"""Writes of the accounts app: issuing API tokens through the same login limiter as the web."""

from collections.abc import Iterable
from dataclasses import dataclass, field

from allauth.account.adapter import get_adapter
from allauth.core import ratelimit
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from knox.models import AuthToken

from config.errors import PermissionDeniedError, ThrottledError, ValidationFailedError

MSG_BAD_CREDENTIALS = gettext_noop("The staff ID or the password is wrong.")
MSG_LOCKED = gettext_noop("Too many failed login attempts for this staff ID. Try again later.")


class LoginRefused(ValidationFailedError):
    """A token login was refused: wrong staff ID or password (HTTP 400)."""

    default_code = "login_refused"


class LoginLocked(ThrottledError):
    """The login limiter refused the attempt (HTTP 429), whatever the password."""

    default_code = "login_locked"


def api_token_issue(*, request: HttpRequest, staff_id: str, password: str) -> tuple[AuthToken, str]:
    """Check ``staff_id`` + ``password`` exactly as the web login does — allauth's adapter,
    so the same per-IP "login" limit and the per-staff-ID and per-IP "login_failed" limits
    apply, and a locked staff ID gets no token even with the right password — then issue a
    knox token (expiring after REST_KNOX["TOKEN_TTL"]). Returns (token row, token string).
    Raises LoginRefused or LoginLocked."""
    if not ratelimit.consume(request, action="login"):
        raise LoginLocked(_(MSG_LOCKED))
    adapter = get_adapter(request)
    try:
        user = adapter.authenticate(
            request, username=(staff_id or "").strip(), password=password or ""
        )
    except ValidationError:  # allauth's "too_many_login_attempts"
        raise LoginLocked(_(MSG_LOCKED)) from None
    if user is None:  # also for inactive accounts: the backends refuse them
        raise LoginRefused(_(MSG_BAD_CREDENTIALS))
    issued = AuthToken.objects.create(user)
    # One token per device, but not without bound: the oldest beyond the limit are revoked.
    keep = (
        AuthToken.objects.filter(user=user)
        .order_by("-created")
        .values_list("pk", flat=True)[: settings.API_TOKENS_PER_USER]
    )
    AuthToken.objects.filter(user=user).exclude(pk__in=list(keep)).delete()
    return issued


def employees_lock(employee_ids: Iterable[int]) -> None:
    """Lock these employee rows FOR NO KEY UPDATE in one statement, in pk order: the first
    lock of every service that decides or counts something per employee (config/locks.py,
    user rows first). NO KEY, so rows that only reference an employee (points entries,
    notifications) can still be written meanwhile."""
    list(
        get_user_model()
        .objects.select_for_update(no_key=True)
        .filter(pk__in=set(employee_ids))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


# --- bulk import of employees (HR) -------------------------------------------------------------


class EmployeeImportInvalid(ValidationFailedError):
    """The file or some of its rows were refused; nothing was imported. ``line_errors`` lists
    (line, message) — line 1 is the header, 0 the file as a whole; the API shows them as
    field messages "file" and "file.<line>"."""

    default_code = "employee_import_invalid"

    def __init__(self, message: str, line_errors: list[tuple[int, str]]):
        self.line_errors = line_errors
        fields: dict[str, list[str]] = {}
        for line, text in line_errors:
            fields.setdefault("file" if line == 0 else f"file.{line}", []).append(str(text))
        super().__init__(message, fields=fields)


class EmployeeImportDenied(PermissionDeniedError):
    default_code = "permission_denied"


@dataclass
class EmployeeImportReport:
    """What an import did (or, in a dry run, would do): counts and one line per row."""

    dry_run: bool
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    rows: list[dict] = field(default_factory=list)
    line_errors: list[tuple[int, str]] = field(default_factory=list)

    @property
    def has_errors(self) -> bool:
        return bool(self.line_errors)


def _messages(error) -> list[str]:
    if isinstance(error, ValidationError):
        if hasattr(error, "error_dict"):
            return [
                f"{name}: {m}" if name != NON_FIELD_ERRORS else str(m)
                for name, msgs in error.message_dict.items()
                for m in msgs
            ]
        return [str(m) for m in error.messages]
    return [str(error)]


def employees_import(*, file_name: str, content: bytes, by, dry_run: bool) -> EmployeeImportReport:
    """Create or update employees (matched by staff ID) from the HR system's CSV/XLSX file
    (accounts.importing). Only HR and training managers (IMPORT_EMPLOYEES) may; only the HR
    columns are read. ``dry_run``: validate every row and report what would change, write
    nothing. A real import runs in ONE transaction: when any line is refused, nothing is
    imported and EmployeeImportInvalid lists the lines (also returned in a dry run's report).
    """
    from accounts import roles
    from accounts.importing import EmployeeResource, canonical_headers, read_employee_file

    if not by.has_perm(roles.IMPORT_EMPLOYEES):
        raise EmployeeImportDenied(_("Only HR and training managers may import employees."))
    try:
        dataset = read_employee_file(file_name=file_name, content=content)
        canonical_headers(list(dataset.headers))
    except ValidationError as error:
        raise EmployeeImportInvalid(
            _("The file cannot be imported."), [(0, m) for m in _messages(error)]
        ) from None
    report = EmployeeImportReport(dry_run=dry_run)
    with transaction.atomic():
        result = EmployeeResource().import_data(
            dataset,
            dry_run=dry_run,
            raise_errors=False,
            use_transactions=True,
            rollback_on_validation_errors=True,
            user=by,
        )
        for error in result.base_errors:
            report.line_errors.append((0, str(error.error)))
        for error_row in result.error_rows:
            for error in error_row.errors:
                report.line_errors.extend((error_row.number + 1, m) for m in _messages(error.error))
        for invalid in result.invalid_rows:
            report.line_errors.extend((invalid.number + 1, m) for m in _messages(invalid.error))
        report.line_errors.sort(key=lambda pair: pair[0])
        for number, row_result in enumerate(result.rows, start=1):
            report.rows.append(
                {
                    "line": number + 1,
                    "type": row_result.import_type,
                    "employee": row_result.object_repr or "",
                }
            )
        totals = result.totals
        report.new = totals.get("new", 0)
        report.updated = totals.get("update", 0)
        report.unchanged = totals.get("skip", 0)
        if report.has_errors and not dry_run:
            transaction.set_rollback(True)
    if report.has_errors and not dry_run:
        raise EmployeeImportInvalid(
            _("The file has errors; nothing was imported."), report.line_errors
        )
    return report
