"""Medals: a manager awards one to an outstanding contributor, never to themselves."""

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from promotion.models import Medal, MedalAward, Notification
from promotion.services.common import MSG_REASON, PromotionError, PromotionPermissionDenied
from promotion.services.notifications import notification_send

AWARD_MEDALS = "promotion.award_medals"

MSG_MEDAL_SELF = gettext_noop("You cannot award a medal to yourself: another manager awards it.")


@transaction.atomic
def medal_award(*, medal: Medal, employee, by, reason: str) -> MedalAward:
    """A manager awards a medal to an outstanding contributor (reason required) — never to
    themselves (PromotionPermissionDenied with MSG_MEDAL_SELF)."""
    if not by.has_perm(AWARD_MEDALS):
        raise PromotionPermissionDenied
    if employee.pk == by.pk:
        raise PromotionPermissionDenied(_(MSG_MEDAL_SELF))
    if not (reason or "").strip():
        raise PromotionError(_(MSG_REASON), field="reason")
    award = MedalAward.objects.create(
        medal=medal, employee=employee, awarded_by=by, reason=reason.strip()
    )
    notification_send(
        recipient=employee,
        kind=Notification.Kind.MEDAL,
        data={"medal": medal.name},
        key=f"medal:{award.pk}",
    )
    return award
