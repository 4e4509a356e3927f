"""Curriculum checks about one person and one object: whether an employee may enrol in a course
yet (the stage-progression rule), answer its survey or start its exam — each as the reason it
is refused, None when allowed — and whom a viewer may follow (the named object rules of
curriculum/rules.py as a query, for lists). Reads, no writes; the services refuse with these
reasons and the pages show them."""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import roles
from accounts.selectors import employee_search_q
from curriculum.models import Course, Enrolment, ExamAttempt
from curriculum.selectors import learning_map_for_employee, map_progress

# --- may enrol, answer the survey, start the exam --------------------------------------------


def stage_lock_reason(*, employee, course: Course) -> str | None:
    """Why ``employee`` may not enrol in ``course`` yet, or None when they may.

    The rule: a course placed on the employee's learning map belongs to the earliest stage
    holding it; every earlier stage must be complete. Courses not on the map are free
    electives and never locked.
    """
    learning_map = learning_map_for_employee(employee)
    if learning_map is None:
        return None
    for stage in map_progress(employee=employee, learning_map=learning_map).stages:
        if any(c.course.pk == course.pk for t in stage.topics for c in t.courses):
            return stage.locked_reason or None
    return None


def survey_closed_reason(enrolment: Enrolment, *, today: dt.date | None = None) -> str | None:
    """Why the reaction survey of ``enrolment`` cannot be answered yet, or None when it can.
    It opens when the course has been delivered: on the last day of the enrolment's run, or
    — self-paced, without a run — once the enrolment is completed."""
    today = today or timezone.localdate()
    if enrolment.run is not None:
        opens = enrolment.run.survey_opens_on()
        if today < opens:
            return _("The survey opens when the course run ends, on %(date)s.") % {
                "date": opens.isoformat()
            }
        return None
    if not enrolment.is_completed:
        return _("The survey opens when you have completed the course.")
    return None


def exam_closed_reason(enrolment: Enrolment, *, today: dt.date | None = None) -> str | None:
    """Why the learning exam of ``enrolment`` cannot be started yet, or None when it can: a
    run with a delay (exam_opens_after_days) opens it that many days after its last day."""
    today = today or timezone.localdate()
    opens = enrolment.run.exam_opens_on() if enrolment.run is not None else None
    if opens is not None and today < opens:
        return _("The exam of this course opens on %(date)s.") % {"date": opens.isoformat()}
    return None


# --- whose course exam attempts ----------------------------------------------------------------


def visible_exam_attempts(viewer) -> QuerySet[ExamAttempt]:
    """The course exam attempts ``viewer`` may open and submit — the page
    curriculum:exam_attempt, GET /api/curriculum/exams/<pk>/ and its submit endpoint alike: their
    own, and only while they hold the study permission (accounts.study; the views refuse
    anyone else with 403 first). Another employee's attempt is not in it: answered 404, as a
    missing one."""
    if not viewer.has_perm(roles.STUDY):
        return ExamAttempt.objects.none()
    return ExamAttempt.objects.filter(employee=viewer)


# --- who may see whom -------------------------------------------------------------------------


# Who may see and rate one employee: the named rules curriculum.view_employee and
# curriculum.rate_employee (curriculum/rules.py). visible_employees is the same rule as a
# query, for lists.


def visible_employees(viewer, *, query: str = ""):
    """Employees ``viewer`` may follow: everyone for training managers, the own team for
    team leaders, nobody otherwise (curriculum.view_employee as a query)."""
    from accounts.models import User

    qs = User.objects.filter(is_active=True).select_related("position", "team")
    if not viewer.has_perm(roles.MANAGE_TRAINING):
        if not (viewer.has_perm(roles.RATE_BEHAVIOUR) and viewer.team_id):
            return qs.none()
        qs = qs.filter(team_id=viewer.team_id).exclude(pk=viewer.pk)
    if query:
        qs = qs.filter(employee_search_q(query))
    return qs.order_by("staff_id")
