"""Around the voice cases: calls suggested by their reference, employees' reflections and
their moderation, the trainer's commentary."""

import re

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts import roles
from casebase.models import (
    MAINTAIN_CASES,
    CallSuggestion,
    Case,
    CaseCommentary,
    CaseLibrarySettings,
    CaseReflection,
    CaseStudy,
)
from casebase.selectors import (
    can_moderate_reflections,
    can_write_commentary,
    catalogue_cases,
    moderatable_reflections,
    study_cases,
)
from casebase.services.errors import CaseConflict, CaseError, CasePermissionDenied
from casebase.services.exam_use import case_exposure_record
from casebase.services.maintenance import require_maintainer

MSG_CALL_REF = gettext_noop(
    "Give the call's reference in the call-recording system (letters, digits, - _ / . :)."
)
MSG_CALL_REF_PHONE = gettext_noop(
    "That looks like a phone number; give the call's reference, never a customer's number."
)
MSG_CALL_PENDING = gettext_noop("This call was already suggested and waits for a decision.")
MSG_CALL_TOO_MANY = gettext_noop(
    "You already have %(n)s suggested calls waiting for a decision; wait until they are decided."
)
MSG_CALL_DECIDED = gettext_noop("This suggestion has already been decided.")
MSG_CALL_CASE_NOT_VOICE = gettext_noop("Link a voice case.")
MSG_REFLECTION_NOT_VOICE = gettext_noop("Reflections are written on voice cases.")
MSG_REFLECTION_NOT_STUDIED = gettext_noop(
    "Mark the case studied before writing your reflection on it."
)
MSG_REFLECTION_TWICE = gettext_noop("You already wrote your reflection on this case.")
MSG_REFLECTION_EMPTY = gettext_noop("Write your reflection.")
MSG_NOT_MODERATOR = gettext_noop(
    "Only case maintainers and training managers moderate reflections."
)
MSG_NOT_COMMENTATOR = gettext_noop(
    "Only training managers and review experts write the trainer's commentary."
)
MSG_COMMENTARY_EMPTY = gettext_noop("Write the commentary.")
CALL_REF_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_\-/.:]{2,99}$")
PHONE_RE = re.compile(r"^\+?(86)?1\d{10}$")


@transaction.atomic
def call_suggest(*, user, call_ref: str, reason: str) -> CallSuggestion:
    """A CSR suggests a real call as a voice case by its reference in the call-recording
    system (no upload). Refused: a reference that is a mobile number (a customer's), a call
    already waiting for a decision, more than CaseLibrarySettings.max_pending_call_suggestions
    of the employee's own waiting."""

    if not user.has_perm(roles.STUDY) and not user.has_perm(MAINTAIN_CASES):
        raise CasePermissionDenied()
    call_ref = (call_ref or "").strip()
    if PHONE_RE.match(call_ref.replace(" ", "").replace("-", "")):
        raise CaseError(_(MSG_CALL_REF_PHONE), field="call_ref")
    if not CALL_REF_RE.match(call_ref):
        raise CaseError(_(MSG_CALL_REF), field="call_ref")
    reason = (reason or "").strip()
    if not reason:
        raise CaseError(_("Say why this call would make a good voice case."), field="reason")
    from accounts.services import employees_lock

    employees_lock([user.pk])  # the count below stays true until this suggestion is stored
    limit = CaseLibrarySettings.current().max_pending_call_suggestions
    if (
        CallSuggestion.objects.filter(
            suggested_by=user, status=CallSuggestion.Status.PENDING
        ).count()
        >= limit
    ):
        raise CaseConflict(_(MSG_CALL_TOO_MANY) % {"n": limit}, code="too_many_pending")
    try:
        with transaction.atomic():
            return CallSuggestion.objects.create(
                call_ref=call_ref, reason=reason[:2000], suggested_by=user
            )
    except IntegrityError:
        raise CaseConflict(_(MSG_CALL_PENDING), code="call_pending") from None


@transaction.atomic
def call_suggestion_decide(
    *, user, suggestion_id: int, accept: bool, note: str = "", case_id: int | None = None
) -> CallSuggestion:
    """A maintainer accepts (optionally naming the voice case made from it, one of their
    catalogue) or declines a suggested call; decided once (CaseConflict afterwards)."""
    require_maintainer(user)
    CallSuggestion.objects.values("pk").get(pk=suggestion_id)
    if case_id and not catalogue_cases(user).filter(pk=case_id, kind=Case.Kind.VOICE).exists():
        raise CaseError(_(MSG_CALL_CASE_NOT_VOICE), field="case_id")
    status = CallSuggestion.Status.ACCEPTED if accept else CallSuggestion.Status.DECLINED
    claimed = CallSuggestion.objects.filter(
        pk=suggestion_id, status=CallSuggestion.Status.PENDING
    ).update(
        status=status,
        decided_by=user,
        decided_at=timezone.now(),
        decision_note=(note or "").strip()[:300],
        case_id=case_id if accept and case_id else None,
    )
    if not claimed:
        raise CaseConflict(_(MSG_CALL_DECIDED), code="already_decided")
    return CallSuggestion.objects.get(pk=suggestion_id)


@transaction.atomic
def reflection_add(*, employee, case_id: int, text: str) -> CaseReflection:
    """员工体会: a CSR who marked a voice case of their study scope studied writes their
    reflection (one per employee and case). It waits for a moderator (reflection_moderate)
    before anyone else sees it. Case.DoesNotExist outside the study scope."""
    case = study_cases(employee).get(pk=case_id)
    if case.kind != Case.Kind.VOICE:
        raise CaseError(_(MSG_REFLECTION_NOT_VOICE))
    if not CaseStudy.objects.filter(case=case, employee=employee).exists():
        raise CaseConflict(_(MSG_REFLECTION_NOT_STUDIED), code="not_studied")
    text = (text or "").strip()
    if not text:
        raise CaseError(_(MSG_REFLECTION_EMPTY), field="text")
    try:
        with transaction.atomic():
            return CaseReflection.objects.create(case=case, employee=employee, text=text[:3000])
    except IntegrityError:
        raise CaseConflict(_(MSG_REFLECTION_TWICE), code="already_reflected") from None


@transaction.atomic
def reflection_moderate(*, user, reflection_id: int, approve: bool) -> CaseReflection:
    """A maintainer or training manager shows (approve) or hides a reflection; may be
    changed later (an approved one hidden after a complaint). CaseReflection.DoesNotExist (a
    404) for a reflection outside moderatable_reflections(user): one on a TEST case the
    moderator may still be examined on."""
    if not can_moderate_reflections(user):
        raise CasePermissionDenied(_(MSG_NOT_MODERATOR))
    reflection = moderatable_reflections(user).select_for_update().get(pk=reflection_id)
    reflection.status = CaseReflection.Status.APPROVED if approve else CaseReflection.Status.HIDDEN
    reflection.moderated_by, reflection.moderated_at = user, timezone.now()
    reflection.save(update_fields=["status", "moderated_by", "moderated_at"])
    return reflection


@transaction.atomic
def commentary_set(*, user, case_id: int, text: str) -> CaseCommentary:
    """培训师点评: a training manager or review expert writes the current commentary of a
    voice case they may read in full (catalogue_cases; a test case's reading is recorded as
    an exposure). The earlier texts stay in its history."""
    if not can_write_commentary(user):
        raise CasePermissionDenied(_(MSG_NOT_COMMENTATOR))
    case = catalogue_cases(user).get(pk=case_id)
    if case.kind != Case.Kind.VOICE:
        raise CaseError(_("The trainer's commentary belongs to voice cases."))
    text = (text or "").strip()
    if not text:
        raise CaseError(_(MSG_COMMENTARY_EMPTY), field="text")
    commentary = CaseCommentary.objects.select_for_update().filter(case=case).first()
    if commentary is None:
        commentary = CaseCommentary(case=case)
    elif commentary.text == text:
        return commentary
    commentary.text, commentary.author, commentary.updated_at = text[:5000], user, timezone.now()
    commentary._history_user = user
    commentary.save()
    if case.split == Case.Split.TEST:
        case_exposure_record(employee=user, case=case)
    return commentary
