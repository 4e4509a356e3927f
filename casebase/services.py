"""Writes of the case libraries. Cases enter and change through the review engine (kinds
"case_new" and "case_revision", appliers below) or directly by case maintainers
(case_maintain_create / _revise / _retire, also used by the admin); both write a case's
content through _write_content, and every important change writes a CaseEvent through
case_event_record."""

import io
import logging
import os
import re
import statistics
import uuid
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import mutagen
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts import roles
from accounts.levels import CASE_LEVELS, MAX_LEVEL, MIN_CASE_LEVEL
from accounts.staff_ids import staff_ids_check, staff_ids_parse
from casebase.audio import measured_seconds
from casebase.models import (
    MAINTAIN_CASES,
    RECORDINGS_DIR,
    CallSuggestion,
    Case,
    CaseCategory,
    CaseCommentary,
    CaseEvent,
    CaseExposure,
    CaseLibrarySettings,
    CaseNode,
    CaseRating,
    CaseReflection,
    CaseStudy,
    LevelCap,
    RetirementCandidate,
    recordings_storage,
)
from casebase.selectors import (
    KIND_ITEM_MOVE,
    KIND_NEW,
    KIND_QUALITY,
    KIND_REVISION,
    can_moderate_reflections,
    can_write_commentary,
    case_contributors,
    case_tree,
    catalogue_cases,
    moderatable_reflections,
    sees_test_content,
    study_cases,
)
from casebase.tree import TreeError, tree_to_text, validate_tree
from config.errors import ConflictError, PermissionDeniedError, ValidationFailedError
from config.locks import retry_on_deadlock
from review.models import Proposal
from review.registry import StaleBaseVersion
from review.selectors import approval_extras
from review.services import OutdatedBaseVersion, proposal_create

__all__ = ["KIND_NEW", "KIND_QUALITY", "KIND_REVISION"]

AUDIO_TYPES = {"mp3": "MP3", "wav": "WAVE", "ogg": "Ogg", "m4a": "MP4"}
MSG_NOT_AUDIO = gettext_noop("The file is not a readable MP3, WAV, OGG or M4A recording.")
MSG_LENGTH_MISMATCH = gettext_noop(
    "The recording's header says it lasts %(header)s seconds but its content lasts %(measured)s seconds; "
    "export the recording again."
)
MSG_RECORDING_REQUIRED = gettext_noop("A voice case needs a recording.")
MSG_RECORDING_ON_TEXT = gettext_noop(
    "A text case has no recording; remove the file or make it a voice case."
)
# Types whose length casebase.audio measures from the content, and how far the header may be off.
MEASURED_TYPES = {"mp3", "wav"}
AUDIO_LENGTH_TOLERANCE = (2.0, 0.10)  # seconds, share of the length: whichever is larger

logger = logging.getLogger(__name__)

# Other participants a proposer may name (with the proposer: a QC-style group of at most 5).
MAX_OTHER_PARTICIPANTS = 4
MSG_PARTICIPANT_UNKNOWN = gettext_noop("No active employee has the staff ID %(staff_id)s.")
MSG_PARTICIPANT_SELF = gettext_noop(
    "%(staff_id)s is your own staff ID; name only the colleagues who worked with you."
)
MSG_PARTICIPANT_TOO_MANY = gettext_noop(
    "Name at most %(max)s other participants; %(staff_id)s is one too many."
)
MSG_ALREADY_RATED = gettext_noop("You have already rated this case; a rating cannot be changed.")
MSG_RETIREMENT_NOT_OVER_CAP = gettext_noop(
    "This library (level %(level)s, %(category)s) has %(count)s active cases and its cap is %(cap)s: "
    "confirming would take it below the cap. Dismiss this retirement instead."
)
MSG_RETIREMENT_CASE_MOVED = gettext_noop(
    "This case moved to another level or category after it was proposed; dismiss this retirement and let the "
    "next pruning run decide."
)
# Quality-case review applications.
MSG_QUALITY_NOT_CONTRIBUTOR = gettext_noop(
    "Only the case's contributors (its author, or the proposer or a named participant of an accepted "
    "creation or revision of it) may apply for its quality-case review."
)
MSG_QUALITY_OPEN = gettext_noop("This case already has an open quality-case application.")
MSG_QUALITY_PASSED = gettext_noop(
    "This case already passed a quality-case review; it may apply again after a later accepted revision."
)
MSG_QUALITY_STATEMENT = gettext_noop("Say why the case is a quality case.")
MSG_RECORDING_MAINTAINERS = gettext_noop(
    "Only case maintainers upload recordings: voice cases are picked by the centre from real calls. Suggest the "
    "call by its reference instead."
)
MSG_NOT_MAINTAINER = gettext_noop(
    "Only case maintainers may create, revise or retire cases directly."
)
MSG_REASON_REQUIRED = gettext_noop("Give a reason for the change.")
MSG_NOTHING_CHANGED = gettext_noop("The change changes nothing.")
NOTHING_CHANGED = "nothing_changed"  # the code of that refusal
MSG_ALREADY_RETIRED = gettext_noop("This case is already in the history library.")
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
MSG_QUALITY_JUDGED = gettext_noop(
    "The committee already judged this version of the case in a quality-case review; it may apply again after a "
    "later accepted revision."
)


class CaseError(ValidationFailedError):
    """A rule of the case libraries refused the input (HTTP 400 / form error)."""


class CaseConflict(ConflictError):
    """The case or the decision is no longer in the state the action needs (HTTP 409): an
    open or passed quality-case application, a retirement already decided or overtaken."""


class CasePermissionDenied(PermissionDeniedError):
    """The user may not do this to the case (HTTP 403)."""


class CaseAlreadyRated(ConflictError):
    """The employee rated the case before; ratings are final (HTTP 409 / page message)."""

    default_code = "already_rated"


class ParticipantsInvalid(CaseError):
    """A named participant was refused (field "participants")."""

    field = "participants"


class AudioInvalid(CaseError):
    """The uploaded recording was refused (type, size, duration or unreadable content);
    field "audio"."""

    field = "audio"


class CaseTreeInvalid(CaseError):
    """The text-case tree breaks a rule; ``messages`` lists every problem (field "tree")."""

    def __init__(self, messages: list[str]):
        super().__init__(" ".join(messages), fields={"tree": messages})


def case_event_record(
    *, kind: str, case: Case, actor=None, data: dict[str, Any] | None = None
) -> CaseEvent:
    return CaseEvent.objects.create(kind=kind, case=case, actor=actor, data=data or {})


def case_events_record(
    *, kind: str, events: list[tuple[int, dict[str, Any]]], actor=None
) -> list[CaseEvent]:
    """Many audit rows of one kind in one INSERT: ``events`` as (case id, data) pairs (the
    pruning job's candidates and retirements)."""
    return CaseEvent.objects.bulk_create(
        CaseEvent(kind=kind, case_id=pk, actor=actor, data=data) for pk, data in events
    )


# --- trees and audio -------------------------------------------------------------------


def _valid_tree(tree: Any) -> dict:
    try:
        return validate_tree(tree)
    except TreeError as exc:
        raise CaseTreeInvalid(exc.messages) from None


def _write_tree(case: Case, tree: dict) -> None:
    """Replace the case's nodes by ``tree`` (already validated). Nodes are saved one by one
    so django-simple-history records each."""
    for node in case.nodes.filter(parent__isnull=True):
        node.delete()

    def create(data: dict, parent: CaseNode | None, order: int) -> None:
        node = CaseNode.objects.create(
            case=case,
            parent=parent,
            order=order,
            role=data["role"],
            text=data["text"],
            emotion=data.get("emotion", ""),
            thinking=data.get("thinking", ""),
            rationales=data.get("rationales", []),
            is_best=data.get("is_best", False),
            outcome=data.get("outcome", ""),
            final_state=data.get("final_state", ""),
        )
        for index, child in enumerate(data.get("children", [])):
            create(child, node, index)

    create(tree, None, 0)


@dataclass
class AudioInfo:
    extension: str
    duration_seconds: int


def audio_validate(upload, *, config: CaseLibrarySettings | None = None) -> AudioInfo:
    """Check an uploaded recording: extension and content (read by mutagen) are MP3, WAV,
    OGG or M4A, within the configured size and duration. Raises CaseError with the exact
    reason."""
    config = config or CaseLibrarySettings.current()
    extension = os.path.splitext(upload.name or "")[1].lower().lstrip(".")
    if extension not in AUDIO_TYPES:
        raise AudioInvalid(_("Upload an MP3, WAV, OGG or M4A file."))
    if upload.size > config.audio_max_bytes:
        raise AudioInvalid(
            _("The recording is larger than %(mb).1f MB.")
            % {"mb": config.audio_max_bytes / 1024 / 1024}
        )
    try:
        upload.seek(0)
        content = upload.read(config.audio_max_bytes + 1)
        audio = mutagen.File(io.BytesIO(content))
    except Exception:  # mutagen raises many error types for corrupt files
        audio = None
    finally:
        upload.seek(0)
    if (
        audio is None
        or getattr(audio, "info", None) is None
        or not getattr(audio.info, "length", 0)
    ):
        raise AudioInvalid(_(MSG_NOT_AUDIO))
    if not type(audio).__name__.startswith(AUDIO_TYPES[extension]):
        raise AudioInvalid(
            _("The file's content does not match its .%(ext)s extension.") % {"ext": extension}
        )
    length = audio_length_checked(extension, content, header_seconds=audio.info.length)
    if length > config.audio_max_seconds:
        raise AudioInvalid(
            _("The recording is longer than %(s)s seconds.") % {"s": config.audio_max_seconds}
        )
    return AudioInfo(extension=extension, duration_seconds=max(1, round(length)))


def audio_length_checked(extension: str, content: bytes, *, header_seconds: float) -> float:
    """The length to cap and store: measured from the content for MP3 and WAV
    (casebase.audio), mutagen's reading for the others. Raises AudioInvalid when the
    header's length and the measured one differ by more than AUDIO_LENGTH_TOLERANCE (a
    header that hides most of the file from the cap)."""
    measured = measured_seconds(extension, content)
    if extension not in MEASURED_TYPES:
        return header_seconds
    if measured is None:
        raise AudioInvalid(_(MSG_NOT_AUDIO))
    seconds, share = AUDIO_LENGTH_TOLERANCE
    if abs(measured - header_seconds) > max(seconds, share * max(measured, header_seconds)):
        raise AudioInvalid(
            _(MSG_LENGTH_MISMATCH) % {"header": round(header_seconds), "measured": round(measured)}
        )
    return measured


def _store_upload(upload, info: AudioInfo) -> str:
    """Save a validated recording in the recordings storage; returns its storage name."""
    return recordings_storage().save(f"{RECORDINGS_DIR}{uuid.uuid4().hex}.{info.extension}", upload)


def case_recording_check(
    *, kind: str, audio, config: CaseLibrarySettings | None = None
) -> AudioInfo | None:
    """THE recording rule of a case written outside the proposal forms (admin): a voice case
    has a recording, a text case none; a newly uploaded file (one with a content type, not a
    stored name) passes audio_validate. Returns the new file's AudioInfo, None when no new
    file was uploaded. Raises AudioInvalid."""
    if kind == Case.Kind.TEXT:
        if audio:
            raise AudioInvalid(_(MSG_RECORDING_ON_TEXT))
        return None
    if not audio:
        raise AudioInvalid(_(MSG_RECORDING_REQUIRED))
    if hasattr(audio, "content_type"):
        return audio_validate(audio, config=config)
    return None


# --- proposals -------------------------------------------------------------------------


def _category(category_id: int) -> CaseCategory:
    category = CaseCategory.objects.filter(pk=category_id).first()
    if category is None:
        raise CaseError(_("Choose an existing category."), field="category_id")
    return category


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


def _require_uploader(user) -> None:
    """Recordings are uploaded only by case maintainers (the centre picks voice cases from real
    calls); everyone else suggests a call by its reference (call_suggest)."""
    if not user.has_perm(MAINTAIN_CASES):
        raise CasePermissionDenied(_(MSG_RECORDING_MAINTAINERS), code="recording_maintainers_only")


def _participants(pks: list[int]) -> list:
    """The named participants of a case proposal: co-authors, recused from voting on it."""
    return list(get_user_model().objects.filter(pk__in=pks))


def _voice_fields(*, premise: str, emotion_grade: int | None, transcript: str) -> dict:
    if premise not in Case.Premise.values:
        raise CaseError(_("Choose the premise of the voice case."), field="premise")
    if emotion_grade is None or not 1 <= int(emotion_grade) <= 5:
        raise CaseError(_("Give the emotional-problem grade (1–5)."), field="emotion_grade")
    return {
        "premise": premise,
        "emotion_grade": int(emotion_grade),
        "transcript": (transcript or "").strip(),
    }


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
    category = _category(category_id)
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
        payload["tree"] = _valid_tree(tree)
    elif kind == Case.Kind.VOICE:
        _require_uploader(proposer)
        payload.update(
            _voice_fields(premise=premise, emotion_grade=emotion_grade, transcript=transcript)
        )
        if audio is None:
            raise CaseError(_("Upload the recording."), field="audio")
        info = audio_validate(audio)
        payload["audio"] = _store_upload(audio, info)
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


def case_payload(case: Case) -> dict:
    """The editable content of a case, in proposal-payload form."""
    data: dict[str, Any] = {
        "case_kind": case.kind,
        "title": case.title,
        "category_id": case.category_id,
        "background": case.background,
    }
    if case.is_text:
        data["tree"] = case_tree(case)
    else:
        data.update(
            {
                "premise": case.premise,
                "emotion_grade": case.emotion_grade,
                "transcript": case.transcript,
                "audio": case.audio.name,
                "duration_seconds": case.duration_seconds,
            }
        )
    return data


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
        "category_id": _category(category_id).pk,
        "background": (background or "").strip(),
    }
    participant_pks = participants_resolve(proposer=proposer, staff_ids=participants)
    if case.is_text:
        payload["tree"] = _valid_tree(tree)
    else:
        payload.update(
            _voice_fields(premise=premise, emotion_grade=emotion_grade, transcript=transcript)
        )
        if audio is not None:
            _require_uploader(proposer)
            info = audio_validate(audio)
            payload["audio"], payload["duration_seconds"] = (
                _store_upload(audio, info),
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


def _write_content(case: Case, data: dict, *, actor, reason: str) -> None:
    """Write a new version of ``case`` (locked by the caller) from ``data`` in proposal-payload
    form (a validated tree, or the voice fields and recording): THE writer of a case's content,
    for committee-applied revisions and direct changes by maintainers and admins alike.
    Raises the version, resets the constant time and leaves a history record with
    ``actor`` and ``reason``."""
    case.title, case.category_id, case.background = (
        data["title"],
        data["category_id"],
        data.get("background", ""),
    )
    if "level" in data:
        case.level, case.split = data["level"], data["split"]
    if case.is_text:
        _write_tree(case, data["tree"])
    else:
        case.premise, case.emotion_grade = data["premise"], data["emotion_grade"]
        case.transcript, case.audio.name, case.duration_seconds = (
            data["transcript"],
            data["audio"],
            data["duration_seconds"],
        )
    case.version += 1
    case.revised_at = timezone.now()
    case._history_user = actor
    case._change_reason = reason[:100]
    case.save()


def apply_revision(proposal: Proposal) -> int:
    """Write an approved revision into its case; returns the new version. Raises
    StaleBaseVersion when the case moved on since the proposal was written."""
    case = Case.objects.select_for_update().get(pk=proposal.target_id)
    if case.version != proposal.base_version:
        raise StaleBaseVersion()
    _write_content(
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


# --- quality-case review ------------------------------------------------------------------


def _case_proposals(case: Case, kind: str):
    return Proposal.objects.filter(
        kind=kind, target_type=ContentType.objects.get_for_model(Case), target_id=case.pk
    )


def quality_case_check(*, case: Case, applicant, contributors: list | None = None) -> None:
    """THE rule of who may apply for ``case``'s quality-case review now (the service, the
    case page and the apply page all call it). Raises CasePermissionDenied when
    ``applicant`` is not one of the case's contributors (casebase.selectors.case_contributors),
    CaseConflict when the case has an open application, or already passed and was not revised
    (an accepted revision) since: it may apply again only with new work to judge. Likewise
    a version whose application was rejected, or withdrawn after a vote, is not judged
    again (every vote pays the member, so re-applying would farm review points). The
    caller fetched an ACTIVE case."""
    contributors = case_contributors(case) if contributors is None else contributors
    if applicant.pk not in {c.employee.pk for c in contributors}:
        raise CasePermissionDenied(_(MSG_QUALITY_NOT_CONTRIBUTOR))
    if _case_proposals(case, KIND_QUALITY).filter(status=Proposal.Status.OPEN).exists():
        raise CaseConflict(_(MSG_QUALITY_OPEN), code="quality_application_open")
    passed = (
        _case_proposals(case, KIND_QUALITY)
        .filter(status=Proposal.Status.APPLIED)
        .order_by("-decided_at")
        .values_list("decided_at", flat=True)
        .first()
    )
    if (
        passed is not None
        and not _case_proposals(case, KIND_REVISION)
        .filter(status=Proposal.Status.APPLIED, decided_at__gt=passed)
        .exists()
    ):
        raise CaseConflict(_(MSG_QUALITY_PASSED), code="quality_case_passed")
    if (
        _case_proposals(case, KIND_QUALITY)
        .filter(base_version=case.version)
        .filter(Q(status=Proposal.Status.REJECTED) | Q(votes__isnull=False))
        .exists()
    ):
        raise CaseConflict(_(MSG_QUALITY_JUDGED), code="quality_case_judged")


@retry_on_deadlock
@transaction.atomic
def quality_case_apply(*, applicant, case_id: int, statement: str) -> Proposal:
    """``applicant`` applies for the quality-case review of the active case ``case_id``
    (Case.DoesNotExist otherwise): a "quality_case" proposal the committee votes on. Its
    payload snapshots the contributors (who are paid when it passes and among whom each
    approving member names the outstanding one); every contributor is recused from voting
    on it (a vote on one's own reward is a conflict of interest).

    The case row is locked while the rule is checked, so two applications at the same
    moment make one. Raises CasePermissionDenied or CaseConflict (quality_case_check), CaseError (a
    missing statement: field "statement")."""
    case = Case.objects.active().select_for_update().get(pk=case_id)
    contributors = case_contributors(case)
    quality_case_check(case=case, applicant=applicant, contributors=contributors)
    statement = (statement or "").strip()
    if not statement:
        raise CaseError(_(MSG_QUALITY_STATEMENT), field="statement")
    return proposal_create(
        kind=KIND_QUALITY,
        proposer=applicant,
        reason=statement,
        target=case,
        base_version=case.version,
        payload={"title": case.title, "contributors": [c.employee.pk for c in contributors]},
        recused=[c.employee for c in contributors],
    )


def apply_quality_case(proposal: Proposal) -> int:
    """Applier of a passed "quality_case" proposal: the case itself does not change (the
    points are paid by the kind's on_applied hook). Raises StaleBaseVersion when the case was
    revised or moved to the history library since the application (apply again). Returns
    the case's version."""
    case = Case.objects.select_for_update().get(pk=proposal.target_id)
    if case.status != Case.Status.ACTIVE or case.version != proposal.base_version:
        raise StaleBaseVersion()
    return case.version


# --- direct writes (demo, admin, appliers) ----------------------------------------------


@transaction.atomic
def case_create(
    *,
    kind: str,
    title: str,
    category: CaseCategory,
    level: int,
    split: str,
    background: str = "",
    tree: dict | None = None,
    audio_name: str = "",
    duration_seconds: int | None = None,
    premise: str = "",
    emotion_grade: int | None = None,
    transcript: str = "",
    author=None,
    reason: str = "",
    event_data: dict | None = None,
    created_at: datetime | None = None,
) -> Case:
    """Create a case directly (applied proposals, demo, admin). A text case's ``tree`` is
    validated (CaseTreeInvalid)."""
    valid_tree = _valid_tree(tree) if kind == Case.Kind.TEXT else None
    case = Case(
        kind=kind,
        title=title.strip(),
        category=category,
        level=level,
        split=split,
        background=background.strip(),
        audio=audio_name or "",
        duration_seconds=duration_seconds,
        premise=premise,
        emotion_grade=emotion_grade,
        transcript=transcript,
        author=author,
        created_at=created_at or timezone.now(),
    )
    case._history_user = author
    case._change_reason = reason[:100]
    case.save()
    if valid_tree is not None:
        _write_tree(case, valid_tree)
    case_event_record(kind=CaseEvent.Kind.CREATED, case=case, actor=author, data=event_data or {})
    return case


# --- direct maintenance by business managers (DOMAIN.md §4) ------------------------------


def _require_maintainer(user) -> None:
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


def _stale_open_proposals(case: Case, *, current_version: int) -> int:
    """Mark every open proposal on ``case`` stale (and notify their proposers), exactly as the
    review engine does for the siblings of an applied proposal: they were written on a
    version a direct change has just replaced, or the case is retired. The case row is
    locked already (target before proposals). Returns how many."""
    from review.services import target_proposals_outdate

    return len(
        target_proposals_outdate(target=case, current_version=current_version, keep_current=False)
    )


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
    _require_maintainer(user)
    title = (title or "").strip()
    if not title:
        raise CaseError(_("The title is required."), field="title")
    category = _category(category_id)
    level, split = _grade(level, split)
    reason = _reason(reason)
    fields: dict[str, Any] = {}
    if kind == Case.Kind.TEXT:
        fields["tree"] = _valid_tree(tree)
    elif kind == Case.Kind.VOICE:
        fields.update(
            _voice_fields(premise=premise, emotion_grade=emotion_grade, transcript=transcript)
        )
        if audio is None:
            raise CaseError(_("Upload the recording."), field="audio")
        if isinstance(audio, str):  # a stored name (admin)
            fields["audio_name"] = audio
        else:
            info = audio_validate(audio)
            fields["audio_name"], fields["duration_seconds"] = (
                _store_upload(audio, info),
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
    version written by _write_content (the committee's writer) with ``reason`` and ``user``
    in its history and a "revised" CaseEvent carrying the content before and after (the
    history page's diff). Every open proposal on the case is marked stale, as when the
    committee applies a revision. ``level``/``split`` regrade it (default unchanged).
    ``scope``: the cases the caller may change (default catalogue_cases(user); the admin
    passes all cases). Revising a TEST case shows it in full: recorded as a CaseExposure.
    Raises CasePermissionDenied, Case.DoesNotExist, OutdatedBaseVersion, CaseError."""
    _require_maintainer(user)
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
        "category_id": _category(category_id).pk,
        "background": (background or "").strip(),
        "level": level,
        "split": split,
    }
    if case.is_text:
        after["tree"] = _valid_tree(tree)
    else:
        after.update(
            _voice_fields(premise=premise, emotion_grade=emotion_grade, transcript=transcript)
        )
        if audio is not None and not isinstance(audio, str):
            info = audio_validate(audio)
            after["audio"], after["duration_seconds"] = (
                _store_upload(audio, info),
                info.duration_seconds,
            )
        elif isinstance(audio, str) and audio:  # a stored name (admin)
            after["audio"], after["duration_seconds"] = audio, case.duration_seconds
        else:
            after["audio"], after["duration_seconds"] = before["audio"], before["duration_seconds"]
    if after == before:
        raise CaseError(_(MSG_NOTHING_CHANGED), code=NOTHING_CHANGED)
    _write_content(case, after, actor=user, reason=reason)
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
    _stale_open_proposals(case, current_version=case.version)
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

    _require_maintainer(user)
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
    _require_maintainer(user)
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
    _stale_open_proposals(case, current_version=case.version)
    return case


def case_admin_tree_set(*, case: Case, tree: dict, actor) -> Case:
    """An admin corrected a text case's tree: a direct revision through case_maintain_revise
    (new version, history, stale proposals); nothing happens when the tree is unchanged."""
    if _valid_tree(tree) == case_tree(case):
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


# --- suggested calls, reflections and the trainer's commentary (voice cases) -------------

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
    _require_maintainer(user)
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


# --- study, ratings, exams ------------------------------------------------------------


@transaction.atomic
def case_mark_studied(*, employee, case_id: int) -> tuple[CaseStudy, bool]:
    """Record that ``employee`` studied a case of their study scope (Case.DoesNotExist for
    anything else, e.g. a test case). Returns (row, created); a second call keeps the first
    timestamp."""
    case = study_cases(employee).get(pk=case_id)
    try:
        with transaction.atomic():
            return CaseStudy.objects.get_or_create(employee=employee, case=case)
    except IntegrityError:  # a double click raced us
        return CaseStudy.objects.get(employee=employee, case=case), False


@transaction.atomic
def case_rate(*, employee, case_id: int, value: str) -> CaseRating:
    """Record ``employee``'s one rating of a case in their study scope (一人一案只能评价一次).
    Raises CaseError for a value other than excellent/average/poor, Case.DoesNotExist outside
    the study scope, and CaseAlreadyRated (MSG_ALREADY_RATED) when the employee rated the
    case before — also when two first ratings race: the unique constraint (employee, case)
    refuses the second row and its request gets the same refusal."""
    if value not in CaseRating.Value.values:
        raise CaseError(_("Choose excellent, average or poor."), field="value")
    case = study_cases(employee).get(pk=case_id)
    if CaseRating.objects.filter(employee=employee, case=case).exists():
        raise CaseAlreadyRated(_(MSG_ALREADY_RATED))
    try:
        with transaction.atomic():
            return CaseRating.objects.create(employee=employee, case=case, value=value)
    except IntegrityError:  # a concurrent first rating by the same employee won
        raise CaseAlreadyRated(_(MSG_ALREADY_RATED)) from None


@transaction.atomic
def case_record_exam_use(*, case_id: int, exam_ref: str = "") -> None:
    """The promotion engine drew the case into an exam: +1 exam use (feeds classicness)."""
    case_record_exam_uses(case_ids=[case_id], exam_ref=exam_ref)


@transaction.atomic
def case_record_exam_uses(*, case_ids: list[int], exam_ref: str = "") -> int:
    """The promotion engine drew these cases into one exam (counted when the exam starts, so
    an abandoned or expired attempt counts too): +1 exam use each — the exposure that the
    draw balances (least exposed first) and that feeds classicness — and one "exam_use"
    CaseEvent per case. Three queries whatever the number of cases (lock in pk order, update,
    insert); returns the cases counted."""
    ids = sorted(set(case_ids))
    # Lock the rows in pk order first (config/locks.py): an UPDATE … WHERE pk IN (…) locks them
    # in whatever order the plan reads them, which can cross a library group's lock.
    existing = list(
        Case.objects.filter(pk__in=ids)
        .order_by("pk")
        .select_for_update()
        .values_list("pk", flat=True)
    )
    updated = Case.objects.filter(pk__in=existing).update(exam_uses=F("exam_uses") + 1)
    CaseEvent.objects.bulk_create(
        [
            CaseEvent(kind=CaseEvent.Kind.EXAM_USE, case_id=pk, data={"exam": exam_ref})
            for pk in existing
        ]
    )
    return updated


# --- pruning and the history library -----------------------------------------------------


@dataclass
class PruneResult:
    retired: list[int] = field(default_factory=list)
    proposed: list[int] = field(default_factory=list)
    groups_over_cap: int = 0


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


def retirement_order(cases, config: CaseLibrarySettings | None = None):
    """Cases in the order they leave a full library: lowest classicness first, then the
    longest constant time (oldest latest change), then the oldest id."""
    return cases.with_indicators(config).order_by(
        "classicness_score", Coalesce("revised_at", "created_at").asc(), "pk"
    )


def _lock_group(*, level: int, category_id: int) -> list[int]:
    """Lock the active cases of one level + category (SELECT … FOR UPDATE in pk order) and
    return their pks: a recount that stays true until the transaction ends. Everything that
    decides how many cases a library keeps takes this lock first (each pruning run per
    group, retirement_decide), so two runs, or two experts, wait for each other and the
    second one counts what the first left. Lock order: a group's case rows (by pk) before
    retirement candidates. SQLite ignores FOR UPDATE; it serialises writing transactions."""
    return list(
        Case.objects.filter(level=level, category_id=category_id, status=Case.Status.ACTIVE)
        .order_by("pk")
        .select_for_update()
        .values_list("pk", flat=True)
    )


def case_library_prune(*, now: datetime | None = None) -> PruneResult:
    """For every level + category with more active cases than its cap, list the excess
    (retirement_order) as retirement candidates for review experts (prune mode "propose",
    the default) — or, in the explicit automatic mode "move", retire them to the history
    library at once.

    Each group is decided in its own transaction under _lock_group, recounting its active
    cases and pending candidates under that lock, so overlapping runs (a second beat, a
    manual run, a redelivered message) together retire or propose exactly the excess.
    Running it twice changes nothing the second time."""
    now = now or timezone.now()
    config = CaseLibrarySettings.current()
    caps = {(c.level, c.category_id): c.cap for c in LevelCap.objects.all()}
    result = PruneResult()
    # A first look without locks, only to skip the groups within their caps.
    groups = (
        Case.objects.active()
        .values("level", "category_id")
        .order_by("level", "category_id")
        .annotate(n=Count("pk"))
    )
    for group in groups:
        cap = caps.get((group["level"], group["category_id"]), config.default_cap)
        if group["n"] > cap:
            _prune_group(
                level=group["level"],
                category_id=group["category_id"],
                cap=cap,
                config=config,
                now=now,
                result=result,
            )
    return result


@transaction.atomic
def _prune_group(
    *,
    level: int,
    category_id: int,
    cap: int,
    config: CaseLibrarySettings,
    now: datetime,
    result: PruneResult,
) -> None:
    """Decide one group over its cap in a constant number of statements, whatever its size:
    the group lock, the pending candidates, the excess in retirement order (one ranked
    SELECT), then one bulk write of the candidates or retirements and one of their events."""
    excess = len(_lock_group(level=level, category_id=category_id)) - cap
    if excess <= 0:  # another run got here first
        return
    result.groups_over_cap += 1
    in_group = Case.objects.active().filter(level=level, category_id=category_id)
    fields = ("pk", "classicness_score", "revised_at", "created_at")
    if config.prune_mode == CaseLibrarySettings.PruneMode.MOVE:
        chosen = list(retirement_order(in_group, config).values_list(*fields)[:excess])
        # Every case of the group is locked and active, so the update moves exactly these.
        Case.objects.filter(pk__in=[row[0] for row in chosen]).update(
            status=Case.Status.HISTORY, retired_at=now
        )
        case_events_record(
            kind=CaseEvent.Kind.RETIRED,
            events=[
                (pk, {"by": "prune", "cap": cap, "classicness": score})
                for pk, score, _r, _c in chosen
            ],
        )
        result.retired.extend(row[0] for row in chosen)
        return
    pending = list(
        RetirementCandidate.objects.filter(
            case__in=in_group, status=RetirementCandidate.Status.PENDING
        ).values_list("case_id", flat=True)
    )
    needed = excess - len(pending)
    if needed <= 0:
        return
    chosen = retirement_order(in_group.exclude(pk__in=pending), config).values_list(*fields)[
        :needed
    ]
    # No other writer lists candidates of this group while its lock is held; the unique
    # constraint on pending candidates stays the last line of defence.
    candidates = RetirementCandidate.objects.bulk_create(
        RetirementCandidate(
            case_id=pk,
            classicness_snapshot=score,
            created_at=now,
            constant_days_snapshot=max(now - (revised_at or created_at), timedelta(0)).days,
        )
        for pk, score, revised_at, created_at in chosen
    )
    case_events_record(
        kind=CaseEvent.Kind.RETIREMENT_PROPOSED,
        events=[(c.case_id, {"candidate": c.pk}) for c in candidates],
    )
    result.proposed.extend(c.case_id for c in candidates)


@transaction.atomic
def retirement_decide(*, candidate_id: int, user, confirm: bool) -> RetirementCandidate:
    """A review expert confirms (case → history library) or dismisses a candidate.

    Takes the lock of the case's level + category (_lock_group) before deciding, so two
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
    active = _lock_group(level=case.level, category_id=case.category_id)
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


def tree_text_of(case: Case) -> str:
    return tree_to_text(case_tree(case)) if case.is_text else ""


# --- "shown in full" and recordings -------------------------------------------------------


def case_exposure_record(
    *, employee, case: Case | None = None, proposal: Proposal | None = None
) -> bool:
    """Record that ``employee`` was shown ``case`` (a test case: history page, recording)
    or ``proposal`` (a case proposal's content: proposal pages, its recording) in full, so
    an exam never draws it for them (casebase.selectors.cases_known_to). Only the first
    showing is kept (unique per employee and case / proposal; a concurrent duplicate is
    ignored). Returns True when this call wrote the row."""
    if employee is None or not employee.is_authenticated or (case is None and proposal is None):
        return False
    lookup = {"case": case} if case is not None else {"proposal": proposal}
    if CaseExposure.objects.filter(employee=employee, **lookup).exists():
        return False
    try:
        with transaction.atomic():
            CaseExposure.objects.create(employee=employee, **lookup)
    except IntegrityError:  # the same page opened twice at once
        return False
    return True


CASE_PROPOSAL_KINDS = (KIND_NEW, KIND_REVISION)


def recordings_in_use(*, names: list[str] | None = None) -> set[str]:
    """Storage names of the recordings something still needs: a case (active or in the
    history library) and the payload of an OPEN case proposal (its own upload and, for a
    revision, the version it was written on). ``names`` limits the answer to these names."""
    cases = Case.objects.exclude(audio="")
    if names is not None:
        cases = cases.filter(audio__in=names)
    used = set(cases.values_list("audio", flat=True))
    for payload in (
        Proposal.objects.open()
        .filter(kind__in=CASE_PROPOSAL_KINDS)
        .values_list("payload", flat=True)
    ):
        payload = payload or {}
        used.update(
            str(name)
            for name in (payload.get("audio"), (payload.get("before") or {}).get("audio"))
            if name
        )
    return used if names is None else used & set(names)


def recording_delete_if_unused(*, name: str) -> bool:
    """Delete the stored recording ``name`` when no case and no open case proposal refers to
    it (recordings_in_use); True when it was deleted. Names outside RECORDINGS_DIR are never
    touched."""
    if not name or not name.startswith(RECORDINGS_DIR) or ".." in name:
        return False
    if recordings_in_use(names=[name]):
        return False
    storage = recordings_storage()
    if not storage.exists(name):
        return False
    storage.delete(name)
    logger.info("Deleted the recording %s (no case or open proposal refers to it).", name)
    return True


def proposal_recording_cleanup(proposal: Proposal) -> None:
    """on_closed of the case proposal kinds: once the proposal left "open" without being
    applied (rejected, withdrawn, stale), its uploaded recording is deleted after the
    transaction commits — unless a case or another open proposal refers to it (a revision
    that kept the case's recording, a file shared by a rebased proposal)."""
    name = str((proposal.payload or {}).get("audio") or "")
    if name:
        transaction.on_commit(lambda: recording_delete_if_unused(name=name))


@dataclass
class SweepResult:
    deleted: list[str] = field(default_factory=list)
    kept_recent: int = 0
    kept_in_use: int = 0


def recordings_orphan_sweep(
    *, now: datetime | None = None, grace_hours: int | None = None
) -> SweepResult:
    """Delete the files under RECORDINGS_DIR that no case and no open case proposal refers
    to and that are older than ``grace_hours`` (default the RECORDINGS_ORPHAN_GRACE_HOURS
    setting, 24 h), so an upload whose proposal is still being written is left alone.
    Rechecks each file against the references just before deleting it; safe to run twice
    or in overlap (a file already gone is skipped)."""
    from django.conf import settings

    now = now or timezone.now()
    grace = timedelta(
        hours=settings.RECORDINGS_ORPHAN_GRACE_HOURS if grace_hours is None else grace_hours
    )
    storage = recordings_storage()
    result = SweepResult()
    try:
        _dirs, files = storage.listdir(RECORDINGS_DIR.rstrip("/"))
    except FileNotFoundError:
        return result
    used = recordings_in_use()
    for filename in sorted(files):
        name = f"{RECORDINGS_DIR}{filename}"
        if name in used:
            result.kept_in_use += 1
            continue
        try:
            modified = storage.get_modified_time(name)
        except (FileNotFoundError, NotImplementedError):
            continue
        if now - modified < grace:
            result.kept_recent += 1
            continue
        if recording_delete_if_unused(name=name):
            result.deleted.append(name)
    return result


# --- moves suggested by the exam item statistics -----------------------------------------


class ItemMove:
    """What a review of a test case's exam statistics may decide (case_item_move_propose)."""

    LEVEL_DOWN = "level_down"
    LEVEL_UP = "level_up"
    TRAINING = "training"
    RETIRE = "retire"
    CHOICES = (LEVEL_DOWN, LEVEL_UP, TRAINING, RETIRE)


ITEM_MOVE_PERMISSIONS = (roles.MANAGE_TRAINING, roles.REVIEW)
MSG_ITEM_MOVE_FORBIDDEN = gettext_noop(
    "Only training managers and review committee members propose moves of test cases."
)
MSG_ITEM_MOVE_ACTION = gettext_noop(
    "Choose a move: one level down, one level up, to the training set or retire."
)
MSG_ITEM_MOVE_NOT_TEST = gettext_noop("Only active test cases are moved from the item statistics.")
MSG_ITEM_MOVE_EDGE = gettext_noop("A level-%(level)s case cannot move one level %(direction)s.")
MSG_ITEM_MOVE_OPEN = gettext_noop(
    "This case already has an open move proposal; vote on it instead."
)


def item_move_target(case: Case, action: str) -> tuple[int, str] | None:
    """(level, set) the case would have after ``action``; None for a retirement."""
    if action == ItemMove.LEVEL_DOWN:
        return case.level - 1, case.split
    if action == ItemMove.LEVEL_UP:
        return case.level + 1, case.split
    if action == ItemMove.TRAINING:
        return case.level, Case.Split.TRAINING
    return None


@retry_on_deadlock
@transaction.atomic
def case_item_move_propose(
    *, proposer, case_id: int, action: str, reason: str, evidence: dict[str, Any] | None = None
) -> Proposal:
    """A training manager or committee member proposes, from the exam item statistics, to
    move an active TEST case one level down or up, into the training set, or to the history
    library. The review experts of the case's category decide it (the "case_item_move"
    kind). ``evidence`` (the statistics shown when proposing) is kept in the payload.
    Raises CasePermissionDenied, Case.DoesNotExist, CaseError (action, not a test case,
    level edge, no reason), CaseConflict (an open move proposal exists)."""
    if not (
        proposer
        and proposer.is_authenticated
        and proposer.is_active
        and any(proposer.has_perm(perm) for perm in ITEM_MOVE_PERMISSIONS)
    ):
        raise CasePermissionDenied(_(MSG_ITEM_MOVE_FORBIDDEN))
    if action not in ItemMove.CHOICES:
        raise CaseError(_(MSG_ITEM_MOVE_ACTION), field="action")
    case = Case.objects.select_for_update().get(pk=case_id)
    if not sees_test_content(
        proposer, case.level
    ):  # a level they are still examined on: not theirs to see
        raise Case.DoesNotExist
    if case.status != Case.Status.ACTIVE or case.split != Case.Split.TEST:
        raise CaseError(_(MSG_ITEM_MOVE_NOT_TEST))
    target = item_move_target(case, action)
    if target is not None and not MIN_CASE_LEVEL <= target[0] <= MAX_LEVEL:
        raise CaseError(
            _(MSG_ITEM_MOVE_EDGE)
            % {"level": case.level, "direction": _("down") if target[0] < case.level else _("up")},
            field="action",
        )
    if _case_proposals(case, KIND_ITEM_MOVE).filter(status=Proposal.Status.OPEN).exists():
        raise CaseConflict(_(MSG_ITEM_MOVE_OPEN), code="item_move_open")
    payload: dict[str, Any] = {
        "title": case.title,
        "category_id": case.category_id,
        "action": action,
        "from_level": case.level,
        "from_split": case.split,
        "to_level": target[0] if target else None,
        "to_split": target[1] if target else None,
        "evidence": evidence or {},
    }
    return proposal_create(
        kind=KIND_ITEM_MOVE,
        proposer=proposer,
        reason=reason,
        payload=payload,
        target=case,
        base_version=case.version,
    )


def apply_item_move(proposal: Proposal) -> int:
    """Apply an approved "case_item_move": change the case's level or set (a "regraded"
    CaseEvent; the content and its version stay) or move it to the history library (a
    "retired" CaseEvent). StaleBaseVersion when the case changed meanwhile (content, level,
    set or status). Returns the case's version."""
    data = proposal.payload
    case = Case.objects.select_for_update().get(pk=proposal.target_id)
    if (
        case.version != proposal.base_version
        or case.status != Case.Status.ACTIVE
        or case.level != data["from_level"]
        or case.split != data["from_split"]
    ):
        raise StaleBaseVersion()
    case._history_user = proposal.proposer
    case._change_reason = f"proposal #{proposal.pk}"
    if data["action"] == ItemMove.RETIRE:
        case.status, case.retired_at = Case.Status.HISTORY, timezone.now()
        case.save(update_fields=["status", "retired_at"])
        RetirementCandidate.objects.filter(
            case=case, status=RetirementCandidate.Status.PENDING
        ).update(status=RetirementCandidate.Status.CONFIRMED, decided_at=case.retired_at)
        case_event_record(
            kind=CaseEvent.Kind.RETIRED,
            case=case,
            actor=proposal.proposer,
            data={"by": "committee", "proposal": proposal.pk, "version": case.version},
        )
    else:
        case.level, case.split = data["to_level"], data["to_split"]
        case.save(update_fields=["level", "split"])
        case_event_record(
            kind=CaseEvent.Kind.REGRADED,
            case=case,
            actor=proposal.proposer,
            data={
                "proposal": proposal.pk,
                "from_level": data["from_level"],
                "to_level": case.level,
                "from_split": data["from_split"],
                "to_split": case.split,
            },
        )
    return case.version


def on_item_move_applied(proposal: Proposal, approvals) -> None:
    """A retirement applied: the case's other open proposals can no longer be applied (they
    are marked stale, as after a maintainer's retirement)."""
    if proposal.payload.get("action") == ItemMove.RETIRE:
        case = Case.objects.get(pk=proposal.target_id)
        _stale_open_proposals(case, current_version=case.version)


MSG_UNKNOWN_ENTRIES = gettext_noop("No knowledge-base entry has the id(s) %(ids)s.")


@transaction.atomic
def case_citations_set(*, user, case_id: int, entry_ids: list[int], scope=None) -> list[int]:
    """A maintainer sets the KB entries ``case_id`` cites (CaseCitation): rows for new ids
    are added, rows for ids no longer listed removed. Every id must be an existing entry
    (CaseError on the field "entries" otherwise). Returns the cited ids, sorted."""
    from casebase.models import CaseCitation
    from knowledgebase.models import Entry

    _require_maintainer(user)
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
