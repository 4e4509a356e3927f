import random
from collections import Counter
from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from casebase.models import Case, CaseEvent
from casebase.services.content import case_create
from casebase.tests.factories import category, wav_upload
from promotion.models import ExamAttempt, LevelRequirement
from promotion.services.common import ExamError, PromotionConflict
from promotion.services.exams import exam_start, exam_submit
from promotion.tests.factories import correct_answers, make_test_cases, pass_exam

pytestmark = pytest.mark.django_db


def test_exam_draws_the_configured_number_of_level_test_cases_and_asks_at_most_three_questions_per_case(  # noqa: E501
    csr,
):
    # given: 12 level-1 test cases, a training case and a level-2 test case
    cases = make_test_cases(1, 12)
    make_test_cases(2, 1)
    # when
    attempt = exam_start(employee=csr, level=1, rng=random.Random(3))
    # then: 10 cases (default); each sample tree yields its best reply, a rationale order and
    # a customer emotion (the default bound of 3 questions per case)
    assert len(attempt.case_ids) == 10 and set(attempt.case_ids) <= {c.pk for c in cases}
    assert attempt.question_count == 30
    per_case = Counter(q["case_id"] for q in attempt.questions)
    assert set(per_case.values()) == {3}
    assert {q["kind"] for q in attempt.questions} == {
        "best_reply",
        "rationale_order",
        "customer_emotion",
    }
    assert attempt.deadline == attempt.started_at + timedelta(minutes=40)
    assert attempt.purpose == "promotion" and attempt.pass_percent == 80


def test_public_questions_never_carry_the_answer(csr):
    make_test_cases(1, 10)
    attempt = exam_start(employee=csr, level=1)
    public = attempt.public_questions()
    assert public and all("answer" not in q and "node_id" not in q for q in public)
    assert attempt.graded_questions() == []
    assert all(q["answer"] in {o["key"] for o in q["options"]} for q in attempt.questions)


def test_correct_answers_pass_and_exam_uses_are_counted_when_the_exam_starts(csr):
    make_test_cases(1, 10)
    # when: the exam starts
    attempt = exam_start(employee=csr, level=1)
    # then: every drawn case counts one exam use at once (an abandoned attempt counts too)
    assert Case.objects.filter(pk__in=attempt.case_ids, exam_uses=1).count() == 10
    assert (
        CaseEvent.objects.filter(kind="exam_use", data__exam=f"promotion-exam:{attempt.pk}").count()
        == 10
    )
    # when: all answers right
    attempt = exam_submit(attempt_id=attempt.pk, employee=csr, answers=correct_answers(attempt))
    # then: passed, and grading counts nothing more
    assert (
        attempt.status == "passed" and attempt.score_percent == 100 and attempt.correct_count == 30
    )
    assert Case.objects.filter(pk__in=attempt.case_ids, exam_uses=1).count() == 10


@pytest.mark.parametrize("right, status", [(24, "passed"), (23, "failed"), (0, "failed")])
def test_the_pass_mark_decides_passed_or_failed(csr, right, status):
    # given: 30 questions, pass mark 80 % (24 right)
    make_test_cases(1, 10)
    attempt = exam_start(employee=csr, level=1)
    good = correct_answers(attempt)
    answers = {qid: (key if n < right else "z") for n, (qid, key) in enumerate(good.items())}
    # when
    attempt = exam_submit(attempt_id=attempt.pk, employee=csr, answers=answers)
    # then
    assert attempt.status == status and attempt.correct_count == right


def test_only_one_open_attempt_and_starting_again_resumes_it(csr):
    make_test_cases(1, 10)
    make_test_cases(2, 10)
    first = exam_start(employee=csr, level=1)
    assert exam_start(employee=csr, level=1).pk == first.pk
    assert ExamAttempt.objects.filter(employee=csr, status="open").count() == 1


@pytest.mark.parametrize("minutes, status", [(39, "passed"), (40, "passed"), (41, "expired")])
def test_the_time_limit_is_checked_on_the_server(csr, minutes, status):
    make_test_cases(1, 10)
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        attempt = exam_start(employee=csr, level=1)
        clock.move_to(start + timedelta(minutes=minutes))
        attempt = exam_submit(attempt_id=attempt.pk, employee=csr, answers=correct_answers(attempt))
    assert attempt.status == status
    assert attempt.passed is (status == "passed")


def test_an_overdue_open_attempt_is_closed_as_expired_when_a_new_one_starts(csr):
    make_test_cases(1, 10)
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        old = exam_start(employee=csr, level=1)
        # an abandoned attempt is an attempt: the waiting period runs from its deadline
        clock.move_to(start + timedelta(hours=2))
        with pytest.raises(ExamError, match="You can start the next level-1 attempt from"):
            exam_start(employee=csr, level=1)
        old.refresh_from_db()
        assert old.status == "expired"  # closed although the new start was refused
        clock.move_to(old.deadline + timedelta(hours=72))
        new = exam_start(employee=csr, level=1)
    assert new.pk != old.pk and new.status == "open"


def test_submitting_twice_or_someone_elses_attempt_is_refused(csr, reviewer):
    make_test_cases(1, 10)
    attempt = pass_exam(csr, 1)
    with pytest.raises(PromotionConflict, match="This exam was already submitted."):
        exam_submit(attempt_id=attempt.pk, employee=csr, answers={})
    with pytest.raises(ExamAttempt.DoesNotExist):
        exam_submit(attempt_id=attempt.pk, employee=reviewer, answers={})


@pytest.mark.parametrize("level", [0, 2, 3])
def test_only_the_next_level_exam_can_be_started(csr, level):
    make_test_cases(2, 10)
    with pytest.raises(ExamError) as exc:
        exam_start(employee=csr, level=level)
    assert exc.value.messages == [
        "You can sit the exam of your next level, or the re-test of your level while its window is "
        "open."
    ]


def test_a_level_without_test_cases_cannot_be_examined(csr):
    with pytest.raises(
        ExamError,
        match=(
            "The level-1 exam is not available yet: it needs 10 test cases with questions and the "
            "level's test set has 0. Please try again later."
        ),
    ):
        exam_start(employee=csr, level=1)


def test_voice_cases_ask_premise_and_emotion_grade(csr):
    # given: a test set of ten voice cases of level 1
    from django.core.files.storage import default_storage

    for n in range(10):
        name = default_storage.save(f"casebase/audio/t{n}.wav", wav_upload())
        case_create(
            kind="voice",
            title=f"语音{n}",
            category=category(),
            level=1,
            split="test",
            audio_name=name,
            duration_seconds=1,
            premise="emotion_turned",
            emotion_grade=4,
            transcript="……",
        )
    # when
    attempt = exam_start(employee=csr, level=1)
    # then
    assert [q["kind"] for q in attempt.questions[:2]] == ["premise", "emotion_grade"]
    assert attempt.question_count == 20
    assert (
        attempt.questions[0]["audio_url"] == f"/cases/recordings/{attempt.questions[0]['case_id']}/"
    )
    attempt = exam_submit(attempt_id=attempt.pk, employee=csr, answers=correct_answers(attempt))
    assert attempt.status == "passed"


@pytest.mark.parametrize(
    "count, valid", [(9, False), (10, True), (15, True), (20, True), (21, False)]
)
def test_exam_case_count_must_be_10_to_20(count, valid):
    requirement = LevelRequirement.objects.get(level__number=1)
    requirement.exam_case_count = count
    if valid:
        requirement.full_clean()
    else:
        with pytest.raises(ValidationError) as exc:
            requirement.full_clean()
        assert "exam_case_count" in exc.value.message_dict
