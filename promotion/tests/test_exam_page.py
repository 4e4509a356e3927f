"""The exam page: the timer starts as m:ss (rendered by the server, not "2399 s"), a failed
result is not shown in the success style, unanswered questions are named before submitting
(tests/e2e/test_defect_pages.py) and counted after."""

import pytest
from django.contrib.messages import constants
from django.urls import reverse

from promotion.models import ExamAttempt
from promotion.tests.factories import make_test_cases
from promotion.views import clock

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [(2399, "39:59"), (2400, "40:00"), (59, "0:59"), (0, "0:00"), (-3, "0:00"), (None, "")],
)
def test_the_clock_shows_minutes_and_seconds(seconds, shown):
    assert clock(seconds) == shown


def start(client, csr) -> ExamAttempt:
    make_test_cases(1, 10)
    client.force_login(csr)
    client.post(reverse("promotion:exam_start"), {"level": 1})
    return ExamAttempt.objects.get(employee=csr)


def test_the_timer_starts_as_minutes_and_seconds(client, csr):
    attempt = start(client, csr)
    html = client.get(reverse("promotion:exam_take", args=[attempt.pk])).content.decode()
    seconds = attempt.seconds_left()
    assert (
        f'data-seconds="{seconds}">{clock(seconds)}</strong>' in html
        or f'data-seconds="{seconds + 1}">{clock(seconds + 1)}</strong>' in html
    )
    assert " s</strong>" not in html
    assert 'id="unanswered-warning"' in html and "data-unanswered-many=" in html


def test_a_failed_result_is_a_warning_not_a_success(client, csr):
    attempt = start(client, csr)
    wrong = {
        q["id"]: next(o["key"] for o in q["options"] if o["key"] != q["answer"])
        for q in attempt.questions
    }
    response = client.post(reverse("promotion:exam_submit", args=[attempt.pk]), wrong, follow=True)
    levels = [m.level for m in response.context["messages"]]
    assert constants.SUCCESS not in levels and constants.WARNING in levels
    html = response.content.decode()
    assert 'class="result-not-passed"' in html and 'class="message success"' not in html


def test_a_passed_result_is_a_success(client, csr):
    attempt = start(client, csr)
    answers = {q["id"]: q["answer"] for q in attempt.questions}
    response = client.post(
        reverse("promotion:exam_submit", args=[attempt.pk]), answers, follow=True
    )
    assert [m.level for m in response.context["messages"]] == [constants.SUCCESS]
    assert 'class="result-passed"' in response.content.decode()


def test_unanswered_questions_are_counted_in_the_result(client, csr):
    attempt = start(client, csr)
    answers = {q["id"]: q["answer"] for q in attempt.questions[:-2]}
    response = client.post(
        reverse("promotion:exam_submit", args=[attempt.pk]), answers, follow=True
    )
    assert "2 questions were left unanswered and counted as wrong." in response.content.decode()
