"""promotion's part of the learning record kept by curriculum (curriculum never imports
promotion): how the promotion exams and re-tests are read as exam evidence of the gap
analysis (curriculum.gaps.register_exam_evidence), and the trajectory entries of the ladder
— promotion exams and re-tests, level changes, closed retention periods
(curriculum.selectors.register_trajectory_source). Registered from PromotionConfig.ready()."""

from __future__ import annotations

import datetime as dt

from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from config.idsets import id_set
from curriculum.gaps import ExamEvidenceSource, register_exam_evidence
from curriculum.selectors import TrajectoryEntry, TrajectorySource, register_trajectory_source
from promotion.blueprint import competency_tally
from promotion.models import ExamAttempt as LevelExam
from promotion.models import PromotionEvent, RetentionPeriod, reasons_text

# --- exam evidence of the gap analysis ----------------------------------------------------


ATTEMPT_CHUNK = 200  # attempts read per round trip by counting_tallies


def counting_tallies(employee_ids: list[int], since: dt.datetime, until: dt.datetime):
    """(employee pk, pk, submitted_at, {competency item id: (right, questions)}) of the
    employees' promotion exams and re-tests submitted in time (passed or failed — not one
    whose time ran out) between ``since`` and ``until``, by employee and newest first. One
    query whose rows stream ATTEMPT_CHUNK at a time, each attempt's questions (with their
    cases' backgrounds and transcripts) reduced to its tally as it is read: a roster chunk of
    6,000 attempts peaked at 1.46 GB held whole, 37 MB streamed."""
    rows = (
        LevelExam.objects.filter(
            employee_id__in=id_set(employee_ids),
            status__in=[LevelExam.Status.PASSED, LevelExam.Status.FAILED],
            submitted_at__gte=since,
            submitted_at__lte=until,
        )
        .order_by("employee_id", "-submitted_at", "-pk")
        .values_list("employee_id", "pk", "submitted_at", "questions", "answers")
    )
    for employee_id, pk, at, questions, answers in rows.iterator(chunk_size=ATTEMPT_CHUNK):
        yield employee_id, pk, at, competency_tally(questions or (), answers or {})


# --- trajectory ----------------------------------------------------------------------------


def _label(choices, value) -> str:
    return str(dict(choices).get(value, value))


def _ladder_exam_rows(employee):
    return (
        LevelExam.objects.filter(employee=employee)
        .annotate(at=Coalesce("submitted_at", "started_at"))
        .order_by("-at", "-pk")
        .values_list(
            "at", "purpose", "level", "status", "score_percent", "pass_percent", "correct_count"
        )
    )


def _ladder_exam_entry(row):
    at, purpose, level, status, score, mark, correct = row
    kind = _("Re-test") if purpose == LevelExam.Purpose.RETENTION else _("Promotion exam")
    status_text = _label(LevelExam.Status.choices, status)
    result = status_text if score is None else f"{score}% · {status_text}"
    detail = _("%(correct)s right · pass mark %(mark)s%%") % {"correct": correct, "mark": mark}
    return TrajectoryEntry(
        at,
        kind,
        _("Level %(level)s") % {"level": level},
        result,
        detail if status != LevelExam.Status.OPEN else "",
    )


def _level_change_rows(employee):
    return (
        PromotionEvent.objects.filter(employee=employee)
        .order_by("-at", "-pk")
        .values_list("at", "kind", "from_level", "to_level", "reason", "reasons")
    )


def _level_change_entry(row):
    at, kind, from_level, to_level, reason, reasons = row
    label = _("Promoted") if kind == PromotionEvent.Kind.PROMOTED else _("Demoted")
    return TrajectoryEntry(
        at,
        _("Level change"),
        _("Level %(from)s → %(to)s") % {"from": from_level, "to": to_level},
        label,
        reasons_text(reasons, reason),
    )


def _retention_rows(employee):
    return (
        RetentionPeriod.objects.filter(employee=employee, closed_at__isnull=False)
        .order_by("-closed_at", "-pk")
        .values_list("closed_at", "level", "status", "due_at")
    )


def _retention_entry(row):
    at, level, status, due_at = row
    return TrajectoryEntry(
        at,
        _("Retention (保级)"),
        _("Level %(level)s") % {"level": level},
        _label(RetentionPeriod.Status.choices, status),
        _("due %(date)s") % {"date": timezone.localtime(due_at).date()},
    )


def register() -> None:
    register_exam_evidence(ExamEvidenceSource(tallies=counting_tallies))
    # their places among curriculum's own sources: see curriculum.selectors (trajectory)
    for source in (
        TrajectorySource("ladder_exam", _ladder_exam_rows, _ladder_exam_entry, 90),
        TrajectorySource("level_change", _level_change_rows, _level_change_entry, 110),
        TrajectorySource("retention", _retention_rows, _retention_entry, 120),
    ):
        register_trajectory_source(source)
