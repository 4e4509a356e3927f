"""The exam policy: retakes (waiting period, attempts per period), the minimum test pool,
exposure-balanced draws and seed-style cases — through the service, the page and the API."""

import random
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.tests.factories import UserFactory
from casebase.models import Case, CaseEvent
from casebase.tests.factories import seed_case
from promotion.models import ExamAttempt, LevelRequirement, PromotionSettings
from promotion.services.common import ExamError
from promotion.services.exams import exam_start, exam_submit
from promotion.tests.factories import (
    correct_answers,
    fail_exam,
    make_test_cases,
    make_training_cases,
    pass_exam,
)

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
WAIT_MESSAGE = (
    "You can start the next level-1 attempt from {when}: there is a waiting period of 72 hours "
    "after each attempt."
)


def refusal(employee, level: int = 1) -> list[str]:
    with pytest.raises(ExamError) as exc:
        exam_start(employee=employee, level=level)
    return exc.value.messages


def test_a_failed_csr_cannot_retake_at_once_and_is_told_when(csr):
    # given: a failed attempt submitted at T0
    make_test_cases(1, 10)
    with time_machine.travel(T0, tick=False):
        fail_exam(csr, 1)
    # when: starting again an hour later
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        messages = refusal(csr)
    # then: refused with the local date and time of the next allowed attempt, nothing drawn
    assert messages == [WAIT_MESSAGE.format(when="2026-03-05 09:00")]
    assert ExamAttempt.objects.filter(employee=csr).count() == 1
    assert set(Case.objects.values_list("exam_uses", flat=True)) == {1}


@pytest.mark.parametrize(
    "after, allowed",
    [
        (timedelta(hours=72) - timedelta(seconds=1), False),
        (timedelta(hours=72), True),
        (timedelta(hours=73), True),
    ],
)
def test_the_waiting_period_ends_exactly_after_the_configured_hours(csr, after, allowed):
    make_test_cases(1, 10)
    with time_machine.travel(T0, tick=False):
        fail_exam(csr, 1)
    with time_machine.travel(T0 + after, tick=False):
        if allowed:
            assert exam_start(employee=csr, level=1).status == "open"
        else:
            assert refusal(csr) == [WAIT_MESSAGE.format(when="2026-03-05 09:00")]


def test_the_waiting_period_is_admin_data(csr):
    make_test_cases(1, 10)
    PromotionSettings.objects.filter(pk=1).update(retake_wait_hours=24)
    with time_machine.travel(T0, tick=False):
        fail_exam(csr, 1)
    with time_machine.travel(T0 + timedelta(hours=23, minutes=30), tick=False):
        assert refusal(csr) == [
            "You can start the next level-1 attempt from 2026-03-03 09:00: there is a waiting "
            "period of 24 hours after each attempt."
        ]
    with time_machine.travel(T0 + timedelta(hours=24), tick=False):
        assert exam_start(employee=csr, level=1).status == "open"


def test_the_page_and_the_api_refuse_a_retake_with_the_date(client, api, csr):
    # given
    make_test_cases(1, 10)
    with time_machine.travel(T0, tick=False):
        fail_exam(csr, 1)
    expected = WAIT_MESSAGE.format(when="2026-03-05 09:00")
    with time_machine.travel(T0 + timedelta(hours=5), tick=False):
        # when: the exam page
        client.force_login(csr)
        html = client.get(reverse("promotion:exam_home")).content.decode()
        # then: the reason instead of the start button
        assert expected in html and "Start the exam" not in html
        # when: posting the start anyway
        response = client.post(reverse("promotion:exam_start"), {"level": 1}, follow=True)
        assert expected in response.content.decode()
        # when: the API
        api.force_authenticate(csr)
        response = api.post(reverse("api-promotion-exam-start"), {"level": 1}, format="json")
        assert response.status_code == 400 and response.json() == {
            "detail": expected,
            "code": "invalid",
        }
    assert ExamAttempt.objects.filter(employee=csr).count() == 1


def test_at_most_three_attempts_in_a_rolling_thirty_days(csr):
    # given: three failed attempts three days apart (the waiting period respected)
    make_test_cases(1, 10)
    for days in (0, 3, 6):
        with time_machine.travel(T0 + timedelta(days=days), tick=False):
            fail_exam(csr, 1)
    # when / then: the fourth is refused until the first falls out of the 30 days
    with time_machine.travel(T0 + timedelta(days=9), tick=False):
        assert refusal(csr) == [
            "You have used the 3 level-1 attempts allowed in 30 days; the next attempt is "
            "allowed from 2026-04-01 09:00."
        ]
    with time_machine.travel(T0 + timedelta(days=30), tick=False):
        assert exam_start(employee=csr, level=1).status == "open"


def test_an_abandoned_attempt_counts_and_its_wait_runs_from_its_deadline(csr):
    make_test_cases(1, 10)
    with time_machine.travel(T0, tick=False):
        first = exam_start(employee=csr, level=1)
    # starting again while it runs resumes it (no second look at other cases)
    with time_machine.travel(T0 + timedelta(minutes=30), tick=False):
        assert exam_start(employee=csr, level=1).pk == first.pk
    # after its deadline it is closed as expired, and it is an attempt
    with time_machine.travel(T0 + timedelta(hours=2), tick=False):
        assert refusal(csr) == [WAIT_MESSAGE.format(when="2026-03-05 09:40")]
    first.refresh_from_db()
    assert first.status == "expired"
    with time_machine.travel(T0 + timedelta(hours=72, minutes=40), tick=False):
        second = exam_start(employee=csr, level=1)
    assert second.pk != first.pk and ExamAttempt.objects.filter(employee=csr).count() == 2


@pytest.mark.parametrize(
    "cases, min_pool, exam_cases, needed",
    [
        (9, 10, 10, 10),
        (11, 12, 10, 12),
        (14, 10, 15, 15),
    ],
)
def test_a_short_pool_refuses_the_start_and_draws_nothing(csr, cases, min_pool, exam_cases, needed):
    # given: the level's test cases, plus retired and training cases that do not count
    make_test_cases(1, cases)
    retired = make_test_cases(1, 3)
    Case.objects.filter(pk__in=[c.pk for c in retired]).update(status="history")
    make_training_cases(1, 3)
    PromotionSettings.objects.filter(pk=1).update(min_test_pool=min_pool)
    LevelRequirement.objects.filter(level__number=1).update(exam_case_count=exam_cases)
    # when
    messages = refusal(csr)
    # then: an exact message, no attempt row, no exposure counted
    assert messages == [
        f"The level-1 exam is not available yet: it needs {needed} test cases with questions and "
        f"the level's test set has {cases}. Please try again later."
    ]
    assert not ExamAttempt.objects.exists()
    assert set(Case.objects.values_list("exam_uses", flat=True)) == {0}
    assert not CaseEvent.objects.filter(kind="exam_use").exists()


@pytest.mark.parametrize("cases", [10, 12])
def test_a_full_pool_gives_a_full_exam(csr, cases):
    make_test_cases(1, cases)
    attempt = exam_start(employee=csr, level=1)
    assert len(attempt.case_ids) == 10


def test_the_exam_page_tells_the_csr_the_pool_is_short(client, csr):
    make_test_cases(1, 4)
    client.force_login(csr)
    html = client.get(reverse("promotion:exam_home")).content.decode()
    assert (
        "The level-1 exam is not available yet: it needs 10 test cases with questions and the "
        "level&#x27;s test set has 4."
    ) in html
    assert "Start the exam" not in html


def test_a_level_of_only_seed_style_cases_still_yields_a_full_exam(csr):
    # given: ten seed-style test cases (no alternative replies at all)
    for n in range(10):
        seed_case(n)
    # when
    attempt = exam_start(employee=csr, level=1, rng=random.Random(4))
    # then: every case is asked about, with questions the seed's structure holds
    assert len(attempt.case_ids) == 10 and attempt.question_count == 30
    assert {q["kind"] for q in attempt.questions} <= {
        "rationale_order",
        "shown_reply",
        "customer_emotion",
        "customer_thinking",
    }
    attempt = exam_submit(attempt_id=attempt.pk, employee=csr, answers=correct_answers(attempt))
    assert attempt.passed


def test_exams_draw_the_least_exposed_cases_first(csr):
    # given: twenty test cases, and a colleague's exam that drew ten of them
    make_test_cases(1, 20)
    colleague = UserFactory(roles=["CSR"])
    first = exam_start(employee=colleague, level=1)
    # when
    second = exam_start(employee=csr, level=1)
    # then: the other ten
    assert not set(first.case_ids) & set(second.case_ids)
    assert set(Case.objects.values_list("exam_uses", flat=True)) == {1}


def test_a_passed_exam_is_not_sat_again(csr):
    make_test_cases(1, 10)
    with time_machine.travel(T0, tick=False):
        assert pass_exam(csr, 1).passed
    with time_machine.travel(T0 + timedelta(days=10), tick=False):
        assert refusal(csr) == ["You already passed the level-1 exam."]


@pytest.mark.parametrize(
    "field, value, valid",
    [
        ("retake_wait_hours", 0, False),
        ("retake_wait_hours", 1, True),
        ("retake_wait_hours", 720, True),
        ("retake_wait_hours", 721, False),
        ("max_attempts_per_period", 0, False),
        ("max_attempts_per_period", 10, True),
        ("max_attempts_per_period", 11, False),
        ("attempt_period_days", 0, False),
        ("attempt_period_days", 365, True),
        ("attempt_period_days", 366, False),
        ("min_test_pool", 9, False),
        ("min_test_pool", 10, True),
        ("min_test_pool", 500, True),
        ("min_test_pool", 501, False),
        ("max_questions_per_case", 0, False),
        ("max_questions_per_case", 6, True),
        ("max_questions_per_case", 7, False),
    ],
)
def test_exam_settings_have_sane_bounds(field, value, valid):
    config = PromotionSettings.current()
    setattr(config, field, value)
    if valid:
        config.full_clean()
    else:
        with pytest.raises(ValidationError) as exc:
            config.full_clean()
        assert field in exc.value.message_dict


def test_exam_settings_are_seeded_with_the_defaults_and_editable_in_admin(client, training_manager):
    config = PromotionSettings.current()
    assert (
        config.retake_wait_hours,
        config.max_attempts_per_period,
        config.attempt_period_days,
        config.min_test_pool,
        config.max_questions_per_case,
    ) == (72, 3, 30, 10, 3)
    client.force_login(training_manager)
    page = client.get(reverse("admin:promotion_promotionsettings_change", args=[1]))
    assert page.status_code == 200 and "Default 72 (3 days)" in page.content.decode()
    assert client.get(reverse("admin:promotion_promotionsettings_add")).status_code == 403
    data = {
        "retake_wait_hours": 48,
        "max_attempts_per_period": 2,
        "attempt_period_days": 14,
        "min_test_pool": 20,
        "max_questions_per_case": 2,
        "mentorship_min_days": 30,
        "max_active_apprentices": 3,
        "exam_exposure_cap": 0,
        "item_min_responses": 20,
        "item_discrimination_floor": "0.10",
        "pace_days": 90,
        "retest_horizon_days": 60,
        "risk_days_left": 30,
        "blueprint_floor_percent": 5,
    }
    assert (
        client.post(reverse("admin:promotion_promotionsettings_change", args=[1]), data).status_code
        == 302
    )
    assert PromotionSettings.current().min_test_pool == 20
    bad = dict(data, retake_wait_hours=0)
    response = client.post(reverse("admin:promotion_promotionsettings_change", args=[1]), bad)
    assert response.status_code == 200 and PromotionSettings.current().retake_wait_hours == 48


@pytest.mark.parametrize(
    "body", [[1], {"level": -1}, {"level": 6}, {"level": "1; drop"}, {}, {"level": 10**12}]
)
def test_a_malformed_start_request_is_a_400(api, csr, body):
    make_test_cases(1, 10)
    api.force_authenticate(csr)
    response = api.post(reverse("api-promotion-exam-start"), body, format="json")
    assert response.status_code == 400
    assert not ExamAttempt.objects.exists()


@pytest.mark.parametrize("answers", [["a"], "a", {"q1": ["a"]}, None])
def test_a_malformed_submission_is_a_400_and_leaves_the_attempt_open(api, csr, answers):
    make_test_cases(1, 10)
    attempt = exam_start(employee=csr, level=1)
    api.force_authenticate(csr)
    response = api.post(
        reverse("api-promotion-exam-submit", args=[attempt.pk]), {"answers": answers}, format="json"
    )
    assert response.status_code == 400
    attempt.refresh_from_db()
    assert attempt.status == "open"
