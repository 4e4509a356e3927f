"""Mentor and apprentice pairs: mentorship_create (managers; level, one mentor per apprentice,
at most PromotionSettings.max_active_apprentices per mentor), mentorship_end, and
mentorship_history_backfill (demo history). The mentor is paid when the apprentice is
promoted (levels.employee_promote)."""

from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts import roles
from config.locks import retry_on_deadlock
from promotion import selectors
from promotion.models import Level, Mentorship
from promotion.services.common import (
    PromotionConflict,
    PromotionError,
    PromotionPermissionDenied,
    _locked_employee,
)

# Exact messages (tests and API clients assert them).
MSG_CANNOT_MENTOR = gettext_noop("Level %(level)s employees cannot take apprentices.")
MSG_MENTOR_SELF = gettext_noop("An employee cannot mentor themselves.")
MSG_MENTOR_LEVEL = gettext_noop("The mentor's level must be above the apprentice's.")
MSG_HAS_MENTOR = gettext_noop("%(name)s already has a mentor.")
MSG_MENTOR_FULL = gettext_noop(
    "%(name)s already mentors %(count)s apprentices, the most allowed at a time."
)
MSG_ENDED = gettext_noop("This mentorship has already ended.")


@retry_on_deadlock
@transaction.atomic
def mentorship_create(*, mentor, apprentice, by) -> Mentorship:
    """Pair ``mentor`` with ``apprentice`` (managers only, never in a pair of their own: the
    mentor is paid). The mentor's level must allow mentoring (Level.can_mentor) and be above
    the apprentice's; one active mentor per apprentice; at most
    PromotionSettings.max_active_apprentices per mentor (both rows locked, in pk order).
    Raises PromotionPermissionDenied, PromotionError or PromotionConflict (the apprentice
    has a mentor, the mentor has as many apprentices as allowed)."""
    if not by.has_perm(roles.MANAGE_OPERATIONS) or by.pk in (mentor.pk, apprentice.pk):
        raise PromotionPermissionDenied
    if mentor.pk == apprentice.pk:
        raise PromotionError(_(MSG_MENTOR_SELF), field="apprentice")
    level = Level.objects.filter(number=mentor.level).first()
    if level is None or not level.can_mentor:
        raise PromotionError(_(MSG_CANNOT_MENTOR) % {"level": mentor.level}, field="mentor")
    if mentor.level <= apprentice.level:
        raise PromotionError(_(MSG_MENTOR_LEVEL), field="mentor")
    for person in sorted(
        (mentor, apprentice), key=lambda employee: employee.pk
    ):  # lock order: by pk
        _locked_employee(person)
    if Mentorship.objects.filter(apprentice=apprentice, ended_at__isnull=True).exists():
        raise PromotionConflict(_(MSG_HAS_MENTOR) % {"name": apprentice.name}, field="apprentice")
    limit = selectors.exam_settings().max_active_apprentices
    if Mentorship.objects.filter(mentor=mentor, ended_at__isnull=True).count() >= limit:
        raise PromotionConflict(
            _(MSG_MENTOR_FULL) % {"name": mentor.name, "count": limit}, field="mentor"
        )
    try:
        with transaction.atomic():
            return Mentorship.objects.create(
                mentor=mentor, apprentice=apprentice, from_level=apprentice.level, created_by=by
            )
    except IntegrityError:
        raise PromotionConflict(
            _(MSG_HAS_MENTOR) % {"name": apprentice.name}, field="apprentice"
        ) from None


@transaction.atomic
def mentorship_end(*, mentorship_id: int, by) -> Mentorship:
    if not by.has_perm(roles.MANAGE_OPERATIONS):
        raise PromotionPermissionDenied
    mentorship = Mentorship.objects.select_for_update().get(pk=mentorship_id)
    if mentorship.ended_at is not None:
        raise PromotionConflict(_(MSG_ENDED))
    mentorship.ended_at = timezone.now()
    mentorship.save(update_fields=["ended_at"])
    return mentorship


@transaction.atomic
def mentorship_history_backfill(
    *, mentor, apprentice, from_level: int, started_at: datetime, ended_at: datetime | None = None
) -> Mentorship:
    """DEMO/IMPORT ONLY: a past or running pair written as history, without the level
    checks of mentorship_create. Idempotent per (mentor, apprentice, from_level)."""
    mentorship, _created = Mentorship.objects.get_or_create(
        mentor=mentor,
        apprentice=apprentice,
        from_level=from_level,
        defaults={"started_at": started_at, "ended_at": ended_at},
    )
    return mentorship
