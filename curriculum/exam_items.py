"""Course exams per competency item. THE rule: a course question tests its own competency
items when it has any, otherwise every competency item of its course (question_items). A
graded attempt's result per item (competency_scores, the result page and API; drawn by
scores_chart, which the promotion exam's feedback draws too) and the gap
analysis's exam evidence from course exams (curriculum.gaps) both read the tallies of
course_exam_tallies, two queries for any number of attempts. The tags are read when the
result is read: re-tagging a question re-reads the attempts that asked it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Q
from django.utils.translation import gettext as _

from config import charts
from config.charts import Chart
from curriculum.models import AttemptQuestion, Course, ExamAttempt


def score_percent(correct: int, total: int) -> Decimal:
    """correct / total as a percentage rounded down to 0.1 (0 when there are no questions):
    a promotion exam's score, and any exam's score per competency item."""
    if not total:
        return Decimal("0")
    return (Decimal(correct) * 100 / Decimal(total)).quantize(Decimal("0.1"), rounding="ROUND_DOWN")


def question_items(own: Iterable[int], course: Iterable[int]) -> tuple[int, ...]:
    """The competency item ids a course question counts for: ``own`` (the question's tags)
    when it has any, else ``course`` (its course's items)."""
    own = tuple(own)
    return own if own else tuple(course)


@dataclass
class AttemptTally:
    """One submitted course exam attempt: whose, when, and {item id: (right, questions)} in
    the order the items first appear in the attempt."""

    employee_id: int
    submitted_at: dt.datetime | None
    items: dict[int, tuple[int, int]] = field(default_factory=dict)


def course_exam_tallies(attempts: Q) -> dict[int, AttemptTally]:
    """{attempt pk: AttemptTally} of the submitted course exam attempts matching ``attempts``
    (a Q on ExamAttempt), by question_items. Two queries: the attempts' questions with their
    own items, and the items of the courses they belong to."""
    rows = (
        AttemptQuestion.objects.filter(
            attempt__in=ExamAttempt.objects.filter(attempts, status=ExamAttempt.Status.SUBMITTED)
        )
        .order_by("attempt_id", "order", "question__competency_items__id")
        .values_list(
            "attempt_id",
            "attempt__employee_id",
            "attempt__submitted_at",
            "attempt__course_id",
            "question_id",
            "is_correct",
            "question__competency_items__id",
        )
    )
    questions: dict[tuple[int, int], dict] = {}  # (attempt, question) → its row, own items
    for attempt_id, employee_id, at, course_id, question_id, right, item_id in rows:
        question = questions.setdefault(
            (attempt_id, question_id),
            {
                "employee": employee_id,
                "at": at,
                "course": course_id,
                "right": bool(right),
                "own": [],
            },
        )
        if item_id is not None:
            question["own"].append(item_id)
    if not questions:
        return {}
    course_items: dict[int, list[int]] = {}
    for course_id, item_id in (
        Course.competency_items.through.objects.filter(
            course_id__in={q["course"] for q in questions.values()}
        )
        .order_by("course_id", "competencyitem__module__order", "competencyitem__order")
        .values_list("course_id", "competencyitem_id")
    ):
        course_items.setdefault(course_id, []).append(item_id)
    tallies: dict[int, AttemptTally] = {}
    for (attempt_id, _question_id), question in questions.items():
        tally = tallies.setdefault(
            attempt_id, AttemptTally(employee_id=question["employee"], submitted_at=question["at"])
        )
        for item_id in question_items(question["own"], course_items.get(question["course"], ())):
            right, total = tally.items.get(item_id, (0, 0))
            tally.items[item_id] = (right + question["right"], total + 1)
    return tallies


def competency_scores(attempt: ExamAttempt) -> list[dict]:
    """The submitted course exam attempt's result per competency item: correct / total over
    the questions counting for it (question_items), in the competency model's order (module,
    then item); [] while the attempt is open or when neither its questions nor its course are
    tagged. Three queries."""
    if attempt.status != ExamAttempt.Status.SUBMITTED:
        return []
    from competency.models import CompetencyItem
    from config.template_filters import localized_value

    tally = course_exam_tallies(Q(pk=attempt.pk)).get(attempt.pk)
    if tally is None or not tally.items:
        return []
    items = CompetencyItem.objects.filter(pk__in=list(tally.items)).select_related("module")
    return [
        {
            "item": localized_value(item, "name"),
            "code": item.code,
            "correct": tally.items[item.pk][0],
            "total": tally.items[item.pk][1],
            "percent": float(score_percent(*tally.items[item.pk])),
        }
        for item in items
    ]


def scores_chart(rows: list[dict]) -> Chart | None:
    """The bar chart of a result per competency item — a course exam's (competency_scores) or a
    promotion exam's (promotion.selectors.competency_scores), rows of the same shape: one bar
    per item in the rows' order, labelled with the item's name, its length the row's percent
    (score_percent: right ÷ questions, rounded down to 0.1) on a 0–100 % axis with the percent
    at its end; None for no rows.
    The pages keep the table beside it (the same figures, for screen readers)."""
    return charts.horizontal_bars(
        [(row["item"], row["percent"] / 100) for row in rows],
        label=_("Share of the questions answered right, per competency item"),
        top=1,
    )
