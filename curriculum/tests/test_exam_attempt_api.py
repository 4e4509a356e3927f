"""GET /api/curriculum/exams/<pk>/ (api-curriculum-exam): a past course exam attempt read
again, as its submission answered it, with the result per competency item. The same attempts
as the result page curriculum:exam_attempt (curriculum.permissions.visible_exam_attempts: the
caller's own; 404 for another employee's, 403 without the study role) and never an answer key.
The hand-made data set is test_question_competency_items' ``tagged`` course: q_c tests C,
q_a tests A, q_1 and q_2 count for the course's A and B."""

import json
import random

import pytest
from django.urls import reverse

from accounts.tests.factories import UserFactory
from curriculum import services
from curriculum.tests.factories import (
    CompetencyItemFactory,
    CourseFactory,
    EnrolmentFactory,
    QuestionFactory,
)
from curriculum.tests.test_question_competency_items import tagged  # noqa: F401 - a fixture

pytestmark = pytest.mark.django_db


def start(employee, course):
    EnrolmentFactory(employee=employee, course=course)
    return services.exam_attempt_start(employee=employee, course=course, rng=random.Random(1))


def answers_for(attempt, right_questions):
    """The API's answers: the right option for ``right_questions``, a wrong one for the rest."""
    answers = []
    for item in attempt.items.select_related("question").prefetch_related("question__options"):
        good = item.question_id in right_questions
        options = [o.pk for o in item.question.options.all() if o.is_correct == good][:1]
        answers.append({"question": item.question_id, "options": options})
    return {"answers": answers}


def url(attempt):
    return reverse("api-curriculum-exam", args=[attempt.pk])


def test_a_submitted_attempt_reads_as_its_submission_answered(api, csr, tagged):  # noqa: F811
    course, _items, (q_c, q_a, _q_1, _q_2) = tagged
    attempt = start(csr, course)
    api.force_authenticate(csr)
    # right: q_c and q_a; wrong: the two untagged questions
    submitted = api.post(
        reverse("api-curriculum-exam-submit", args=[attempt.pk]),
        answers_for(attempt, {q_c.pk, q_a.pk}),
        format="json",
    )
    assert submitted.status_code == 200
    read = api.get(url(attempt))
    assert read.status_code == 200
    assert read.json() == submitted.json()
    body = read.json()
    assert (body["status"], body["correct_count"], body["total"], body["passed"]) == (
        "submitted",
        2,
        4,
        False,
    )
    # a: q_a ✓, q_1 ✗, q_2 ✗ → 1/3 = 33.3 %; b: q_1 ✗, q_2 ✗ → 0/2; c: q_c ✓ → 1/1
    assert [
        (r["code"], r["correct"], r["total"], r["percent"]) for r in body["competency_scores"]
    ] == [
        ("a", 1, 3, 33.3),
        ("b", 0, 2, 0.0),
        ("c", 1, 1, 100.0),
    ]


def test_an_open_attempt_reveals_no_answer_key(api, csr, tagged):  # noqa: F811
    course, *_rest = tagged
    attempt = start(csr, course)
    api.force_authenticate(csr)
    response = api.get(url(attempt))
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "open" and body["competency_scores"] == []
    assert body["correct_count"] is None and body["score_percent"] is None
    assert body["passed"] is None and body["submitted_at"] is None
    # not one option id, right or wrong, and no word of correctness
    text = json.dumps(body)
    assert "is_correct" not in text and "options" not in text
    assert set(body) == {
        "id",
        "course",
        "status",
        "correct_count",
        "total",
        "score_percent",
        "pass_mark_percent",
        "passed",
        "submitted_at",
        "competency_scores",
    }
    assert [v for v in body.values() if isinstance(v, (list, dict))] == [[]]


def test_the_same_attempts_as_the_result_page(
    api,
    client,
    csr,
    team_leader,
    training_manager,
    tagged,  # noqa: F811
):
    course, *_rest = tagged
    attempt = start(csr, course)
    # the colleague of the same team leader's team who studies too, another CSR
    colleague = UserFactory(roles=["CSR"], centre=csr.centre, team=csr.team)
    page = reverse("curriculum:exam_attempt", args=[attempt.pk])
    for user, status in [
        (csr, 200),
        (colleague, 404),  # studies, but not their attempt
        (team_leader, 404),  # a team leader studies too: their own attempts only
        (training_manager, 403),  # no study role
    ]:
        client.force_login(user)
        api.force_authenticate(user)
        assert client.get(page).status_code == status, user
        assert api.get(url(attempt)).status_code == status, user
    api.force_authenticate(None)
    assert api.get(url(attempt)).status_code in (401, 403)
    api.force_authenticate(csr)
    assert api.get(reverse("api-curriculum-exam", args=[987654])).status_code == 404
    assert api.post(url(attempt), {}, format="json").status_code == 405


def test_nobody_submits_another_employees_attempt(api, csr, tagged):  # noqa: F811
    course, *_rest = tagged
    attempt = start(csr, course)
    other = UserFactory(roles=["CSR"])
    api.force_authenticate(other)
    response = api.post(
        reverse("api-curriculum-exam-submit", args=[attempt.pk]),
        answers_for(attempt, set()),
        format="json",
    )
    assert response.status_code == 404
    attempt.refresh_from_db()
    assert attempt.status == "open"


def test_the_read_costs_the_same_queries_for_a_longer_exam(api, csr, django_assert_num_queries):
    item = CompetencyItemFactory(code="a", name="a")
    attempts = []
    for size in (2, 8):
        course = CourseFactory(items=[item], exam_question_count=size)
        for _ in range(size):
            QuestionFactory(course=course)
        attempt = start(csr, course)
        services.exam_attempt_submit(attempt=attempt, employee=csr, answers={})
        attempts.append(attempt)
    api.force_authenticate(csr)
    api.get(url(attempts[0]))  # the permission cache of the user
    for attempt in attempts:
        # the attempt, its question count, the attempt's questions with their tags, the
        # course's items, the competency items: the same five for 2 or 8 questions
        with django_assert_num_queries(5):
            assert api.get(url(attempt)).status_code == 200
