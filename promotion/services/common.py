"""What the promotion services share: their errors (config/errors.py), the lock each of them
takes first, the employee row (config/locks.py), and the message of a missing reason."""

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_noop

from config.errors import ConflictError, PermissionDeniedError, ValidationFailedError

MSG_REASON = gettext_noop("Give a reason.")


class PromotionError(ValidationFailedError):
    """A promotion, demotion, mentorship or medal that cannot happen (HTTP 400); ``missing``
    lists unmet requirements (the message names them too)."""

    def __init__(self, message: str, missing: list[str] | None = None, **kwargs):
        self.missing = missing or []
        super().__init__(message, **kwargs)


class ExamError(ValidationFailedError):
    """The exam policy refused a start (level, retake wait, attempts, window, pool) (HTTP 400)."""


class PromotionConflict(ConflictError):
    """Already done: an exam already submitted or another one open, a mentor already named,
    a mentorship already ended (HTTP 409)."""


class PromotionPermissionDenied(PermissionDeniedError):
    """Only managers may do this to somebody else (HTTP 403)."""


def _locked_employee(employee):
    """The employee row, locked FOR NO KEY UPDATE: the first lock of every promotion service
    that locks (levels, exams, mentoring; config/locks.py: employee before their retention periods,
    exam attempts and mentorships). NO KEY, so writing rows that only reference the employee
    (points, notifications) elsewhere does not wait for it."""
    return get_user_model().objects.select_for_update(no_key=True).get(pk=employee.pk)
