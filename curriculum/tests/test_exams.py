import random
from decimal import Decimal

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.tests.factories import UserFactory
from curriculum import services
from curriculum.models import Enrolment, ExamAttempt, Question
from curriculum.tests.factories import CourseFactory, EnrolmentFactory, QuestionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def course(db):
    course = CourseFactory(exam_question_count=5, pass_mark_percent=60)
    for i in range(8):
        QuestionFactory(course=course, text=f"单选题{i}")
    QuestionFactory(
        course=course,
        text="多选题",
        kind=Question.Kind.MULTIPLE,
        options=[("甲", True), ("乙", True), ("丙", False)],
    )
    return course


@pytest.fixture
def enrolled(csr, course):
    EnrolmentFactory(employee=csr, course=course)
    return csr


def correct_answers(attempt, right: int) -> dict[int, list[int]]:
    answers = {}
    for index, item in enumerate(attempt.items.order_by("order")):
        options = list(item.question.options.all())
        good = [o.pk for o in options if o.is_correct]
        bad = [o.pk for o in options if not o.is_correct][:1]
        answers[item.question_id] = good if index < right else bad
    return answers


def test_attempt_draws_the_configured_number_of_distinct_questions(enrolled, course):
    attempt = services.exam_attempt_start(employee=enrolled, course=course, rng=random.Random(1))
    ids = list(attempt.items.values_list("question_id", flat=True))
    assert len(ids) == 5 == len(set(ids))
    assert set(ids) <= set(course.questions.values_list("id", flat=True))
    assert attempt.pass_mark_percent == 60


def test_draws_differ_between_seeds(enrolled, course):
    a = services.exam_attempt_start(employee=enrolled, course=course, rng=random.Random(1))
    services.exam_attempt_submit(attempt=a, employee=enrolled, answers={})
    b = services.exam_attempt_start(employee=enrolled, course=course, rng=random.Random(99))
    assert set(a.items.values_list("question_id", flat=True)) != set(
        b.items.values_list("question_id", flat=True)
    )


def test_small_bank_gives_all_its_questions(enrolled):
    small = CourseFactory(exam_question_count=10)
    EnrolmentFactory(employee=enrolled, course=small)
    QuestionFactory.create_batch(3, course=small)
    QuestionFactory(course=small, is_active=False)
    attempt = services.exam_attempt_start(employee=enrolled, course=small)
    assert attempt.items.count() == 3


def test_exam_needs_enrolment(csr, course):
    with pytest.raises(
        services.CurriculumError, match="Enrol in the course before taking its exam."
    ):
        services.exam_attempt_start(employee=csr, course=course)


def test_exam_needs_questions(csr):
    empty = CourseFactory()
    EnrolmentFactory(employee=csr, course=empty)
    with pytest.raises(services.CurriculumError, match="This course has no exam questions yet."):
        services.exam_attempt_start(employee=csr, course=empty)


def test_only_one_open_attempt_at_a_time(enrolled, course):
    services.exam_attempt_start(employee=enrolled, course=course)
    with pytest.raises(
        services.CurriculumConflict,
        match="You already have an open attempt for this exam; submit it first.",
    ):
        services.exam_attempt_start(employee=enrolled, course=course)
    assert ExamAttempt.objects.filter(employee=enrolled, status="open").count() == 1


@pytest.mark.parametrize(
    "right, score, passed",
    [(0, "0.00", False), (2, "40.00", False), (3, "60.00", True), (5, "100.00", True)],
)
def test_grading_scores_and_applies_the_pass_mark(enrolled, course, right, score, passed):
    attempt = services.exam_attempt_start(employee=enrolled, course=course, rng=random.Random(5))
    attempt = services.exam_attempt_submit(
        attempt=attempt, employee=enrolled, answers=correct_answers(attempt, right)
    )
    assert (attempt.score_percent, attempt.passed, attempt.correct_count) == (
        Decimal(score),
        passed,
        right,
    )
    assert Enrolment.objects.get(employee=enrolled, course=course).is_completed is passed


def test_pass_mark_edge_is_inclusive_and_one_below_fails(enrolled, course):
    course.pass_mark_percent = 61
    course.save()
    attempt = services.exam_attempt_start(employee=enrolled, course=course, rng=random.Random(5))
    attempt = services.exam_attempt_submit(
        attempt=attempt, employee=enrolled, answers=correct_answers(attempt, 3)
    )
    assert attempt.score_percent == Decimal("60.00") and attempt.passed is False


def test_multiple_choice_needs_exactly_the_correct_set(enrolled):
    course = CourseFactory(exam_question_count=1)
    EnrolmentFactory(employee=enrolled, course=course)
    question = QuestionFactory(
        course=course,
        kind=Question.Kind.MULTIPLE,
        options=[("甲", True), ("乙", True), ("丙", False)],
    )
    a, b, c = question.options.order_by("order")
    for chosen, expected in [([a.pk], False), ([a.pk, b.pk, c.pk], False), ([a.pk, b.pk], True)]:
        attempt = services.exam_attempt_start(employee=enrolled, course=course)
        attempt = services.exam_attempt_submit(
            attempt=attempt, employee=enrolled, answers={question.pk: chosen}
        )
        assert attempt.passed is expected, chosen


def test_unanswered_questions_count_as_wrong(enrolled, course):
    attempt = services.exam_attempt_start(employee=enrolled, course=course)
    attempt = services.exam_attempt_submit(attempt=attempt, employee=enrolled, answers={})
    assert attempt.score_percent == 0 and attempt.passed is False


def test_single_choice_with_two_options_is_refused(enrolled, course):
    attempt = services.exam_attempt_start(employee=enrolled, course=course)
    item = attempt.items.filter(question__kind="single").first()
    two = list(item.question.options.values_list("id", flat=True)[:2])
    with pytest.raises(
        services.CurriculumError, match="Choose one option for a single-choice question."
    ):
        services.exam_attempt_submit(
            attempt=attempt, employee=enrolled, answers={item.question_id: two}
        )


def test_options_of_another_question_are_refused(enrolled, course):
    attempt = services.exam_attempt_start(employee=enrolled, course=course)
    first, second = attempt.items.all()[:2]
    foreign = second.question.options.first().pk
    with pytest.raises(
        services.CurriculumError, match="An option does not belong to its question."
    ):
        services.exam_attempt_submit(
            attempt=attempt, employee=enrolled, answers={first.question_id: [foreign]}
        )


def test_submitting_twice_is_refused(enrolled, course):
    attempt = services.exam_attempt_start(employee=enrolled, course=course)
    services.exam_attempt_submit(attempt=attempt, employee=enrolled, answers={})
    with pytest.raises(
        services.CurriculumConflict, match="This attempt has already been submitted."
    ):
        services.exam_attempt_submit(attempt=attempt, employee=enrolled, answers={})


def test_failing_after_a_pass_keeps_the_course_completed(enrolled, course):
    a = services.exam_attempt_start(employee=enrolled, course=course)
    services.exam_attempt_submit(attempt=a, employee=enrolled, answers=correct_answers(a, 5))
    b = services.exam_attempt_start(employee=enrolled, course=course)
    services.exam_attempt_submit(attempt=b, employee=enrolled, answers={})
    enrolment = Enrolment.objects.get(employee=enrolled, course=course)
    assert enrolment.is_completed and enrolment.completed_by == "exam"


def test_api_start_never_sends_correct_flags(enrolled, course):
    api = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    api.force_authenticate(enrolled)
    response = api.post("/api/curriculum/exams/", {"course": course.pk}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert len(body["questions"]) == 5
    assert "is_correct" not in response.content.decode()
    assert "correct" not in str([q["options"] for q in body["questions"]])
    assert set(body["questions"][0]["options"][0]) == {"id", "text"}


def test_api_submit_returns_the_score(enrolled, course):
    api = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    api.force_authenticate(enrolled)
    attempt_id = api.post("/api/curriculum/exams/", {"course": course.pk}, format="json").json()[
        "id"
    ]
    attempt = ExamAttempt.objects.get(pk=attempt_id)
    answers = [{"question": q, "options": o} for q, o in correct_answers(attempt, 4).items()]
    response = api.post(
        f"/api/curriculum/exams/{attempt_id}/submit/", {"answers": answers}, format="json"
    )
    assert response.status_code == 200
    assert response.json() | {"submitted_at": None} == {
        "id": attempt_id,
        "course": course.pk,
        "status": "submitted",
        "correct_count": 4,
        "total": 5,
        "score_percent": "80.00",
        "pass_mark_percent": 60,
        "passed": True,
        "submitted_at": None,
        "competency_scores": [],  # neither the course nor its questions are tagged
    }


def test_api_submit_rejects_questions_outside_the_attempt(enrolled, course):
    api = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    api.force_authenticate(enrolled)
    attempt_id = api.post("/api/curriculum/exams/", {"course": course.pk}, format="json").json()[
        "id"
    ]
    response = api.post(
        f"/api/curriculum/exams/{attempt_id}/submit/",
        {"answers": [{"question": 999999, "options": []}]},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {
        "detail": "Answer only the questions of this attempt.",
        "code": "invalid",
        "fields": {"answers": ["Answer only the questions of this attempt."]},
    }


def test_api_submit_with_malformed_answers_is_400(enrolled, course):
    api = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    api.force_authenticate(enrolled)
    attempt_id = api.post("/api/curriculum/exams/", {"course": course.pk}, format="json").json()[
        "id"
    ]
    response = api.post(
        f"/api/curriculum/exams/{attempt_id}/submit/", {"answers": "abc"}, format="json"
    )
    assert response.status_code == 400
    assert "answers" in response.json()["fields"]


def test_api_second_open_attempt_is_a_409(enrolled, course):
    api = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    api.force_authenticate(enrolled)
    api.post("/api/curriculum/exams/", {"course": course.pk}, format="json")
    response = api.post("/api/curriculum/exams/", {"course": course.pk}, format="json")
    assert response.status_code == 409
    assert response.json() == {
        "detail": "You already have an open attempt for this exam; submit it first.",
        "code": "conflict",
        "fields": {"course": ["You already have an open attempt for this exam; submit it first."]},
    }


def test_another_employees_attempt_is_404(enrolled, course):
    attempt = services.exam_attempt_start(employee=enrolled, course=course)
    other = UserFactory(roles=["CSR"])
    api = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    api.force_authenticate(other)
    assert (
        api.post(
            f"/api/curriculum/exams/{attempt.pk}/submit/", {"answers": []}, format="json"
        ).status_code
        == 404
    )


def test_exam_page_does_not_leak_answers_and_grades_a_web_submission(client, enrolled, course):
    client.force_login(enrolled)
    start = client.post(reverse("curriculum:course_exam", args=[course.pk]))
    assert start.status_code == 302
    attempt = ExamAttempt.objects.get(employee=enrolled)
    page = client.get(start.url).content.decode()
    assert "is_correct" not in page and "correct" not in page.lower().replace("incorrect", "")
    answers = correct_answers(attempt, 5)
    data = {f"q{q}": o for q, o in answers.items()}
    response = client.post(start.url, data)
    assert response.status_code == 302
    attempt.refresh_from_db()
    assert attempt.passed is True and attempt.score_percent == 100
    result = client.get(start.url).content.decode()
    assert 'id="result"' in result
