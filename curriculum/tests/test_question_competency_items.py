"""Course questions tagged with competency items of their own (curriculum.exam_items): a
question counts for its own items when it has any, else for its course's. Small hand-made data
sets with known answers: the course exam's result per item (page and API) and the gap
analysis's exam evidence from course exams, merged with promotion exams newest first."""

import datetime as dt
import random
from decimal import Decimal

import pytest
from django.db.models import Q
from django.urls import reverse
from rest_framework.test import APIClient

from curriculum import exam_items, gaps, services
from curriculum.models import CurriculumSettings, ExamAttempt, Question
from curriculum.tests.factories import (
    CompetencyItemFactory,
    CourseFactory,
    EnrolmentFactory,
    QuestionFactory,
)
from curriculum.tests.test_exam_evidence import (  # noqa: F401 - model is a fixture
    NOW,
    model,
    rows_by_code,
    write_attempt,
    write_course_attempt,
)

pytestmark = pytest.mark.django_db


def test_the_rule_own_items_first_else_the_courses():
    assert exam_items.question_items([3], [1, 2]) == (3,)
    assert exam_items.question_items([], [1, 2]) == (1, 2)
    assert exam_items.question_items([], []) == ()


@pytest.fixture
def tagged():
    """Course on items A and B; q_c tests C only, q_a tests A only, q_1 and q_2 are untagged."""
    a, b, c = (CompetencyItemFactory(code=code, name=code, order=n) for n, code in enumerate("abc"))
    course = CourseFactory(items=[a, b], exam_question_count=4)
    q_c, q_a, q_1, q_2 = (QuestionFactory(course=course, text=t) for t in ("c", "a", "1", "2"))
    q_c.competency_items.set([c])
    q_a.competency_items.set([a])
    return course, {"a": a, "b": b, "c": c}, [q_c, q_a, q_1, q_2]


def scores(attempt):
    return {row["code"]: (row["correct"], row["total"]) for row in attempt}


def test_a_course_exam_scores_each_item_by_the_questions_own_tags_or_the_course(csr, tagged):
    course, _items, (q_c, q_a, q_1, q_2) = tagged
    # right: q_c, q_1; wrong: q_a, q_2
    attempt = write_course_attempt(
        csr, course, [(q_c, True), (q_a, False), (q_1, True), (q_2, False)], at=NOW
    )
    rows = exam_items.competency_scores(attempt)
    # a: q_a ✗, q_1 ✓, q_2 ✗ → 1/3; b: q_1 ✓, q_2 ✗ → 1/2; c: q_c ✓ → 1/1 (never the course's)
    assert scores(rows) == {"a": (1, 3), "b": (1, 2), "c": (1, 1)}
    assert [row["code"] for row in rows] == ["a", "b", "c"]  # the dictionary's order
    assert [row["percent"] for row in rows] == [33.3, 50.0, 100.0]  # rounded down to 0.1
    # without own tags every question counts for the course's items
    for question in (q_c, q_a):
        question.competency_items.clear()
    assert scores(exam_items.competency_scores(attempt)) == {"a": (2, 4), "b": (2, 4)}


def test_an_open_attempt_or_an_untagged_course_has_no_score_per_item(csr, tagged):
    course, _items, questions = tagged
    attempt = write_course_attempt(csr, course, [(q, True) for q in questions], at=NOW)
    ExamAttempt.objects.filter(pk=attempt.pk).update(status=ExamAttempt.Status.OPEN)
    attempt.refresh_from_db()
    assert exam_items.competency_scores(attempt) == []
    bare = CourseFactory()
    question = QuestionFactory(course=bare)
    assert (
        exam_items.competency_scores(write_course_attempt(csr, bare, [(question, True)], at=NOW))
        == []
    )


def test_tallies_of_many_attempts_in_two_queries(csr, tagged, django_assert_num_queries):
    course, items, (q_c, q_a, q_1, q_2) = tagged
    first = write_course_attempt(csr, course, [(q_c, True), (q_1, True)], at=NOW)
    second = write_course_attempt(csr, course, [(q_a, True), (q_2, False)], at=NOW)
    with django_assert_num_queries(2):
        tallies = exam_items.course_exam_tallies(Q(employee=csr))
    code = {item.pk: item.code for item in items.values()}
    by_code = {pk: {code[i]: n for i, n in t.items.items()} for pk, t in tallies.items()}
    assert by_code == {
        first.pk: {"c": (1, 1), "a": (1, 1), "b": (1, 1)},
        second.pk: {"a": (1, 2), "b": (0, 1)},
    }


def test_the_result_page_and_the_api_show_the_score_per_item(csr, tagged):
    course, _items, questions = tagged
    EnrolmentFactory(employee=csr, course=course)
    attempt = services.exam_attempt_start(employee=csr, course=course, rng=random.Random(1))
    right = {q.pk for q in questions[:2]}  # q_c and q_a right, the untagged two wrong
    answers = {}
    for item in attempt.items.all():
        options = list(item.question.options.all())
        good = item.question_id in right
        answers[item.question_id] = [o.pk for o in options if o.is_correct == good][:1]
    api = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    api.force_authenticate(csr)
    body = api.post(
        reverse("api-curriculum-exam-submit", args=[attempt.pk]),
        {"answers": [{"question": q, "options": o} for q, o in answers.items()]},
        format="json",
    ).json()
    assert {row["code"]: (row["correct"], row["total"]) for row in body["competency_scores"]} == {
        "a": (1, 3),
        "b": (0, 2),
        "c": (1, 1),
    }
    from django.test import Client

    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(csr)
    html = client.get(reverse("curriculum:exam_attempt", args=[attempt.pk])).content.decode()
    assert 'id="competency-scores"' in html
    assert "<td>a</td><td>1 / 3</td><td>33.3</td>" in html
    assert "<td>c</td><td>1 / 1</td><td>100.0</td>" in html


def test_the_admin_tags_a_question(admin_client, tagged):
    course, items, (q_c, *_rest) = tagged
    url = reverse("admin:curriculum_question_change", args=[q_c.pk])
    page = admin_client.get(url)
    assert page.status_code == 200 and 'name="competency_items"' in page.content.decode()
    form = {
        "course": course.pk,
        "text": q_c.text,
        "kind": Question.Kind.SINGLE,
        "is_active": "on",
        "competency_items": [items["a"].pk, items["b"].pk],
        "options-TOTAL_FORMS": "0",
        "options-INITIAL_FORMS": "0",
    }
    assert admin_client.post(url, form).status_code == 302
    assert set(q_c.competency_items.all()) == {items["a"], items["b"]}


# --- the gap analysis ---------------------------------------------------------------------------


@pytest.fixture
def course_of(model):  # noqa: F811
    """The model's course on empathy and products; q_sell tests selling only, the other three
    questions are untagged."""
    items = model.items
    course = CourseFactory(items=[items["empathy"], items["products"]])
    q_sell, *plain = (QuestionFactory(course=course, text=t) for t in ("sell", "p1", "p2", "p3"))
    q_sell.competency_items.set([items["selling"]])
    return course, q_sell, plain


def test_a_course_exam_is_exam_evidence_by_the_questions_items(model, course_of):  # noqa: F811
    course, q_sell, (p1, p2, p3) = course_of
    # empathy and products: p1 ✓ p2 ✓ p3 ✗ → 2/3 = 66.6 % → level 3; selling: 1 question < 2
    attempt = write_course_attempt(
        model.employee,
        course,
        [(q_sell, True), (p1, True), (p2, True), (p3, False)],
        at=NOW - dt.timedelta(days=2),
    )
    rows = rows_by_code(gaps.gap_analysis(employee=model.employee, now=NOW))
    empathy = rows["empathy"].exam
    assert (empathy.kind, empathy.attempt_id, empathy.level, empathy.percent) == (
        "course",
        attempt.pk,
        3,
        Decimal("66.6"),
    )
    assert (empathy.correct, empathy.total, rows["empathy"].gap) == (2, 3, 2)
    assert (rows["products"].exam.level, rows["products"].gap) == (3, 1)
    assert rows["selling"].exam is None
    # with one question enough, selling counts q_sell alone (its own tag), never the course's
    config = CurriculumSettings.current()
    config.exam_evidence_min_questions = 1
    config.save()
    selling = rows_by_code(gaps.gap_analysis(employee=model.employee, now=NOW))["selling"].exam
    assert (selling.kind, selling.correct, selling.total, selling.level) == ("course", 1, 1, 5)


def test_promotion_and_course_exams_count_newest_first(model, course_of):  # noqa: F811
    course, _q_sell, (p1, p2, _p3) = course_of
    items = model.items
    promotion = write_attempt(
        model.employee,
        {items["empathy"]: (5, 5), items["products"]: (0, 2)},
        at=NOW - dt.timedelta(days=1),
    )
    write_course_attempt(
        model.employee, course, [(p1, False), (p2, False)], at=NOW - dt.timedelta(days=3)
    )
    newer_course = write_course_attempt(
        model.employee, course, [(p1, True), (p2, False)], at=NOW - dt.timedelta(hours=1)
    )
    rows = rows_by_code(gaps.gap_analysis(employee=model.employee, now=NOW))
    # the newest, a course exam: 1 of 2 (50 % → level 2) for both of the course's items
    assert (rows["empathy"].exam.kind, rows["empathy"].exam.attempt_id) == (
        "course",
        newer_course.pk,
    )
    assert (rows["empathy"].exam.level, rows["products"].exam.level) == (2, 2)
    ExamAttempt.objects.filter(pk=newer_course.pk).delete()
    rows = rows_by_code(gaps.gap_analysis(employee=model.employee, now=NOW))
    assert (rows["empathy"].exam.kind, rows["empathy"].exam.attempt_id) == (
        "promotion",
        promotion.pk,
    )
    assert (rows["empathy"].exam.level, rows["products"].exam.level) == (5, 1)
    many = gaps.gap_analyses([model.employee], now=NOW)[model.employee.pk]
    assert rows_by_code(many)["products"].exam.attempt_id == promotion.pk


def test_an_open_or_old_course_attempt_is_no_evidence(model, course_of):  # noqa: F811
    course, _q_sell, (p1, p2, _p3) = course_of
    old = write_course_attempt(
        model.employee, course, [(p1, True), (p2, True)], at=NOW - dt.timedelta(days=366)
    )
    open_one = write_course_attempt(
        model.employee, course, [(p1, True), (p2, True)], at=NOW - dt.timedelta(days=1)
    )
    ExamAttempt.objects.filter(pk=open_one.pk).update(status=ExamAttempt.Status.OPEN)
    assert rows_by_code(gaps.gap_analysis(employee=model.employee, now=NOW))["empathy"].exam is None
    ExamAttempt.objects.filter(pk=old.pk).update(submitted_at=NOW - dt.timedelta(days=364))
    assert (
        rows_by_code(gaps.gap_analysis(employee=model.employee, now=NOW))["empathy"].exam.level == 5
    )


def test_the_gap_page_and_api_say_the_evidence_is_a_course_exam(client, model, course_of):  # noqa: F811
    course, _q_sell, (p1, p2, _p3) = course_of
    attempt = write_course_attempt(
        model.employee,
        course,
        [(p1, True), (p2, False)],
        at=dt.datetime(2026, 5, 20, 9, tzinfo=dt.UTC),
    )
    client.force_login(model.leader)
    html = client.get(
        reverse("curriculum:employee_gaps", args=[model.employee.pk]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "level 2 · 50.0 % (1/2)" in html and "2026-05-20 · course exam" in html
    assert "promotion exam, re-test or course exam" in html
    api = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    api.force_authenticate(model.employee)
    body = api.get(reverse("api-curriculum-my-gaps")).json()
    empathy = next(row for row in body["rows"] if row["item"]["code"] == "empathy")
    assert (empathy["exam_evidence"]["kind"], empathy["exam_evidence"]["attempt"]) == (
        "course",
        attempt.pk,
    )
