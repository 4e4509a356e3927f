"""A case's content: case_create (a new case: applied proposals, maintainers, demo, admin) and
write_content, THE writer of a new version (committee-applied revisions and direct changes
by maintainers and admins alike); case_payload gives the content in proposal-payload form."""

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from casebase.models import Case, CaseCategory, CaseEvent
from casebase.selectors import case_tree
from casebase.services.errors import CaseError
from casebase.services.events import case_event_record
from casebase.services.tree import valid_tree, write_tree


def existing_category(category_id: int) -> CaseCategory:
    category = CaseCategory.objects.filter(pk=category_id).first()
    if category is None:
        raise CaseError(_("Choose an existing category."), field="category_id")
    return category


def voice_fields(*, premise: str, emotion_grade: int | None, transcript: str) -> dict:
    if premise not in Case.Premise.values:
        raise CaseError(_("Choose the premise of the voice case."), field="premise")
    if emotion_grade is None or not 1 <= int(emotion_grade) <= 5:
        raise CaseError(_("Give the emotional-problem grade (1–5)."), field="emotion_grade")
    return {
        "premise": premise,
        "emotion_grade": int(emotion_grade),
        "transcript": (transcript or "").strip(),
    }


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


def write_content(case: Case, data: dict, *, actor, reason: str) -> None:
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
        write_tree(case, data["tree"])
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
    checked_tree = valid_tree(tree) if kind == Case.Kind.TEXT else None
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
    if checked_tree is not None:
        write_tree(case, checked_tree)
    case_event_record(kind=CaseEvent.Kind.CREATED, case=case, actor=author, data=event_data or {})
    return case
