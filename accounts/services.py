"""Writes of the accounts app: issuing API tokens through the same login limiter as the web."""

from collections.abc import Iterable

from allauth.account.adapter import get_adapter
from allauth.core import ratelimit
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from knox.models import AuthToken

from config.errors import ThrottledError, ValidationFailedError

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
        user = adapter.authenticate(request, username=(staff_id or "").strip(), password=password or "")
    except ValidationError:  # allauth's "too_many_login_attempts"
        raise LoginLocked(_(MSG_LOCKED)) from None
    if user is None:  # also for inactive accounts: the backends refuse them
        raise LoginRefused(_(MSG_BAD_CREDENTIALS))
    issued = AuthToken.objects.create(user)
    # One token per device, but not without bound: the oldest beyond the limit are revoked.
    keep = AuthToken.objects.filter(user=user).order_by("-created").values_list("pk", flat=True)[
        :settings.API_TOKENS_PER_USER]
    AuthToken.objects.filter(user=user).exclude(pk__in=list(keep)).delete()
    return issued


def employees_lock(employee_ids: Iterable[int]) -> None:
    """Lock these employee rows FOR NO KEY UPDATE in one statement, in pk order: the first
    lock of every service that decides or counts something per employee (config/locks.py,
    user rows first). NO KEY, so rows that only reference an employee (points entries,
    notifications) can still be written meanwhile."""
    list(get_user_model().objects.select_for_update(no_key=True).filter(pk__in=set(employee_ids))
         .order_by("pk").values_list("pk", flat=True))
