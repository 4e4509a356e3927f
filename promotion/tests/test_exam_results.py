"""After submission the examinee sees the score and feedback only; training managers and
committee members see attempts in full (never their own, an open one, or — when they sit
exams themselves — one at or above their level)."""

import json

import pytest
from django.urls import reverse
from django.utils.html import escape

from accounts.tests.factories import UserFactory
from promotion.models import ExamAttempt
from promotion.services.exams import exam_start, exam_submit
from promotion.tests.factories import correct_answers, fail_exam, make_test_cases

pytestmark = pytest.mark.django_db


def leaked(attempt: ExamAttempt, page: str) -> list[str]:
    """The test-case texts of ``attempt`` found in ``page`` (raw or HTML-escaped)."""
    return [text for text in secrets_of(attempt) if text in page or escape(text) in page]


def secrets_of(attempt: ExamAttempt) -> list[str]:
    """Texts of the test cases that must not reach the examinee after the exam."""
    texts = []
    for q in attempt.questions:
        texts += [
            q["prompt"],
            q["case_title"],
            q["customer"],
            *q["context"],
            *(o["text"] for o in q["options"]),
        ]
        if q["background"]:
            texts.append(q["background"])
    return [t for t in set(texts) if t]


def half_right(employee, level: int = 1) -> ExamAttempt:
    attempt = exam_start(employee=employee, level=level)
    good = correct_answers(attempt)
    answers = {qid: key for n, (qid, key) in enumerate(good.items()) if n % 2 == 0}
    return exam_submit(attempt_id=attempt.pk, employee=employee, answers=answers)


def test_the_result_page_shows_score_and_feedback_but_nothing_of_the_test_cases(client, csr):
    # given: a submitted attempt, half right
    make_test_cases(1, 10)
    attempt = half_right(csr)
    # when
    client.force_login(csr)
    html = client.get(reverse("promotion:exam_take", args=[attempt.pk])).content.decode()
    # then: score, pass mark, pass/fail and per-kind feedback
    assert (
        f"{attempt.score_percent}% ({attempt.correct_count} / 30)" in html and "pass mark" in html
    )
    assert (
        "Failed" in html and "Result by question type" in html and "Choosing the best reply" in html
    )
    assert "Result by case category" in html
    # no prompts, options, keys, context or case titles
    assert leaked(attempt, html) == []
    assert 'name="q1"' not in html and "Correct answer" not in html


def test_the_result_api_shows_score_and_feedback_but_nothing_of_the_test_cases(api, csr):
    make_test_cases(1, 10)
    attempt = half_right(csr)
    api.force_authenticate(csr)
    body = api.get(reverse("api-promotion-exam", args=[attempt.pk])).json()
    assert body["questions"] == [] and body["passed"] is False and body["pass_percent"] == 80
    assert sum(row["total"] for row in body["feedback"]["by_kind"]) == 30
    assert sum(row["correct"] for row in body["feedback"]["by_kind"]) == attempt.correct_count
    assert body["feedback"]["by_category"] == [
        {"category": "情绪安抚", "correct": attempt.correct_count, "total": 30}
    ]
    raw = json.dumps(body, ensure_ascii=False)
    assert leaked(attempt, raw) == [] and '"answer"' not in raw


def test_a_csr_cannot_open_someone_elses_attempt(client, api, csr):
    make_test_cases(1, 10)
    other = UserFactory(roles=["CSR"])
    attempt = fail_exam(other, 1)
    client.force_login(csr)
    assert client.get(reverse("promotion:exam_take", args=[attempt.pk])).status_code == 404
    api.force_authenticate(csr)
    assert api.get(reverse("api-promotion-exam", args=[attempt.pk])).status_code == 404


def test_training_managers_see_an_attempt_in_full(client, api, training_manager, csr):
    # given
    make_test_cases(1, 10)
    attempt = half_right(csr)
    # when: the page
    client.force_login(training_manager)
    listing = client.get(reverse("promotion:exam_attempts"), {"staff_id": "csr001"})
    assert listing.status_code == 200 and [a.pk for a in listing.context["page"]] == [attempt.pk]
    html = client.get(reverse("promotion:exam_attempt_full", args=[attempt.pk])).content.decode()
    # then: every question with its options and the correct one
    question = attempt.questions[1]
    assert question["prompt"] in html and question["case_title"] in html
    assert all(escape(o["text"]) in html for o in question["options"])
    # when: the API
    api.force_authenticate(training_manager)
    body = api.get(reverse("api-promotion-exam-full", args=[attempt.pk])).json()
    assert body["staff_id"] == "CSR001" and len(body["questions"]) == 30
    assert [q["answer"] for q in body["questions"]] == [q["answer"] for q in attempt.questions]
    assert sum(q["correct"] for q in body["questions"]) == attempt.correct_count
    assert api.post(reverse("api-promotion-exam-full", args=[attempt.pk])).status_code == 405
    assert api.get(reverse("api-promotion-exam-full", args=[attempt.pk + 99])).status_code == 404


def test_csrs_and_other_roles_get_403_from_the_full_view(client, api, csr, hr, ops_manager):
    make_test_cases(1, 10)
    attempt = fail_exam(csr, 1)
    for user in (csr, hr, ops_manager):
        client.force_login(user)
        assert (
            client.get(reverse("promotion:exam_attempt_full", args=[attempt.pk])).status_code == 403
        )
        assert client.get(reverse("promotion:exam_attempts")).status_code == 403
        api.force_authenticate(user)
        assert api.get(reverse("api-promotion-exam-full", args=[attempt.pk])).status_code == 403


def test_a_committee_member_sees_in_full_only_attempts_below_their_level(client, api, reviewer):
    # given: the reviewer is a level-4 CSR; attempts at levels 1 and 4, and the reviewer's own
    # (level 5)
    for level in (1, 4, 5):
        make_test_cases(level, 10)
    low = fail_exam(UserFactory(roles=["CSR"]), 1)
    same = fail_exam(UserFactory(roles=["CSR"], level=3), 4)
    own = fail_exam(reviewer, 5)
    client.force_login(reviewer)
    api.force_authenticate(reviewer)
    # then
    assert client.get(reverse("promotion:exam_attempt_full", args=[low.pk])).status_code == 200
    for attempt in (same, own):
        assert (
            client.get(reverse("promotion:exam_attempt_full", args=[attempt.pk])).status_code == 403
        )
        assert api.get(reverse("api-promotion-exam-full", args=[attempt.pk])).status_code == 403
    listing = client.get(reverse("promotion:exam_attempts"))
    assert [a.pk for a in listing.context["page"]] == [low.pk]


def test_a_running_attempt_is_never_shown_in_full(client, training_manager, csr):
    make_test_cases(1, 10)
    attempt = exam_start(employee=csr, level=1)
    client.force_login(training_manager)
    assert client.get(reverse("promotion:exam_attempt_full", args=[attempt.pk])).status_code == 403
    assert attempt.pk not in [
        a.pk for a in client.get(reverse("promotion:exam_attempts")).context["page"]
    ]


def test_the_full_view_is_in_the_navigation_of_staff_only(client, training_manager, reviewer, csr):
    for user, shown in ((training_manager, True), (reviewer, True), (csr, False)):
        client.force_login(user)
        html = client.get(reverse("home")).content.decode()
        assert (reverse("promotion:exam_attempts") in html) is shown


def test_the_exam_admin_never_shows_questions_or_answers(client, training_manager, csr):
    make_test_cases(1, 10)
    attempt = half_right(csr)
    client.force_login(training_manager)
    html = client.get(
        reverse("admin:promotion_examattempt_change", args=[attempt.pk])
    ).content.decode()
    assert leaked(attempt, html) == []


def test_nobody_sees_their_own_or_a_running_attempt_in_full(client, api, training_manager):
    # given: a training manager (sits no exams: every level visible) with an attempt of their own,
    # a colleague's submitted attempt and a colleague's running one
    make_test_cases(1, 10)
    own = fail_exam(training_manager, 1)
    other = fail_exam(UserFactory(roles=["CSR"]), 1)
    running = exam_start(employee=UserFactory(roles=["CSR"]), level=1)
    client.force_login(training_manager)
    api.force_authenticate(training_manager)
    # then: the page and the API ask the same rule
    assert client.get(reverse("promotion:exam_attempt_full", args=[other.pk])).status_code == 200
    assert api.get(reverse("api-promotion-exam-full", args=[other.pk])).status_code == 200
    for attempt in (own, running):
        assert (
            client.get(reverse("promotion:exam_attempt_full", args=[attempt.pk])).status_code == 403
        )
        assert api.get(reverse("api-promotion-exam-full", args=[attempt.pk])).status_code == 403
