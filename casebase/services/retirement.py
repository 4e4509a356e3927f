"""Review experts decide the retirement candidates of the pruning job (retirement_decide):
confirmed cases move to the history library."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts import roles
from casebase.models import Case, CaseEvent, LevelCap, RetirementCandidate
from casebase.services.errors import CaseConflict, CasePermissionDenied
from casebase.services.events import case_event_record
from casebase.services.pruning import lock_group

MSG_RETIREMENT_NOT_OVER_CAP = gettext_noop(
    "This library (level %(level)s, %(category)s) has %(count)s active cases and its cap is "
    "%(cap)s: confirming would take it below the cap. Dismiss this retirement instead."
)
MSG_RETIREMENT_CASE_MOVED = gettext_noop(
    "This case moved to another level or category after it was proposed; dismiss this retirement "
    "and let the next pruning run decide."
)


def _retire(case_id: int, *, actor, now: datetime, data: dict) -> bool:
    """Move one case to the history library with a conditional update (True when this call
    did it; False when somebody else already had)."""
    if not Case.objects.filter(pk=case_id, status=Case.Status.ACTIVE).update(
        status=Case.Status.HISTORY, retired_at=now
    ):
        return False
    case = Case.objects.get(pk=case_id)
    case_event_record(kind=CaseEvent.Kind.RETIRED, case=case, actor=actor, data=data)
    return True


@transaction.atomic
def retirement_decide(*, candidate_id: int, user, confirm: bool) -> RetirementCandidate:
    """A review expert confirms (case → history library) or dismisses a candidate.

    Takes the lock of the case's level + category (lock_group) before deciding, so two
    experts confirming at once are counted one after the other. Confirming is refused
    (MSG_RETIREMENT_NOT_OVER_CAP) when the library is no longer above its cap — the cap is
    what experts prune to, never below — and (MSG_RETIREMENT_CASE_MOVED) when the case
    moved to another level or category since it was proposed. Raises
    RetirementCandidate.DoesNotExist for an unknown id, CasePermissionDenied or CaseConflict
    otherwise."""

    if not user.has_perm(roles.REVIEW):
        raise CasePermissionDenied(_("Only review experts may decide retirements."))
    candidate = RetirementCandidate.objects.select_related("case", "case__category").get(
        pk=candidate_id
    )
    case = candidate.case
    active = lock_group(level=case.level, category_id=case.category_id)
    now = timezone.now()
    new_status = (
        RetirementCandidate.Status.CONFIRMED if confirm else RetirementCandidate.Status.DISMISSED
    )
    claimed = RetirementCandidate.objects.filter(
        pk=candidate_id, status=RetirementCandidate.Status.PENDING
    ).update(status=new_status, decided_by=user, decided_at=now)
    if not claimed:
        raise CaseConflict(_("This retirement has already been decided."), code="already_decided")
    candidate.refresh_from_db(fields=["status", "decided_by", "decided_at"])
    if not confirm:
        case_event_record(
            kind=CaseEvent.Kind.RETIREMENT_DISMISSED,
            case=case,
            actor=user,
            data={"candidate": candidate.pk},
        )
        return candidate
    if case.pk in active:
        cap = LevelCap.cap_for(case.level, case.category_id)
        if len(active) <= cap:
            raise CaseConflict(
                _(MSG_RETIREMENT_NOT_OVER_CAP)
                % {
                    "level": case.level,
                    "category": case.category.name,
                    "count": len(active),
                    "cap": cap,
                }
            )
    elif Case.objects.filter(pk=case.pk, status=Case.Status.ACTIVE).exists():
        raise CaseConflict(_(MSG_RETIREMENT_CASE_MOVED))
    _retire(case.pk, actor=user, now=now, data={"by": "review", "candidate": candidate.pk})
    return candidate
