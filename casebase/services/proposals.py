"""Case proposals through the review engine: new cases and revisions (kinds "case_new" and
"case_revision") with their named participants, and their appliers (apply_new_case,
apply_revision). stale_open_proposals marks a case's open proposals stale after a direct
change or a retirement."""

import statistics
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.staff_ids import staff_ids_check, staff_ids_parse
from casebase.models import Case, CaseCategory, CaseEvent
from casebase.selectors import KIND_ITEM_MOVE, KIND_NEW, KIND_QUALITY, KIND_REVISION, study_cases
from casebase.services.audio import audio_validate, require_uploader, store_upload
from casebase.services.content import (
    case_create,
    case_payload,
    existing_category,
    voice_fields,
    write_content,
)
from casebase.services.errors import CaseError, ParticipantsInvalid
from casebase.services.events import case_event_record
from casebase.services.tree import valid_tree
from config.locks import retry_on_deadlock
from review.models import Proposal
from review.registry import StaleBaseVersion
from review.selectors import approval_extras
from review.services import OutdatedBaseVersion, proposal_create

# Other participants a proposer may name (with the proposer: a QC-style group of at most 5).
MAX_OTHER_PARTICIPANTS = 4
MSG_PARTICIPANT_UNKNOWN = gettext_noop("No active employee has the staff ID %(staff_id)s.")
MSG_PARTICIPANT_SELF = gettext_noop(
    "%(staff_id)s is your own staff ID; name only the colleagues who worked with you."
)
MSG_PARTICIPANT_TOO_MANY = gettext_noop(
    "Name at most %(max)s other participants; %(staff_id)s is one too many."
)


def participants_resolve(*, proposer, staff_ids: list[str] | None) -> list[int]:
    """The user pks of the other participants named on a case proposal (THE check for web and
    API): each an existing active employee (staff IDs compared case-insensitively), not the
    proposer, named once, at most MAX_OTHER_PARTICIPANTS. Raises ParticipantsInvalid with an
    exact message naming the first bad staff ID; [] when nobody is named."""
    named = staff_ids_parse(staff_ids)
    distinct: set[str] = set()
    for staff_id in named:
        if staff_id == (proposer.staff_id or "").upper():
            raise ParticipantsInvalid(_(MSG_PARTICIPANT_SELF) % {"staff_id": staff_id})
        if staff_id in distinct:
            break  # named twice: staff_ids_check names it
        if len(distinct) == MAX_OTHER_PARTICIPANTS:
            raise ParticipantsInvalid(
                _(MSG_PARTICIPANT_TOO_MANY) % {"max": MAX_OTHER_PARTICIPANTS, "staff_id": staff_id}
            )
        distinct.add(staff_id)
    users = staff_ids_check(
        named,
        field=ParticipantsInvalid.field,
        error=ParticipantsInvalid,
        unknown_message=MSG_PARTICIPANT_UNKNOWN,
    )
    return [user.pk for user in users.values()]


def _participants(pks: list[int]) -> list:
    """The named participants of a case proposal: co-authors, recused from voting on it."""
    return list(get_user_model().objects.filter(pk__in=pks))


@transaction.atomic
def case_new_propose(
    *,
    proposer,
    kind: str,
    title: str,
    category_id: int,
    reason: str,
    background: str = "",
    tree: dict | None = None,
    suggested_level: int | None = None,
    audio=None,
    premise: str = "",
    emotion_grade: int | None = None,
    transcript: str = "",
    participants: list[str] | None = None,
) -> Proposal:
    """Propose a new text case (``tree``) or voice case (``audio`` upload + premise, grade,
    transcript). ``participants``: staff IDs of colleagues who worked on the case with the
    proposer (participants_resolve; stored as user pks in payload["participants"]; as
    co-authors they are recused from voting on it). Raises CaseTreeInvalid /
    ParticipantsInvalid / CaseError."""
    title = (title or "").strip()
    if not title:
        raise CaseError(_("The title is required."), field="title")
    category = existing_category(category_id)
    participant_pks = participants_resolve(proposer=proposer, staff_ids=participants)
    payload: dict[str, Any] = {
        "case_kind": kind,
        "title": title,
        "category_id": category.pk,
        "background": (background or "").strip(),
        "suggested_level": int(suggested_level) if suggested_level else None,
        "participants": participant_pks,
    }
    if kind == Case.Kind.TEXT:
        payload["tree"] = valid_tree(tree)
    elif kind == Case.Kind.VOICE:
        require_uploader(proposer)
        payload.update(
            voice_fields(premise=premise, emotion_grade=emotion_grade, transcript=transcript)
        )
        if audio is None:
            raise CaseError(_("Upload the recording."), field="audio")
        info = audio_validate(audio)
        payload["audio"] = store_upload(audio, info)
        payload["duration_seconds"] = info.duration_seconds
    else:
        raise CaseError(_("Choose a text or a voice case."))
    return proposal_create(
        kind=KIND_NEW,
        proposer=proposer,
        reason=reason,
        payload=payload,
        recused=_participants(participant_pks),
    )


def outdated_message(version: int) -> str:
    return _(
        "This case has changed since you started (it is now version %(version)s). "
        "Start your revision again from the current version."
    ) % {"version": version}


@retry_on_deadlock
@transaction.atomic
def case_revision_propose(
    *,
    proposer,
    case_id: int,
    base_version: int,
    reason: str,
    title: str,
    category_id: int,
    background: str = "",
    tree: dict | None = None,
    premise: str = "",
    emotion_grade: int | None = None,
    transcript: str = "",
    audio=None,
    visible_cases=None,
    participants: list[str] | None = None,
) -> Proposal:
    """Propose a revision of an active case the proposer may study. ``visible_cases`` (a
    queryset) replaces that scope only when a caller means to; left out, it is the proposer's
    study scope (selectors.study_cases: never a test case), so forgetting it cannot leak one.
    Case.DoesNotExist for a case outside the scope.
    ``participants`` as for case_new_propose (ParticipantsInvalid).
    OutdatedBaseVersion when ``base_version`` is not current (read under the case's lock);
    CaseError for no change."""
    (visible_cases if visible_cases is not None else study_cases(proposer)).values("pk").get(
        pk=case_id
    )
    # The version is read under the case's lock (target first, see config/locks.py): a revision
    # being applied now either finished (this one is outdated) or marks this one stale.
    case = Case.objects.active().select_for_update().get(pk=case_id)
    if base_version != case.version:
        raise OutdatedBaseVersion(outdated_message(case.version))
    before = case_payload(case)
    title = (title or "").strip()
    if not title:
        raise CaseError(_("The title is required."), field="title")
    payload: dict[str, Any] = {
        "case_kind": case.kind,
        "title": title,
        "category_id": existing_category(category_id).pk,
        "background": (background or "").strip(),
    }
    participant_pks = participants_resolve(proposer=proposer, staff_ids=participants)
    if case.is_text:
        payload["tree"] = valid_tree(tree)
    else:
        payload.update(
            voice_fields(premise=premise, emotion_grade=emotion_grade, transcript=transcript)
        )
        if audio is not None:
            require_uploader(proposer)
            info = audio_validate(audio)
            payload["audio"], payload["duration_seconds"] = (
                store_upload(audio, info),
                info.duration_seconds,
            )
        else:
            payload["audio"], payload["duration_seconds"] = (
                before["audio"],
                before["duration_seconds"],
            )
    if payload == before:
        raise CaseError(_("The proposal changes nothing."))
    payload["before"] = before
    payload["participants"] = participant_pks
    return proposal_create(
        kind=KIND_REVISION,
        proposer=proposer,
        reason=reason,
        payload=payload,
        target=case,
        base_version=case.version,
        recused=_participants(participant_pks),
    )


def _grading(proposal: Proposal) -> tuple[int, str]:
    """Level = the lower median of the approvers' levels; set = the approvers' majority
    (a tie goes to training). Falls back to the proposer's suggestion and training."""
    extras = approval_extras(proposal)
    if not extras:
        return int(proposal.payload.get("suggested_level") or 1), Case.Split.TRAINING
    level = statistics.median_low(int(e["level"]) for e in extras)
    tests = sum(1 for e in extras if e["split"] == Case.Split.TEST)
    return level, Case.Split.TEST if tests > len(extras) - tests else Case.Split.TRAINING


def apply_new_case(proposal: Proposal) -> int:
    """Create the case of an approved "case_new" proposal with the reviewers' level and set;
    returns its version (1)."""
    data = proposal.payload
    level, split = _grading(proposal)
    case = case_create(
        kind=data["case_kind"],
        title=data["title"],
        category=CaseCategory.objects.get(pk=data["category_id"]),
        level=level,
        split=split,
        background=data.get("background", ""),
        tree=data.get("tree"),
        audio_name=data.get("audio", ""),
        duration_seconds=data.get("duration_seconds"),
        premise=data.get("premise", ""),
        emotion_grade=data.get("emotion_grade"),
        transcript=data.get("transcript", ""),
        author=proposal.proposer,
        reason=f"proposal #{proposal.pk}",
        event_data={"proposal": proposal.pk},
    )
    proposal.target_type = ContentType.objects.get_for_model(Case)
    proposal.target_id = case.pk
    proposal.save(update_fields=["target_type", "target_id"])
    return case.version


def apply_revision(proposal: Proposal) -> int:
    """Write an approved revision into its case; returns the new version. Raises
    StaleBaseVersion when the case moved on since the proposal was written."""
    case = Case.objects.select_for_update().get(pk=proposal.target_id)
    if case.version != proposal.base_version:
        raise StaleBaseVersion()
    write_content(
        case, proposal.payload, actor=proposal.proposer, reason=f"proposal #{proposal.pk}"
    )
    case_event_record(
        kind=CaseEvent.Kind.REVISED,
        case=case,
        actor=proposal.proposer,
        data={"proposal": proposal.pk, "version": case.version},
    )
    return case.version


def current_version(proposal: Proposal) -> int | None:
    if proposal.kind not in (KIND_REVISION, KIND_QUALITY, KIND_ITEM_MOVE):
        return None
    return Case.objects.filter(pk=proposal.target_id).values_list("version", flat=True).first()


def case_proposals(case: Case, kind: str):
    return Proposal.objects.filter(
        kind=kind, target_type=ContentType.objects.get_for_model(Case), target_id=case.pk
    )


def stale_open_proposals(case: Case, *, current_version: int) -> int:
    """Mark every open proposal on ``case`` stale (and notify their proposers), exactly as the
    review engine does for the siblings of an applied proposal: they were written on a
    version a direct change has just replaced, or the case is retired. The case row is
    locked already (target before proposals). Returns how many."""
    from review.services import target_proposals_outdate

    return len(
        target_proposals_outdate(target=case, current_version=current_version, keep_current=False)
    )
