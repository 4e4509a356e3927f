"""Promotion and re-test exams: start (the policy is selectors.exam_check), save answers,
submit, expire an overdue attempt, grade with one item response per question; and
exam_history_backfill (demo history)."""

import random
from collections.abc import Callable, Collection
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from casebase.selectors import cases_known_to, exam_draw
from casebase.services.exam_use import case_record_exam_uses
from config.locks import retry_on_deadlock
from curriculum.exam_items import score_percent
from promotion import selectors
from promotion.models import ExamAttempt, ExamItemResponse, question_key
from promotion.selectors import MSG_POOL_SHORT
from promotion.services.common import ExamError, PromotionConflict, _locked_employee

# Exact messages (tests and API clients assert them).
MSG_OTHER_OPEN = gettext_noop("Finish your open level-%(level)s exam first.")
MSG_SUBMITTED = gettext_noop("This exam was already submitted.")
MSG_TIME_UP = gettext_noop(
    "The time limit has passed: answers are no longer saved. Submit the exam."
)


def _grade(attempt: ExamAttempt, answers: dict, now: datetime) -> ExamAttempt:
    keys = {q["id"] for q in attempt.questions}
    given = {
        str(k): str(v) for k, v in (answers or {}).items() if str(k) in keys and v not in (None, "")
    }
    attempt.answers = given
    attempt.correct_count = sum(1 for q in attempt.questions if given.get(q["id"]) == q["answer"])
    attempt.score_percent = score_percent(attempt.correct_count, len(attempt.questions))
    attempt.submitted_at = now
    if attempt.is_overdue(now):
        attempt.status = ExamAttempt.Status.EXPIRED
    elif attempt.score_percent >= attempt.pass_percent:
        attempt.status = ExamAttempt.Status.PASSED
    else:
        attempt.status = ExamAttempt.Status.FAILED
    attempt.save(
        update_fields=["answers", "correct_count", "score_percent", "submitted_at", "status"]
    )
    exam_item_responses_record(attempt=attempt)
    return attempt


def exam_item_responses_record(*, attempt: ExamAttempt) -> int:
    """Write one ExamItemResponse per question of the graded ``attempt`` (an unanswered
    question counts as not correct), the rows the item statistics aggregate. One insert;
    running it again for the same attempt writes nothing new. Returns the number of questions."""
    rows = [
        ExamItemResponse(
            attempt=attempt,
            case_id=q["case_id"],
            question_key=question_key(q),
            kind=str(q.get("kind", ""))[:24],
            correct=attempt.answers.get(q["id"]) == q["answer"],
        )
        for q in attempt.questions
        if isinstance(q.get("case_id"), int)
    ]
    return len(ExamItemResponse.objects.bulk_create(rows, ignore_conflicts=True))


@transaction.atomic
def exam_expire_overdue(*, employee, now: datetime | None = None) -> ExamAttempt | None:
    """Close ``employee``'s open attempt as expired when its time limit has passed (with the
    answers saved so far); returns it, or None when there was none to close."""
    now = now or timezone.now()
    attempt = (
        ExamAttempt.objects.select_for_update()
        .filter(employee=employee, status=ExamAttempt.Status.OPEN, deadline__lt=now)
        .first()
    )
    return _grade(attempt, attempt.answers, now) if attempt is not None else None


def exam_start(
    *,
    employee,
    level: int,
    rng: random.Random | None = None,
    exclude_case_ids: Collection[int] = (),
) -> ExamAttempt:
    """Start the level-``level`` exam, or resume the employee's open attempt of that level.

    An overdue open attempt is first closed as expired in its own transaction (so it stays
    closed, and counts, even when the new start is refused). Then, on the locked employee
    row (two concurrent starts make one attempt): selectors.exam_check decides — level,
    retake policy, exam pool — and a refusal raises ExamError with its exact message, with
    nothing drawn and no attempt written. Otherwise the level's exam_case_count cases are
    drawn from the pool (least exposed first, random among equals; without
    ``exclude_case_ids``, the cases the employee knows from their own work, nor the cases
    drawn as often as the exposure cap allows), their
    questions (with answers) are stored on the attempt, and each drawn case's exposure (exam
    use) is counted. A retention re-test ends at the period's due date at the latest.
    Raises ExamError."""
    exam_expire_overdue(employee=employee)
    return _exam_start(employee=employee, level=level, rng=rng, exclude_case_ids=exclude_case_ids)


@retry_on_deadlock
@transaction.atomic
def _exam_start(
    *, employee, level: int, rng: random.Random | None, exclude_case_ids: Collection[int]
) -> ExamAttempt:
    locked = _locked_employee(employee)
    now = timezone.now()
    running = (
        ExamAttempt.objects.select_for_update()
        .filter(employee=locked, status=ExamAttempt.Status.OPEN)
        .first()
    )
    if running is not None:
        if running.is_overdue(now):  # ran out between the two steps
            _grade(running, running.answers, now)
        elif running.level == level:
            return running
        else:
            raise PromotionConflict(
                _(MSG_OTHER_OPEN) % {"level": running.level}, code="other_exam_open"
            )
    check = selectors.exam_check(locked, level, now=now, exclude_case_ids=exclude_case_ids)
    if not check.allowed:
        raise ExamError(check.refusal)
    req = check.requirement
    # the exam blueprint: the candidate's position weights share the cases among competency items
    plan = selectors.exam_plan(locked.position_id, req.exam_case_count, check.config)
    draw = exam_draw(
        level,
        req.exam_case_count,
        rng or random.SystemRandom(),
        exclude_ids=check.excluded,
        max_per_case=check.config.max_questions_per_case,
        max_exposure=check.config.exam_exposure_cap or None,
        plan=plan,
    )
    if (
        len(draw.cases) < req.exam_case_count
    ):  # cases that yield nothing after all: never a short exam
        raise ExamError(
            _(MSG_POOL_SHORT)
            % {"level": level, "needed": check.needed, "available": len(draw.cases)}
        )
    deadline = now + timedelta(minutes=req.exam_time_limit_minutes)
    if check.retention_period is not None:  # evidence after the due date never counts
        deadline = min(deadline, check.retention_period.due_at)
    try:
        with transaction.atomic():
            attempt = ExamAttempt.objects.create(
                employee=locked,
                level=level,
                purpose=check.purpose,
                retention_period=check.retention_period,
                started_at=now,
                deadline=deadline,
                case_ids=sorted(case.pk for case in draw.cases),
                questions=draw.questions,
                pass_percent=req.exam_pass_percent,
            )
    except IntegrityError:  # defence in depth: the employee lock already serialises starts
        return ExamAttempt.objects.get(employee=locked, status=ExamAttempt.Status.OPEN)
    case_record_exam_uses(case_ids=attempt.case_ids, exam_ref=f"promotion-exam:{attempt.pk}")
    return attempt


@transaction.atomic
def exam_history_backfill(
    *, employee, level: int, at: datetime, rng: random.Random, answer: Callable[[dict], bool]
) -> ExamAttempt | None:
    """DEMO/IMPORT ONLY: a past promotion-exam attempt of ``level`` started at ``at``,
    written as history without the policy checks of exam_start: drawn like an exam (the
    least exposed test cases first, without the cases the employee knows; the exposure is
    counted), answered right where ``answer(question)`` says so, graded (passed or failed,
    with its item responses) 20 minutes later. None when the pool cannot fill an exam."""
    req = selectors.requirement_for(level)
    if req is None:
        return None
    config = selectors.exam_settings()
    draw = exam_draw(
        level,
        req.exam_case_count,
        rng,
        exclude_ids=cases_known_to(employee),
        max_per_case=config.max_questions_per_case,
        max_exposure=config.exam_exposure_cap or None,
    )
    if len(draw.cases) < req.exam_case_count:
        return None
    attempt = ExamAttempt.objects.create(
        employee=employee,
        level=level,
        purpose=ExamAttempt.Purpose.PROMOTION,
        started_at=at,
        deadline=at + timedelta(minutes=req.exam_time_limit_minutes),
        case_ids=sorted(c.pk for c in draw.cases),
        questions=draw.questions,
        pass_percent=req.exam_pass_percent,
        status=ExamAttempt.Status.FAILED,
    )
    case_record_exam_uses(case_ids=attempt.case_ids, exam_ref=f"promotion-exam:{attempt.pk}")
    answers = {
        q["id"]: q["answer"]
        if answer(q)
        else next((o["key"] for o in q["options"] if o["key"] != q["answer"]), "")
        for q in attempt.questions
    }
    return _grade(attempt, answers, at + timedelta(minutes=20))


@transaction.atomic
def exam_submit(*, attempt_id: int, employee, answers: dict[str, str]) -> ExamAttempt:
    """Grade ``employee``'s open attempt on the server: score = correct / questions; passed
    when the score reaches the pass mark; a submission after the deadline is recorded as
    expired (failed). Raises ExamAttempt.DoesNotExist (somebody else's attempt) or
    PromotionConflict (submitted)."""
    attempt = ExamAttempt.objects.select_for_update().get(pk=attempt_id, employee=employee)
    if attempt.status != ExamAttempt.Status.OPEN:
        raise PromotionConflict(_(MSG_SUBMITTED), code="already_submitted")
    return _grade(attempt, answers, timezone.now())


@transaction.atomic
def exam_answers_save(*, attempt_id: int, employee, answers: dict[str, str]) -> ExamAttempt:
    """Save answers of ``employee``'s open attempt before it is submitted (the exam page saves
    each choice as it is made, so a reload or leaving the page loses nothing; an attempt that
    expires is graded with them). Only this attempt's questions and their option keys are
    kept; an empty value leaves a saved answer alone. Nothing about right or wrong is
    answered. Raises ExamAttempt.DoesNotExist (somebody else's attempt) or PromotionConflict
    (submitted, or the server-side deadline has passed)."""
    attempt = ExamAttempt.objects.select_for_update().get(pk=attempt_id, employee=employee)
    if attempt.status != ExamAttempt.Status.OPEN:
        raise PromotionConflict(_(MSG_SUBMITTED), code="already_submitted")
    if attempt.is_overdue(timezone.now()):
        raise PromotionConflict(_(MSG_TIME_UP), code="time_up")
    options = {q["id"]: {str(o["key"]) for o in q.get("options", [])} for q in attempt.questions}
    given = {
        str(k): str(v) for k, v in (answers or {}).items() if str(v) in options.get(str(k), ())
    }
    if given:
        attempt.answers = {**attempt.answers, **given}
        attempt.save(update_fields=["answers"])
    return attempt
