"""Attack paths: what re-tagging a course question (PATCH
/api/curriculum/questions/<pk>/) does to evidence already recorded. DESIGN characterisation,
passes on main: a past course exam's result per item and the gap analysis built on it are
re-read with the tags of now, while a promotion exam keeps the tags stored at draw time
(promotion.blueprint.competency_tally). Nothing here moves a score, a pass, an enrolment or a
promotion checklist (the gap analysis feeds only the gap page/API, the learning advice and the
re-test roster's remedial plan)."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from curriculum import gaps
from curriculum.models import ExamAttempt
from curriculum.tests.factories import CourseFactory, QuestionFactory
from curriculum.tests.test_exam_evidence import model, write_attempt, write_course_attempt  # noqa: F401

pytestmark = pytest.mark.django_db


def test_retagging_rewrites_a_past_course_exams_gap_evidence_not_a_promotion_exams(
    api,
    training_manager,
    model,  # noqa: F811
):
    now = timezone.now()
    items = model.items
    course = CourseFactory(items=[items["products"]])
    questions = [QuestionFactory(course=course, text=f"q{n}") for n in range(4)]
    # a course exam two days ago: 4/4 right, all counting for "products" (the course's item)
    attempt = write_course_attempt(
        model.employee, course, [(q, True) for q in questions], at=now - dt.timedelta(days=2)
    )
    # a promotion exam three days ago: "selling" 0/2 (tags stored on the attempt)
    write_attempt(model.employee, {items["selling"]: (0, 2)}, at=now - dt.timedelta(days=3))
    before = {r.item.code: r for r in gaps.gap_analysis(employee=model.employee).rows}
    assert before["products"].exam.level == 5 and before["products"].gap == 0
    assert before["empathy"].exam is None and before["empathy"].gap is None
    assert before["selling"].exam.level == 1
    stored = ExamAttempt.objects.values("score_percent", "passed", "correct_count").get(
        pk=attempt.pk
    )
    # when: a training manager re-tags the four questions as "empathy" (and one as "selling")
    api.force_authenticate(training_manager)
    for q in questions[:3]:
        r = api.patch(
            reverse("api-curriculum-question", args=[q.pk]),
            {"competency_items": [items["empathy"].pk]},
            format="json",
        )
        assert r.status_code == 200
    api.patch(
        reverse("api-curriculum-question", args=[questions[3].pk]),
        {"competency_items": [items["selling"].pk]},
        format="json",
    )
    after = {r.item.code: r for r in gaps.gap_analysis(employee=model.employee).rows}
    # then: the two-day-old course exam is now "empathy" level-5 evidence, "products" lost its
    # evidence, and "selling" still reads the promotion exam (only 1 course question on it)
    assert after["empathy"].exam.level == 5 and after["empathy"].exam.attempt_id == attempt.pk
    assert after["products"].exam is None and after["products"].gap is None
    assert after["selling"].exam.kind == gaps.PROMOTION_EXAM
    # while the stored result of the attempt did not move
    assert (
        ExamAttempt.objects.values("score_percent", "passed", "correct_count").get(pk=attempt.pk)
        == stored
    )
