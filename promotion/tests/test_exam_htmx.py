"""The exam page saves each choice on the server as it is made (htmx), so moving around the
page, reloading or leaving it loses no answer; the answer fragment says which questions are
answered and never which are right; the server's deadline applies to saving too."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory
from promotion.models import ExamAttempt
from promotion.services.common import PromotionConflict
from promotion.services.exams import exam_answers_save
from promotion.tests.factories import make_test_cases

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


def start(client, csr) -> ExamAttempt:
    make_test_cases(1, 10)
    client.force_login(csr)
    client.post(reverse("promotion:exam_start"), {"level": 1})
    return ExamAttempt.objects.get(employee=csr)


def wrong_key(question) -> str:
    return next(o["key"] for o in question["options"] if o["key"] != question["answer"])


def save_url(attempt):
    return reverse("promotion:exam_answers_save", args=[attempt.pk])


def test_the_exam_page_saves_choices_with_htmx_and_lists_the_questions(client, csr):
    attempt = start(client, csr)
    html = client.get(reverse("promotion:exam_take", args=[attempt.pk])).content.decode()
    assert f'hx-post="{save_url(attempt)}"' in html and 'hx-trigger="change"' in html
    assert (
        f'action="{reverse("promotion:exam_submit", args=[attempt.pk])}"' in html
    )  # the plain submit stays
    assert 'id="exam-progress"' in html and 'href="#q-1"' in html and 'id="q-1"' in html
    assert f"0 of {attempt.question_count} questions answered." in html
    assert 'id="timer"' in html and 'id="unanswered-warning"' in html


def test_a_saved_choice_is_kept_and_shown_checked_when_the_page_comes_back(client, csr):
    # given
    attempt = start(client, csr)
    first = attempt.questions[0]
    choice = wrong_key(first)
    # when: the examinee picks an option (htmx posts the form on change)
    response = client.post(save_url(attempt), {first["id"]: choice}, headers=HTMX)
    # then: the question list, not a page; the answer is stored
    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body
    assert (
        f"1 of {attempt.question_count} questions answered." in body and 'class="answered"' in body
    )
    attempt.refresh_from_db()
    assert attempt.answers == {first["id"]: choice}
    # and a reload shows it checked
    html = client.get(reverse("promotion:exam_take", args=[attempt.pk])).content.decode()
    assert f'name="{first["id"]}" value="{choice}" checked' in html


def test_the_save_fragment_and_the_page_never_leak_answer_keys(client, csr):
    attempt = start(client, csr)
    everything = {q["id"]: q["answer"] for q in attempt.questions}
    body = client.post(save_url(attempt), everything, headers=HTMX).content.decode()
    page = client.get(reverse("promotion:exam_take", args=[attempt.pk])).content.decode()
    for text in (body, page):
        assert '"answer"' not in text and "correct" not in text.lower()
    assert "✓" in body and f"{attempt.question_count} of {attempt.question_count}" in body
    # the fragment is the same whether the choices are right or wrong
    wrong = {q["id"]: wrong_key(q) for q in attempt.questions}
    assert client.post(save_url(attempt), wrong, headers=HTMX).content.decode() == body


def test_only_this_attempts_questions_and_their_options_are_saved(client, csr):
    attempt = start(client, csr)
    first = attempt.questions[0]
    client.post(save_url(attempt), {first["id"]: "zz", "not-a-question": "a"}, headers=HTMX)
    attempt.refresh_from_db()
    assert attempt.answers == {}


def test_saved_choices_count_when_the_exam_is_submitted(client, csr):
    # given: every answer right, saved while answering; the form then sends none of them
    attempt = start(client, csr)
    client.post(save_url(attempt), {q["id"]: q["answer"] for q in attempt.questions}, headers=HTMX)
    # when
    client.post(reverse("promotion:exam_submit", args=[attempt.pk]), {})
    # then
    attempt.refresh_from_db()
    assert (
        attempt.status == ExamAttempt.Status.PASSED
        and attempt.correct_count == attempt.question_count
    )


def test_saving_after_the_deadline_is_a_409_fragment_and_saves_nothing(client, csr):
    # given: the server-side deadline has passed (the page's timer is only a display)
    attempt = start(client, csr)
    ExamAttempt.objects.filter(pk=attempt.pk).update(deadline=timezone.now() - timedelta(seconds=1))
    first = attempt.questions[0]
    # when
    response = client.post(save_url(attempt), {first["id"]: first["answer"]}, headers=HTMX)
    # then
    body = response.content.decode()
    assert response.status_code == 409 and "<html" not in body
    assert "The time limit has passed" in body and 'id="progress-error"' in body
    attempt.refresh_from_db()
    assert attempt.answers == {}


def test_saving_a_submitted_exam_is_refused(client, csr):
    attempt = start(client, csr)
    client.post(reverse("promotion:exam_submit", args=[attempt.pk]), {})
    first = attempt.questions[0]
    response = client.post(save_url(attempt), {first["id"]: first["answer"]}, headers=HTMX)
    assert (
        response.status_code == 409
        and "This exam was already submitted." in response.content.decode()
    )
    assert ExamAttempt.objects.get(pk=attempt.pk).answers == {}
    with pytest.raises(PromotionConflict):
        exam_answers_save(
            attempt_id=attempt.pk, employee=csr, answers={first["id"]: first["answer"]}
        )


def test_somebody_elses_attempt_is_404_and_other_methods_405(client, csr):
    attempt = start(client, csr)
    other = UserFactory(roles=["CSR"])
    client.force_login(other)
    first = attempt.questions[0]
    assert (
        client.post(save_url(attempt), {first["id"]: first["answer"]}, headers=HTMX).status_code
        == 404
    )
    assert client.get(save_url(attempt)).status_code == 405
    assert ExamAttempt.objects.get(pk=attempt.pk).answers == {}


def test_without_htmx_save_answers_goes_back_to_the_exam_page(client, csr):
    attempt = start(client, csr)
    first = attempt.questions[0]
    response = client.post(save_url(attempt), {first["id"]: wrong_key(first)})
    assert response.status_code == 302 and response["Location"] == reverse(
        "promotion:exam_take", args=[attempt.pk]
    )
    assert ExamAttempt.objects.get(pk=attempt.pk).answers == {first["id"]: wrong_key(first)}
