"""Attack paths on the course exam read API and the question tagging API: the
abuse paths tried that held up."""

import json
import random

import pytest
from django.urls import reverse

from accounts.tests.factories import UserFactory
from curriculum import services
from curriculum.models import ExamAttempt
from curriculum.tests.factories import EnrolmentFactory
from curriculum.tests.test_question_competency_items import tagged  # noqa: F401 - a fixture

pytestmark = pytest.mark.django_db

HUGE = 99999999999999999999  # beyond bigint


def start(employee, course):
    EnrolmentFactory(employee=employee, course=course)
    return services.exam_attempt_start(employee=employee, course=course, rng=random.Random(1))


def test_exam_read_huge_or_foreign_ids_are_404_never_500(api, csr, tagged):  # noqa: F811
    course, *_rest = tagged
    mine = start(csr, course)
    other = UserFactory(roles=["CSR"], centre=csr.centre, team=csr.team)
    theirs = start(other, course)
    api.force_authenticate(csr)
    assert api.get(f"/api/curriculum/exams/{HUGE}/").status_code == 404
    assert api.get(f"/api/curriculum/exams/{HUGE}/submit/").status_code == 405
    assert (
        api.post(
            f"/api/curriculum/exams/{HUGE}/submit/", {"answers": []}, format="json"
        ).status_code
        == 404
    )
    assert api.get(reverse("api-curriculum-exam", args=[theirs.pk])).status_code == 404
    # submitting someone else's open attempt is 404 too, and it stays open
    r = api.post(
        reverse("api-curriculum-exam-submit", args=[theirs.pk]), {"answers": []}, format="json"
    )
    assert r.status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == ExamAttempt.Status.OPEN
    assert api.get(reverse("api-curriculum-exam", args=[mine.pk])).status_code == 200


def test_an_open_attempt_read_and_page_never_show_correct_flags(api, client, csr, tagged):  # noqa: F811
    course, *_rest = tagged
    attempt = start(csr, course)
    api.force_authenticate(csr)
    body = api.get(reverse("api-curriculum-exam", args=[attempt.pk])).json()
    text = json.dumps(body)
    assert "correct" not in text.replace("correct_count", "")
    client.force_login(csr)
    page = client.get(reverse("curriculum:exam_attempt", args=[attempt.pk])).content.decode()
    assert "is_correct" not in page and "data-correct" not in page and "checked" not in page


def test_the_training_manager_reads_no_csr_attempt(api, csr, training_manager, tagged):  # noqa: F811
    course, *_rest = tagged
    attempt = start(csr, course)
    api.force_authenticate(training_manager)
    assert api.get(reverse("api-curriculum-exam", args=[attempt.pk])).status_code == 403


@pytest.mark.parametrize(
    "payload",
    [
        {"competency_items": [HUGE]},
        {"competency_items": [-1]},
        {"competency_items": [0]},
        {"competency_items": ["x"]},
        {"competency_items": None},
        {"competency_items": {"a": 1}},
        {"competency_items": "1,2"},
        {},
        [1, 2],
        {"competency_items": [1] * 51},
    ],
)
def test_tagging_odd_payloads_are_400(api, training_manager, tagged, payload):  # noqa: F811
    _course, _items, (q_c, *_rest) = tagged
    api.force_authenticate(training_manager)
    r = api.patch(reverse("api-curriculum-question", args=[q_c.pk]), payload, format="json")
    assert r.status_code == 400, r.content
    assert sorted(q_c.competency_items.values_list("code", flat=True)) == ["c"]


def test_tagging_huge_question_or_course_ids_are_404(api, training_manager, tagged):  # noqa: F811
    _course, items, _qs = tagged
    api.force_authenticate(training_manager)
    assert api.get(f"/api/curriculum/questions/{HUGE}/").status_code == 404
    r = api.patch(
        f"/api/curriculum/questions/{HUGE}/", {"competency_items": [items["a"].pk]}, format="json"
    )
    assert r.status_code == 404
    assert api.get(f"/api/curriculum/courses/{HUGE}/questions/").status_code == 404


def test_retagging_changes_no_stored_score_or_pass(api, csr, training_manager, tagged):  # noqa: F811
    """The per-item result follows the tags (by design) but the stored score, pass and the
    enrolment completion do not move."""
    course, items, (q_c, q_a, q_1, q_2) = tagged
    attempt = start(csr, course)
    api.force_authenticate(csr)
    answers = []
    for item in attempt.items.select_related("question").prefetch_related("question__options"):
        answers.append(
            {
                "question": item.question_id,
                "options": [o.pk for o in item.question.options.all() if o.is_correct][:1],
            }
        )
    before = api.post(
        reverse("api-curriculum-exam-submit", args=[attempt.pk]),
        {"answers": answers},
        format="json",
    ).json()
    api.force_authenticate(training_manager)
    for q in (q_c, q_a, q_1, q_2):
        assert (
            api.patch(
                reverse("api-curriculum-question", args=[q.pk]),
                {"competency_items": [items["b"].pk]},
                format="json",
            ).status_code
            == 200
        )
    api.force_authenticate(csr)
    after = api.get(reverse("api-curriculum-exam", args=[attempt.pk])).json()
    for key in ("correct_count", "total", "score_percent", "passed", "submitted_at"):
        assert before[key] == after[key]
    assert [r["code"] for r in after["competency_scores"]] == ["b"]
