"""Direct maintenance by case maintainers (DOMAIN.md §4), also used by the admin: create,
revise and retire a case without the committee, its competency tags and knowledge-base
citations, and the admin's tree correction."""

from collections.abc import Collection
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.levels import CASE_LEVELS
from casebase.models import MAINTAIN_CASES, Case, CaseEvent, RetirementCandidate
from casebase.selectors import case_tree, catalogue_cases
from casebase.services.audio import audio_validate, store_upload
from casebase.services.content import (
    case_create,
    case_payload,
    existing_category,
    voice_fields,
    write_content,
)
from casebase.services.errors import CaseConflict, CaseError, CasePermissionDenied
from casebase.services.events import case_event_record
from casebase.services.exam_use import case_exposure_record
from casebase.services.proposals import outdated_message, stale_open_proposals
from casebase.services.tree import valid_tree
from config.locks import retry_on_deadlock
from review.services import OutdatedBaseVersion

MSG_NOT_MAINTAINER = gettext_noop(
    "Only case maintainers may create, revise or retire cases directly."
)
MSG_REASON_REQUIRED = gettext_noop("Give a reason for the change.")
MSG_NOTHING_CHANGED = gettext_noop("The change changes nothing.")
NOTHING_CHANGED = "nothing_changed"  # the code of that refusal
MSG_ALREADY_RETIRED = gettext_noop("This case is already in the history library.")


def require_maintainer(user) -> None:
    if not (user and user.is_authenticated and user.is_active and user.has_perm(MAINTAIN_CASES)):
        raise CasePermissionDenied(_(MSG_NOT_MAINTAINER))


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise CaseError(_(MSG_REASON_REQUIRED), field="reason")
    return reason


def _grade(level, split) -> tuple[int, str]:
    try:
        level = int(level)
    except (TypeError, ValueError):
        level = 0
    if level not in CASE_LEVELS:
        raise CaseError(_("Choose a level from 1 to 5."), field="level")
    if split not in Case.Split.values:
        raise CaseError(_("Choose the training or the test set."), field="split")
    return level, split


def _maintained_case(user, case_id: int, scope) -> Case:
    """The case ``case_id`` locked for a direct change: within ``scope`` (default the
    catalogue the user may read; Case.DoesNotExist otherwise, a 404)."""
    (scope if scope is not None else catalogue_cases(user)).values("pk").get(pk=case_id)
    return Case.objects.select_for_update().get(pk=case_id)


@transaction.atomic
def case_maintain_create(
    *,
    user,
    kind: str,
    title: str,
    category_id: int,
    level: int,
    split: str,
    reason: str,
    background: str = "",
    tree: dict | None = None,
    audio=None,
    premise: str = "",
    emotion_grade: int | None = None,
    transcript: str = "",
    via: str = "maintainer",
) -> Case:
    """A maintainer enters a case directly (no committee): version 1 with ``user`` as author
    and ``reason`` in its history. Raises CasePermissionDenied / CaseError /
    CaseTreeInvalid / AudioInvalid."""
    require_maintainer(user)
    title = (title or "").strip()
    if not title:
        raise CaseError(_("The title is required."), field="title")
    category = existing_category(category_id)
    level, split = _grade(level, split)
    reason = _reason(reason)
    fields: dict[str, Any] = {}
    if kind == Case.Kind.TEXT:
        fields["tree"] = valid_tree(tree)
    elif kind == Case.Kind.VOICE:
        fields.update(
            voice_fields(premise=premise, emotion_grade=emotion_grade, transcript=transcript)
        )
        if audio is None:
            raise CaseError(_("Upload the recording."), field="audio")
        if isinstance(audio, str):  # a stored name (admin)
            fields["audio_name"] = audio
        else:
            info = audio_validate(audio)
            fields["audio_name"], fields["duration_seconds"] = (
                store_upload(audio, info),
                info.duration_seconds,
            )
    else:
        raise CaseError(_("Choose a text or a voice case."), field="kind")
    return case_create(
        kind=kind,
        title=title,
        category=category,
        level=level,
        split=split,
        background=background or "",
        author=user,
        reason=reason,
        event_data={"via": via, "reason": reason, "version": 1},
        **fields,
    )


@retry_on_deadlock
@transaction.atomic
def case_maintain_revise(
    *,
    user,
    case_id: int,
    base_version: int,
    reason: str,
    title: str,
    category_id: int,
    level: int | None = None,
    split: str | None = None,
    background: str = "",
    tree: dict | None = None,
    premise: str = "",
    emotion_grade: int | None = None,
    transcript: str = "",
    audio=None,
    scope=None,
    via: str = "maintainer",
) -> Case:
    """A maintainer revises a case directly (active or in the history library): a new
    version written by write_content (the committee's writer) with ``reason`` and ``user``
    in its history and a "revised" CaseEvent carrying the content before and after (the
    history page's diff). Every open proposal on the case is marked stale, as when the
    committee applies a revision. ``level``/``split`` regrade it (default unchanged).
    ``scope``: the cases the caller may change (default catalogue_cases(user); the admin
    passes all cases). Revising a TEST case shows it in full: recorded as a CaseExposure.
    Raises CasePermissionDenied, Case.DoesNotExist, OutdatedBaseVersion, CaseError."""
    require_maintainer(user)
    case = _maintained_case(user, case_id, scope)
    if base_version != case.version:
        raise OutdatedBaseVersion(outdated_message(case.version))
    reason = _reason(reason)
    title = (title or "").strip()
    if not title:
        raise CaseError(_("The title is required."), field="title")
    level, split = _grade(case.level if level is None else level, split or case.split)
    before = dict(case_payload(case), level=case.level, split=case.split)
    after: dict[str, Any] = {
        "case_kind": case.kind,
        "title": title,
        "category_id": existing_category(category_id).pk,
        "background": (background or "").strip(),
        "level": level,
        "split": split,
    }
    if case.is_text:
        after["tree"] = valid_tree(tree)
    else:
        after.update(
            voice_fields(premise=premise, emotion_grade=emotion_grade, transcript=transcript)
        )
        if audio is not None and not isinstance(audio, str):
            info = audio_validate(audio)
            after["audio"], after["duration_seconds"] = (
                store_upload(audio, info),
                info.duration_seconds,
            )
        elif isinstance(audio, str) and audio:  # a stored name (admin)
            after["audio"], after["duration_seconds"] = audio, case.duration_seconds
        else:
            after["audio"], after["duration_seconds"] = before["audio"], before["duration_seconds"]
    if after == before:
        raise CaseError(_(MSG_NOTHING_CHANGED), code=NOTHING_CHANGED)
    write_content(case, after, actor=user, reason=reason)
    case_event_record(
        kind=CaseEvent.Kind.REVISED,
        case=case,
        actor=user,
        data={
            "via": via,
            "reason": reason,
            "version": case.version,
            "before": before,
            "after": after,
        },
    )
    stale_open_proposals(case, current_version=case.version)
    if Case.Split.TEST in (before["split"], split):
        case_exposure_record(employee=user, case=case)
    return case


MSG_UNKNOWN_COMPETENCY = gettext_noop("Choose competency items of the competency dictionary.")


@transaction.atomic
def case_competencies_set(*, user, case_id: int, item_ids: Collection[int], scope=None) -> Case:
    """A maintainer tags a case with the competency items it tests (the exam blueprint:
    promotion.selectors.exam_plan). Tags are not part of the case's content: no new version.
    Exams already drawn keep the tags of their draw. ``scope`` as for case_maintain_revise.
    Raises CasePermissionDenied, Case.DoesNotExist, CaseError (an unknown item)."""
    from competency.models import CompetencyItem

    require_maintainer(user)
    case = _maintained_case(user, case_id, scope)
    wanted = set(item_ids)
    items = list(CompetencyItem.objects.filter(pk__in=wanted))
    if len(items) != len(wanted):
        raise CaseError(_(MSG_UNKNOWN_COMPETENCY), field="competencies")
    case.competencies.set(items)
    return case


@retry_on_deadlock
@transaction.atomic
def case_maintain_retire(
    *, user, case_id: int, reason: str, scope=None, via: str = "maintainer"
) -> Case:
    """A maintainer retires a case: it moves to the history library (out of study and of the
    exam draw; its versions, events, studies and ratings are kept), with ``reason`` in its
    history. Open proposals on it are marked stale, pending retirement candidates confirmed
    by ``user``. Raises CasePermissionDenied, Case.DoesNotExist, CaseConflict (already
    retired), CaseError (no reason)."""
    require_maintainer(user)
    case = _maintained_case(user, case_id, scope)
    reason = _reason(reason)
    if case.status != Case.Status.ACTIVE:
        raise CaseConflict(_(MSG_ALREADY_RETIRED), code="already_retired")
    now = timezone.now()
    case.status, case.retired_at = Case.Status.HISTORY, now
    case._history_user = user
    case._change_reason = reason[:100]
    case.save(update_fields=["status", "retired_at"])
    RetirementCandidate.objects.filter(case=case, status=RetirementCandidate.Status.PENDING).update(
        status=RetirementCandidate.Status.CONFIRMED, decided_by=user, decided_at=now
    )
    case_event_record(
        kind=CaseEvent.Kind.RETIRED,
        case=case,
        actor=user,
        data={"by": via, "reason": reason, "version": case.version},
    )
    stale_open_proposals(case, current_version=case.version)
    return case


def case_admin_tree_set(*, case: Case, tree: dict, actor) -> Case:
    """An admin corrected a text case's tree: a direct revision through case_maintain_revise
    (new version, history, stale proposals); nothing happens when the tree is unchanged."""
    if valid_tree(tree) == case_tree(case):
        return case
    return case_maintain_revise(
        user=actor,
        case_id=case.pk,
        base_version=case.version,
        reason=_("Corrected in admin"),
        title=case.title,
        category_id=case.category_id,
        background=case.background,
        tree=tree,
        scope=Case.objects.all(),
        via="admin",
    )


MSG_UNKNOWN_ENTRIES = gettext_noop("No knowledge-base entry has the id(s) %(ids)s.")


@transaction.atomic
def case_citations_set(*, user, case_id: int, entry_ids: list[int], scope=None) -> list[int]:
    """A maintainer sets the KB entries ``case_id`` cites (CaseCitation): rows for new ids
    are added, rows for ids no longer listed removed. Every id must be an existing entry
    (CaseError on the field "entries" otherwise). Returns the cited ids, sorted."""
    from casebase.models import CaseCitation
    from knowledgebase.models import Entry

    require_maintainer(user)
    case = _maintained_case(user, case_id, scope)
    wanted = set(entry_ids)
    known = set(Entry.objects.filter(pk__in=wanted).values_list("pk", flat=True))
    if unknown := sorted(wanted - known):
        raise CaseError(
            _(MSG_UNKNOWN_ENTRIES) % {"ids": ", ".join(map(str, unknown))}, field="entries"
        )
    current = set(CaseCitation.objects.filter(case=case).values_list("entry_id", flat=True))
    CaseCitation.objects.filter(case=case, entry_id__in=current - wanted).delete()
    CaseCitation.objects.bulk_create(
        [CaseCitation(case=case, entry_id=pk) for pk in sorted(wanted - current)]
    )
    return sorted(wanted)
