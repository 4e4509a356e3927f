"""Helpers that bring an employee to a state through the real services of every app."""

from datetime import datetime, timedelta
from decimal import Decimal

import time_machine
from django.utils import timezone

from casebase.models import Case, CaseNode
from casebase.questions import ORDER_SEPARATOR
from casebase.services.study import case_mark_studied
from casebase.tests.factories import CaseFactory
from knowledgebase import services as kb_services
from knowledgebase.models import QueryTask, QueryTimeTest
from knowledgebase.tests.factories import QueryTaskFactory
from points.services import points_award
from promotion.models import ExamAttempt
from promotion.services.exams import exam_start, exam_submit
from promotion.services.mentoring import mentorship_create


def pair(mentor, apprentice, *, by, at: datetime | None = None):
    """Pair through the real service, dated ``at`` (default 31 days ago: long enough before
    a promotion now for the mentor to be credited, PromotionSettings.mentorship_min_days)."""
    with time_machine.travel(at or timezone.now() - timedelta(days=31), tick=False):
        return mentorship_create(mentor=mentor, apprentice=apprentice, by=by)


def make_test_cases(level: int, count: int = 10) -> list[Case]:
    return CaseFactory.create_batch(count, level=level, split="test")


def make_training_cases(level: int, count: int = 2) -> list[Case]:
    return CaseFactory.create_batch(count, level=level, split="training")


def correct_answers(attempt: ExamAttempt) -> dict[str, str]:
    """The right option of every question, found from the cases themselves (the turn the
    question is about: its best reply, the best reply's main rationale, the reply's
    rationales in order, the only reply, the customer's emotion or thinking; a voice case's
    premise/grade) — not from the answers stored on the attempt."""
    answers = {}
    for q in attempt.questions:
        case = Case.objects.get(pk=q["case_id"])
        node = CaseNode.objects.filter(pk=q.get("node_id"), case=case).first()
        if q["kind"] in ("best_reply", "main_rationale"):
            best = node.children.get(is_best=True)
            wanted = best.text if q["kind"] == "best_reply" else best.main_rationale()
        elif q["kind"] == "rationale_order":
            wanted = ORDER_SEPARATOR.join(node.rationales)
        elif q["kind"] == "shown_reply":
            wanted = node.text
            assert node.parent.children.count() == 1
        elif q["kind"] == "customer_emotion":
            wanted = node.emotion
        elif q["kind"] == "customer_thinking":
            wanted = node.thinking
        elif q["kind"] == "premise":
            wanted = str(Case.Premise(case.premise).label)
        else:
            wanted = str(case.emotion_grade)
        answers[q["id"]] = next(o["key"] for o in q["options"] if o["text"] == wanted)
    return answers


def pass_exam(employee, level: int) -> ExamAttempt:
    attempt = exam_start(employee=employee, level=level)
    return exam_submit(attempt_id=attempt.pk, employee=employee, answers=correct_answers(attempt))


def fail_exam(employee, level: int) -> ExamAttempt:
    attempt = exam_start(employee=employee, level=level)
    return exam_submit(attempt_id=attempt.pk, employee=employee, answers={})


def small_query_test() -> None:
    """Ten tasks per query-time test, the smallest allowed (the per-task bands stay the seeded
    defaults)."""
    QueryTimeTest.objects.filter(pk=1).update(
        task_count=10, wrong_answer_penalty_seconds=Decimal("10")
    )
    missing = 20 - QueryTask.objects.filter(active=True).count()  # the pool: 2 × N by default
    if missing > 0:
        QueryTaskFactory.create_batch(missing)


def sit_query_test(employee, *, total_seconds: float, start: datetime | None = None):
    """Take the KB query-time test through knowledgebase's services, all answers right, at the
    pace of ``total_seconds`` on the seed's 100-task scale (145 means 1.45 s per task): the
    10-task test finishes after total_seconds × 10 / 100 on the server clock (time_machine)."""
    small_query_test()
    start = start or timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        session = kb_services.query_test_start(employee=employee)
        finish = total_seconds * session.task_count / 100
        for position in range(1, session.task_count + 1):
            clock.move_to(start + timedelta(seconds=finish * position / session.task_count))
            answer = session.answers.get(position=position)
            session = kb_services.query_test_answer(
                session_id=session.pk,
                employee=employee,
                position=position,
                entry_id=answer.task.answer_id,
            )
    session.refresh_from_db()
    return session


def earn_points(employee, amount: int, key: str) -> None:
    """Real rules: committee case reviews (20 each) and one volunteer row for the rest."""
    reviews, rest = divmod(amount, 20)
    for n in range(reviews):
        points_award(
            employee=employee,
            rule_code="committee_case_review",
            source=f"test:{key}:{employee.pk}:{n}",
        )
    if rest:
        points_award(
            employee=employee,
            rule_code="volunteer_sheet",
            source=f"test:{key}:{employee.pk}:rest",
            amount=rest,
        )


def study_all(employee, level: int) -> None:
    for case in Case.objects.training().filter(level=level):
        case_mark_studied(employee=employee, case_id=case.pk)


def ready_for(employee, level: int, *, query_seconds: float | None = None) -> None:
    """Meet every requirement of promotion to ``level`` except apprentices: 800 points,
    all level-n training cases studied, the exam passed and a query-time result allowing it."""
    if not Case.objects.training().filter(level=level).exists():
        make_training_cases(level)
    if not Case.objects.testing().filter(level=level).exists():
        make_test_cases(level)
    earn_points(employee, 800, f"ready{level}")
    study_all(employee, level)
    assert pass_exam(employee, level).passed
    seconds = (
        query_seconds
        if query_seconds is not None
        else {1: 145, 2: 135, 3: 125, 4: 125, 5: 110}[level]
    )
    sit_query_test(employee, total_seconds=seconds)
