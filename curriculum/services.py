"""Writes for the curriculum. Every function is the one place its rule lives; views, the
API, admin actions and the demo loader all call these.

Completion rule: an enrolment is completed either when a training manager records
attendance (``enrolment_complete(completed_by=ATTENDANCE)``, e.g. an admin action) or
automatically when the employee passes the course exam (score ≥ the course's pass mark).
Failing an exam never un-completes a course.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
from decimal import ROUND_HALF_UP, Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import roles
from accounts.rules import is_self, same_team
from competency.models import CompetencyItem, PositionCompetency
from config.errors import (
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    ValidationFailedError,
)
from curriculum.models import (
    AttemptQuestion,
    BehaviourRating,
    Course,
    CourseRun,
    CurriculumEvent,
    Enrolment,
    ExamAttempt,
    ImprovementPlanItem,
    Option,
    Question,
    StageCompletion,
    SurveyResponse,
)
from curriculum.permissions import exam_closed_reason, stage_lock_reason, survey_closed_reason
from curriculum.selectors import (
    current_run_for,
    learning_map_for_employee,
    map_progress,
)
from points.models import PointRule

logger = logging.getLogger(__name__)


class CurriculumError(ValidationFailedError):
    """A broken curriculum rule (HTTP 400); ``message`` is shown to the user as is, ``field``
    names the input it is about (None: the whole request)."""


class CurriculumConflict(ConflictError):
    """Already done: enrolled, completed, answered, an open or submitted attempt (HTTP 409);
    ``field`` as for CurriculumError."""


class CurriculumPermissionDenied(PermissionDeniedError):
    """Somebody else's attempt (HTTP 403)."""


def event_record(
    *, employee, kind: str, actor=None, course: Course | None = None, detail: dict | None = None
) -> CurriculumEvent:
    """Write one audit row for a curriculum state change."""
    return CurriculumEvent.objects.create(
        employee=employee, actor=actor, kind=kind, course=course, detail=detail or {}
    )


# --- enrolment -------------------------------------------------------------------------------


@transaction.atomic
def enrolment_create(
    *, employee, course: Course, run: CourseRun | None = None, actor=None
) -> Enrolment:
    """Enrol ``employee`` in ``course`` (joining ``run`` or the current run), enforcing stage
    progression on the employee's learning map."""
    if not course.is_active:
        raise CurriculumError(_("This course is not open for enrolment."), field="course")
    if run is not None and run.course_id != course.pk:
        raise CurriculumError(_("The run belongs to another course."), field="run")
    if Enrolment.objects.filter(employee=employee, course=course).exists():
        raise CurriculumConflict(_("You are already enrolled in this course."), field="course")
    reason = stage_lock_reason(employee=employee, course=course)
    if reason:
        raise CurriculumError(reason, field="course")
    try:
        with transaction.atomic():
            enrolment = Enrolment.objects.create(
                employee=employee, course=course, run=run or current_run_for(course)
            )
    except IntegrityError as exc:  # a double click raced the check above
        raise CurriculumConflict(
            _("You are already enrolled in this course."), field="course"
        ) from exc
    event_record(
        employee=employee,
        kind=CurriculumEvent.Kind.ENROLLED,
        actor=actor or employee,
        course=course,
        detail={"run": enrolment.run_id},
    )
    return enrolment


def course_incentive_source(*, course_id: int, employee_id: int) -> str:
    """The ledger source of the incentive for completing a priority course: one per
    employee and course, so completing, un-completing and completing again pays once."""
    return f"curriculum-course:{course_id}:employee:{employee_id}"


def stage_incentive_source(*, stage_id: int, employee_id: int) -> str:
    """The ledger source of the incentive for finishing a map stage (once per employee and
    stage)."""
    return f"curriculum-stage:{stage_id}:employee:{employee_id}"


def _pay_incentive(*, employee, rule_code: str, source: str, note: str):
    """Pay a training incentive (培训激励) under ``rule_code`` when an admin has switched the
    rule on; idempotent on ``source`` through the ledger's unique source key."""
    from points.services import points_award_if_active

    try:
        with transaction.atomic():
            return points_award_if_active(
                employee=employee, rule_code=rule_code, source=source, note=note
            )
    except ValidationFailedError as error:
        # A misconfigured rule (e.g. no default amount) must not block the completion itself.
        logger.warning(
            "Training incentive %s not paid for %s: %s", rule_code, source, error.message
        )
        return None


def _record_stage_completion(
    *, employee, stage, actor, course: Course, when: dt.datetime
) -> StageCompletion | None:
    """Record that ``employee`` finished ``stage`` (once: a unique constraint), write the
    event and pay the stage incentive. None when it was already recorded."""
    try:
        with transaction.atomic():
            completion = StageCompletion.objects.create(
                employee=employee, stage=stage, completed_at=when
            )
    except IntegrityError:
        return None
    event_record(
        employee=employee,
        kind=CurriculumEvent.Kind.STAGE_COMPLETED,
        actor=actor,
        course=course,
        detail={"stage": stage.name, "stage_id": stage.pk},
    )
    _pay_incentive(
        employee=employee,
        rule_code=PointRule.MAP_STAGE_COMPLETED,
        source=stage_incentive_source(stage_id=stage.pk, employee_id=employee.pk),
        note=f"{stage.learning_map.name} · {stage.name}",
    )
    return completion


@transaction.atomic
def enrolment_complete(
    *,
    enrolment: Enrolment,
    actor,
    completed_by: str = Enrolment.CompletedBy.ATTENDANCE,
    when: dt.datetime | None = None,
) -> Enrolment:
    """Mark the enrolment completed and record it. When this course was the last one
    missing on a stage of the employee's map, record the stage as finished (StageCompletion;
    it stays finished when courses are added later). Training incentives: a priority course
    and a finished stage each pay under their point rule when it is switched on — once per
    employee and course/stage whatever happens to the enrolment afterwards."""
    enrolment = (
        Enrolment.objects.select_for_update()
        .select_related("course", "employee")
        .get(pk=enrolment.pk)
    )
    if enrolment.is_completed:
        raise CurriculumConflict(_("This enrolment is already completed."))
    enrolment.status = Enrolment.Status.COMPLETED
    enrolment.completed_at = when or timezone.now()
    enrolment.completed_by = completed_by
    enrolment.save(update_fields=["status", "completed_at", "completed_by"])
    employee, course = enrolment.employee, enrolment.course
    event_record(
        employee=employee,
        kind=CurriculumEvent.Kind.COMPLETED,
        actor=actor,
        course=course,
        detail={"completed_by": completed_by},
    )
    if course.is_priority:
        _pay_incentive(
            employee=employee,
            rule_code=PointRule.PRIORITY_COURSE_COMPLETED,
            source=course_incentive_source(course_id=course.pk, employee_id=employee.pk),
            note=f"{course.code} {course.title}",
        )
    learning_map = learning_map_for_employee(employee)
    if learning_map is not None:
        for stage in map_progress(employee=employee, learning_map=learning_map).stages:
            holds_course = any(c.course.pk == course.pk for t in stage.topics for c in t.courses)
            if holds_course and stage.finished_at is None and stage.done_count == stage.total_count:
                _record_stage_completion(
                    employee=employee,
                    stage=stage.stage,
                    actor=actor,
                    course=course,
                    when=enrolment.completed_at,
                )
    return enrolment


# --- level 1: reaction survey ------------------------------------------------------------------


@transaction.atomic
def survey_response_create(
    *,
    employee,
    course: Course,
    content_score: int,
    format_score: int,
    usefulness_score: int,
    comment: str = "",
) -> SurveyResponse:
    """Record the employee's reaction survey for the run they are enrolled in; one response
    per employee and run, and only after enrolment."""
    enrolment = (
        Enrolment.objects.filter(employee=employee, course=course).select_related("run").first()
    )
    if enrolment is None:
        raise CurriculumError(_("Enrol in the course before answering its survey."), field="course")
    closed = survey_closed_reason(enrolment)
    if closed:
        raise CurriculumError(closed, field="course")
    for name, value in (
        ("content_score", content_score),
        ("format_score", format_score),
        ("usefulness_score", usefulness_score),
    ):
        if not isinstance(value, int) or not 1 <= value <= 5:
            raise CurriculumError(_("Give a score from 1 to 5."), field=name)
    duplicate = _("You have already answered the survey for this course run.")
    if SurveyResponse.objects.filter(employee=employee, course=course, run=enrolment.run).exists():
        raise CurriculumConflict(duplicate, field="course")
    try:
        with transaction.atomic():
            response = SurveyResponse.objects.create(
                employee=employee,
                course=course,
                run=enrolment.run,
                content_score=content_score,
                format_score=format_score,
                usefulness_score=usefulness_score,
                comment=comment.strip(),
            )
    except IntegrityError as exc:
        raise CurriculumConflict(duplicate, field="course") from exc
    event_record(
        employee=employee,
        kind=CurriculumEvent.Kind.SURVEY_SUBMITTED,
        actor=employee,
        course=course,
        detail={"run": enrolment.run_id, "average": str(response.average())},
    )
    return response


# --- level 2: exam --------------------------------------------------------------------------


def _exam_questions(course: Course):
    return Question.objects.filter(
        course=course, is_active=True, options__is_correct=True
    ).distinct()


@transaction.atomic
def exam_attempt_start(
    *, employee, course: Course, rng: random.Random | None = None
) -> ExamAttempt:
    """Open an attempt with ``course.exam_question_count`` questions drawn at random from the
    active bank (all of them when the bank is smaller). One open attempt per course."""
    enrolment = (
        Enrolment.objects.filter(employee=employee, course=course).select_related("run").first()
    )
    if enrolment is None:
        raise CurriculumError(_("Enrol in the course before taking its exam."), field="course")
    closed = exam_closed_reason(enrolment)
    if closed:
        raise CurriculumError(closed, field="course")
    open_message = _("You already have an open attempt for this exam; submit it first.")
    if ExamAttempt.objects.filter(
        employee=employee, course=course, status=ExamAttempt.Status.OPEN
    ).exists():
        raise CurriculumConflict(open_message, field="course")
    question_ids = list(_exam_questions(course).values_list("id", flat=True))
    if not question_ids:
        raise CurriculumError(_("This course has no exam questions yet."), field="course")
    drawn = (rng or random.SystemRandom()).sample(
        question_ids, min(course.exam_question_count, len(question_ids))
    )
    try:
        with transaction.atomic():
            attempt = ExamAttempt.objects.create(
                employee=employee, course=course, pass_mark_percent=course.pass_mark_percent
            )
    except IntegrityError as exc:
        raise CurriculumConflict(open_message, field="course") from exc
    AttemptQuestion.objects.bulk_create(
        AttemptQuestion(attempt=attempt, question_id=qid, order=i)
        for i, qid in enumerate(drawn, start=1)
    )
    event_record(
        employee=employee,
        kind=CurriculumEvent.Kind.EXAM_STARTED,
        actor=employee,
        course=course,
        detail={"attempt": attempt.pk, "questions": len(drawn)},
    )
    return attempt


@transaction.atomic
def exam_attempt_submit(
    *, attempt: ExamAttempt, employee, answers: dict[int, list[int]]
) -> ExamAttempt:
    """Grade the attempt. ``answers`` maps question id → chosen option ids; a question is
    right when the chosen set equals the set of correct options (unanswered = wrong).
    Passing (score ≥ pass mark) completes the course enrolment."""
    attempt = ExamAttempt.objects.select_for_update().get(pk=attempt.pk)
    if attempt.employee_id != employee.pk:
        raise CurriculumPermissionDenied(_("This is not your exam attempt."))
    if attempt.status != ExamAttempt.Status.OPEN:
        raise CurriculumConflict(_("This attempt has already been submitted."))
    items = list(attempt.items.select_related("question").prefetch_related("question__options"))
    by_question = {item.question_id: item for item in items}
    unknown = set(answers) - set(by_question)
    if unknown:
        raise CurriculumError(_("Answer only the questions of this attempt."), field="answers")
    correct = 0
    for item in items:
        options = {o.pk: o for o in item.question.options.all()}
        chosen = set(answers.get(item.question_id) or [])
        if chosen - set(options):
            raise CurriculumError(_("An option does not belong to its question."), field="answers")
        if item.question.kind == Question.Kind.SINGLE and len(chosen) > 1:
            raise CurriculumError(
                _("Choose one option for a single-choice question."), field="answers"
            )
        right = {pk for pk, o in options.items() if o.is_correct}
        item.is_correct = bool(chosen) and chosen == right
        correct += item.is_correct
        item.save(update_fields=["is_correct"])
        item.selected_options.set(Option.objects.filter(pk__in=chosen))
    total = len(items)
    attempt.correct_count = correct
    attempt.score_percent = (Decimal(correct * 100) / total).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_UP
    )
    attempt.passed = attempt.score_percent >= attempt.pass_mark_percent
    attempt.status = ExamAttempt.Status.SUBMITTED
    attempt.submitted_at = timezone.now()
    attempt.save()
    event_record(
        employee=employee,
        kind=CurriculumEvent.Kind.EXAM_SUBMITTED,
        actor=employee,
        course=attempt.course,
        detail={
            "attempt": attempt.pk,
            "score": str(attempt.score_percent),
            "passed": attempt.passed,
        },
    )
    if attempt.passed:
        enrolment = Enrolment.objects.filter(employee=employee, course=attempt.course).first()
        if enrolment and not enrolment.is_completed:
            enrolment_complete(
                enrolment=enrolment, actor=employee, completed_by=Enrolment.CompletedBy.EXAM
            )
    return attempt


# --- behaviour scale and improvement plan ---------------------------------------------------------


@transaction.atomic
def behaviour_rating_create(
    *,
    rater,
    employee,
    item: CompetencyItem,
    phase: str,
    score: int,
    observed_on: dt.date,
    note: str = "",
) -> BehaviourRating:
    """Record a team leader's observation of ``employee`` on ``item`` (an item of the
    employee's position model), before or after training."""
    if is_self.test(rater, employee):
        raise CurriculumError(_("You cannot rate yourself."), field="employee")
    if not same_team.test(rater, employee):
        raise CurriculumError(_("You can rate only members of your own team."), field="employee")
    if not PositionCompetency.objects.filter(position_id=employee.position_id, item=item).exists():
        raise CurriculumError(
            _("This item is not in the employee's position competency model."), field="item"
        )
    if phase not in BehaviourRating.Phase.values:
        raise CurriculumError(_("Choose before or after training."), field="phase")
    if not isinstance(score, int) or not 1 <= score <= 5:
        raise CurriculumError(_("Give a score from 1 to 5."), field="score")
    if observed_on > timezone.localdate():
        raise CurriculumError(
            _("The observation date cannot be in the future."), field="observed_on"
        )
    rating = BehaviourRating.objects.create(
        employee=employee,
        item=item,
        rater=rater,
        phase=phase,
        score=score,
        observed_on=observed_on,
        note=note.strip(),
    )
    event_record(
        employee=employee,
        kind=CurriculumEvent.Kind.RATING_RECORDED,
        actor=rater,
        detail={"rating": rating.pk, "item": item.code, "phase": phase, "score": score},
    )
    return rating


@transaction.atomic
def improvement_plan_item_create(
    *,
    employee,
    created_by,
    action: str,
    item: CompetencyItem | None = None,
    course: Course | None = None,
    due_on: dt.date | None = None,
) -> ImprovementPlanItem:
    """Add a line to the employee's ability-improvement plan."""
    action = (action or "").strip()
    if not action:
        raise CurriculumError(_("Describe the action."), field="action")
    plan_item = ImprovementPlanItem.objects.create(
        employee=employee,
        created_by=created_by,
        action=action,
        item=item,
        course=course,
        due_on=due_on,
    )
    event_record(
        employee=employee,
        kind=CurriculumEvent.Kind.PLAN_ITEM_ADDED,
        actor=created_by,
        course=course,
        detail={"plan_item": plan_item.pk},
    )
    return plan_item


# --- what a course question tests ---------------------------------------------------------------

MAX_QUESTION_ITEMS = 50


def may_tag_questions(user) -> bool:
    """Training managers (accounts.manage_training) set what course questions test."""
    return bool(user and user.is_active and user.has_perm(roles.MANAGE_TRAINING))


@transaction.atomic
def question_items_set(*, question_id: int, item_ids, by) -> Question:
    """A training manager sets the competency items course question ``question_id`` tests
    (empty: it counts for its course's items, curriculum.exam_items). The result per item of
    every attempt that asked it follows at once: the tags are read when a result is read. A
    change is written to the question's admin history (django.contrib.admin LogEntry, where
    the admin's own edits go). Raises CurriculumPermissionDenied (not a training manager),
    NotFoundError (no such question), CurriculumError on competency_items (an id that is no
    competency item, or more than MAX_QUESTION_ITEMS)."""
    from django.contrib.admin.models import CHANGE, LogEntry

    if not may_tag_questions(by):
        raise CurriculumPermissionDenied(_("Only training managers tag course questions."))
    question = Question.objects.select_for_update().filter(pk=question_id).first()
    if question is None:
        raise NotFoundError()
    wanted = set(item_ids)
    if len(wanted) > MAX_QUESTION_ITEMS:
        raise CurriculumError(
            _("Tag a question with at most %(count)d competency items.")
            % {"count": MAX_QUESTION_ITEMS},
            field="competency_items",
        )
    known = set(CompetencyItem.objects.filter(pk__in=wanted).values_list("pk", flat=True))
    unknown = sorted(wanted - known)
    if unknown:
        raise CurriculumError(
            _("No competency item has the id %(ids)s.")
            % {"ids": ", ".join(str(pk) for pk in unknown)},
            field="competency_items",
        )
    before = set(question.competency_items.values_list("pk", flat=True))
    if before != wanted:
        question.competency_items.set(wanted)
        # Before and after in the history itself: re-tagging re-reads the past course exams
        # that asked the question (curriculum.exam_items), so who moved which tags is audit.
        codes = dict(
            CompetencyItem.objects.filter(pk__in=before | wanted).values_list("pk", "code")
        )
        LogEntry.objects.log_actions(
            user_id=by.pk,
            queryset=[question],
            action_flag=CHANGE,
            change_message="Changed competency items: {} -> {}.".format(
                ", ".join(sorted(codes[pk] for pk in before)) or "-",
                ", ".join(sorted(codes[pk] for pk in wanted)) or "-",
            ),
            single_object=True,
        )
        logger.info(
            "question %s competency items %s -> %s by %s",
            question.pk,
            sorted(before),
            sorted(wanted),
            by.pk,
        )
    return question
