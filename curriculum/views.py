"""Curriculum pages. Thin: parse, call one service or selector, render."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Avg, Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts import roles
from accounts.rules import allowed
from config import charts, exports
from config.charts import Chart
from config.errors import AppError, form_error
from config.filtering import filter_list
from config.urlfill import url_filler
from curriculum import exam_items, permissions, selectors, services
from curriculum import gaps as gap_selectors
from curriculum.filters import CourseFilter
from curriculum.forms import (
    PeopleSearchForm,
    PlanItemForm,
    RatingForm,
    SurveyForm,
)
from curriculum.models import Course, CurriculumSettings, Enrolment, ExamAttempt, SurveyResponse
from curriculum.rules import RATE_EMPLOYEE, VIEW_EMPLOYEE

PER_PAGE = 50
User = get_user_model()


def require_any_perm(*perms):
    """403 unless the user holds at least one of ``perms``."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(request, *args, **kwargs):
            if not any(request.user.has_perm(p) for p in perms):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def _querystring(request) -> str:
    qs = request.GET.copy()
    qs.pop("page", None)
    return qs.urlencode()


def _employee_for(request, pk: int | None):
    """The employee a page is about: the user, or ``pk`` if the user may see them (403/404)."""
    if pk is None:
        return request.user
    employee = get_object_or_404(User.objects.select_related("position", "team"), pk=pk)
    if not allowed(VIEW_EMPLOYEE, request.user, employee):
        raise PermissionDenied
    return employee


# --- catalogue and course pages (CSR) -------------------------------------------------------


@require_http_methods(["GET"])
@require_any_perm(roles.STUDY, roles.MANAGE_TRAINING)
def course_list(request):
    filterset, courses = filter_list(CourseFilter, request, selectors.course_list())
    page = Paginator(courses, PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "curriculum/course_list.html",
        {"form": filterset.form, "page": page, "querystring": _querystring(request)},
    )


def _course_detail_context(request, course):
    enrolment = (
        Enrolment.objects.filter(employee=request.user, course=course).select_related("run").first()
    )
    return {
        "course": course,
        "enrolment": enrolment,
        "lock_reason": None
        if enrolment
        else permissions.stage_lock_reason(employee=request.user, course=course),
        "has_survey": SurveyResponse.objects.filter(
            employee=request.user, course=course, run=enrolment.run if enrolment else None
        ).exists(),
        "survey_closed": permissions.survey_closed_reason(enrolment) if enrolment else None,
        "exam_closed": permissions.exam_closed_reason(enrolment) if enrolment else None,
        "attempts": ExamAttempt.objects.filter(employee=request.user, course=course).order_by(
            "-started_at"
        )[:10],
        "has_questions": course.questions.filter(is_active=True).exists(),
        "runs": course.runs.order_by("-starts_on")[:5],
    }


@require_http_methods(["GET"])
@require_any_perm(roles.STUDY, roles.MANAGE_TRAINING)
def course_detail(request, pk: int):
    course = get_object_or_404(
        Course.objects.prefetch_related("competency_items", "call_steps", "topics"), pk=pk
    )
    return render(request, "curriculum/course_detail.html", _course_detail_context(request, course))


@require_POST
@login_required
@permission_required(roles.STUDY, raise_exception=True)
def course_enrol(request, pk: int):
    course = get_object_or_404(
        Course.objects.prefetch_related("competency_items", "call_steps", "topics"), pk=pk
    )
    try:
        services.enrolment_create(employee=request.user, course=course)
    except AppError as error:
        context = _course_detail_context(request, course) | {"enrol_error": error.message}
        return render(request, "curriculum/course_detail.html", context, status=400)
    messages.success(request, _("You are enrolled in %(course)s.") % {"course": course.title})
    return redirect("curriculum:course_detail", pk=course.pk)


@require_http_methods(["GET", "POST"])
@login_required
@permission_required(roles.STUDY, raise_exception=True)
def course_survey(request, pk: int):
    course = get_object_or_404(Course, pk=pk)
    form = SurveyForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.survey_response_create(
                    employee=request.user, course=course, **form.cleaned_data
                )
            except AppError as error:
                form_error(form, error)
            else:
                messages.success(request, _("Thank you for your feedback."))
                return redirect("curriculum:course_detail", pk=course.pk)
        status = 400
    return render(
        request, "curriculum/survey.html", {"course": course, "form": form}, status=status
    )


@require_http_methods(["GET", "POST"])
@login_required
@permission_required(roles.STUDY, raise_exception=True)
def course_exam(request, pk: int):
    course = get_object_or_404(Course, pk=pk)
    error = None
    if request.method == "POST":
        try:
            attempt = services.exam_attempt_start(employee=request.user, course=course)
        except AppError as exc:
            error = exc.message
        else:
            return redirect("curriculum:exam_attempt", pk=attempt.pk)
    attempts = ExamAttempt.objects.filter(employee=request.user, course=course).order_by(
        "-started_at"
    )
    return render(
        request,
        "curriculum/exam.html",
        {"course": course, "attempts": attempts, "error": error},
        status=400 if error else 200,
    )


@require_http_methods(["GET", "POST"])
@login_required
@permission_required(roles.STUDY, raise_exception=True)
def exam_attempt(request, pk: int):
    attempt = get_object_or_404(
        permissions.visible_exam_attempts(request.user).select_related("course"), pk=pk
    )
    error = None
    if request.method == "POST":
        answers = {}
        for item in attempt.items.all():
            values = request.POST.getlist(f"q{item.question_id}")
            try:
                answers[item.question_id] = [int(v) for v in values]
            except ValueError:
                error = _("An option does not belong to its question.")
        if error is None:
            try:
                services.exam_attempt_submit(
                    attempt=attempt, employee=request.user, answers=answers
                )
            except AppError as exc:
                error = exc.message
            else:
                return redirect("curriculum:exam_attempt", pk=attempt.pk)
        attempt.refresh_from_db()
    items = attempt.items.select_related("question").prefetch_related(
        "question__options", "selected_options"
    )
    scores = exam_items.competency_scores(attempt)
    return render(
        request,
        "curriculum/exam_attempt.html",
        {
            "attempt": attempt,
            "items": items,
            "error": error,
            "competency_scores": scores,
            "competency_chart": exam_items.scores_chart(scores),
        },
        status=400 if error else 200,
    )


# --- learning map ---------------------------------------------------------------------------


@require_http_methods(["GET"])
@login_required
@permission_required(roles.STUDY, raise_exception=True)
def my_map(request):
    learning_map = selectors.learning_map_for_employee(request.user, cached=True)
    progress = (
        selectors.map_progress(employee=request.user, learning_map=learning_map)
        if learning_map
        else None
    )
    if progress:
        course_link = url_filler("curriculum:course_detail")
        for stage in progress.stages:
            for topic in stage.topics:
                for course in topic.courses:
                    course.href = course_link(course.course.pk)
    return render(request, "curriculum/my_map.html", {"progress": progress})


# --- trajectory -----------------------------------------------------------------------------


@require_http_methods(["GET"])
@login_required
def trajectory(request, pk: int | None = None):
    if pk is None and not request.user.has_perm(roles.STUDY):
        raise PermissionDenied
    employee = _employee_for(request, pk)
    page = Paginator(selectors.trajectory(employee=employee), PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "curriculum/trajectory.html",
        {"employee": employee, "page": page, "own": pk is None},
    )


@require_http_methods(["GET"])
@login_required
def trajectory_export(request, fmt: str, pk: int | None = None):
    if fmt not in ("csv", "xlsx"):
        raise Http404
    if pk is None and not request.user.has_perm(roles.STUDY):
        raise PermissionDenied
    employee = _employee_for(request, pk)
    filename = f"trajectory-{employee.staff_id}"
    if fmt == "csv":
        return exports.csv_response(
            selectors.trajectory_csv_chunks(employee=employee), filename=f"{filename}.csv"
        )
    return exports.xlsx_response(
        lambda target: selectors.trajectory_xlsx_write(employee=employee, target=target),
        filename=f"{filename}.xlsx",
    )


# --- gaps, ratings, people ---------------------------------------------------------------------


def _gap_chart(rows) -> Chart:
    """The server-rendered bar chart on a 0–5 scale: a bar per item at the level the gap is
    measured from (the latest rating; the exam level, drawn pale and dashed, for an item nobody
    rated), the target as a line across it, and a dot at the exam level wherever there is exam
    evidence."""
    left, row_height = 170, 22
    score = charts.linear((0, 5), (left, left + 400))
    chart = Chart(
        width=left + 400 + 20,
        height=16 + len(rows) * row_height,
        label=_("Latest rating against target per item"),
    )
    for i, row in enumerate(rows):
        y, text_y = 8 + i * row_height, 18 + i * row_height
        chart.text(4, text_y, Truncator(row.item.name).chars(12), cls="label")
        from_exam = row.source == gap_selectors.EXAM
        if row.level:
            chart.rect(
                left,
                y,
                score(row.level) - left,
                12,
                cls="bar bar-exam" if from_exam else "bar",
                title=f"{row.item.name}: {row.level}"
                + (f" ({_('exam evidence')})" if from_exam else ""),
            )
        chart.line(score(row.target), y - 3, score(row.target), text_y + 4, cls="target")
        if row.exam:
            chart.dot(
                score(row.exam.level),
                y + 6,
                cls="exam-mark",
                title=f"{row.item.name}: {_('exam evidence')} {row.exam.level}",
            )
    return chart


@require_http_methods(["GET", "POST"])
@login_required
def gaps(request, pk: int | None = None):
    if pk is None and not request.user.has_perm(roles.STUDY):
        raise PermissionDenied
    employee = _employee_for(request, pk)
    can_plan = pk is not None and (
        request.user.has_perm(roles.RATE_BEHAVIOUR) or request.user.has_perm(roles.MANAGE_TRAINING)
    )
    plan_form = PlanItemForm(request.POST or None) if can_plan else None
    status = 200
    if request.method == "POST":
        if not can_plan:
            raise PermissionDenied
        if plan_form.is_valid():
            course = Course.objects.filter(pk=plan_form.cleaned_data["course"]).first()
            try:
                services.improvement_plan_item_create(
                    employee=employee,
                    created_by=request.user,
                    action=plan_form.cleaned_data["action"],
                    course=course,
                    due_on=plan_form.cleaned_data["due_on"],
                )
            except AppError as error:
                form_error(plan_form, error)
            else:
                messages.success(request, _("Added to the improvement plan."))
                return redirect("curriculum:employee_gaps", pk=employee.pk)
        status = 400
    analysis = gap_selectors.gap_analysis(employee=employee)
    return render(
        request,
        "curriculum/gaps.html",
        {
            "employee": employee,
            "analysis": analysis,
            "plan_form": plan_form,
            "own": pk is None,
            "can_rate": allowed(RATE_EMPLOYEE, request.user, employee),
            "chart": _gap_chart(analysis.rows),
            "exam_settings": CurriculumSettings.current(),
        },
        status=status,
    )


@require_http_methods(["GET"])
@require_any_perm(roles.MANAGE_TRAINING, roles.RATE_BEHAVIOUR)
def people(request):
    form = PeopleSearchForm(request.GET)
    valid = form.is_valid()
    query = form.cleaned_data["q"].strip() if valid else ""
    employees = permissions.visible_employees(request.user, query=query)
    page = Paginator(employees if valid else employees.none(), PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "curriculum/people.html",
        {
            "form": form,
            "page": page,
            "query": query,
            "querystring": _querystring(request),
            # Rating links per row only where the rating page would open (curriculum.rate_employee).
        },
        status=200 if valid else 400,
    )


@require_http_methods(["GET", "POST"])
@login_required
@permission_required(roles.RATE_BEHAVIOUR, raise_exception=True)
def rate_employee(request, pk: int):
    employee = get_object_or_404(User.objects.select_related("position", "team"), pk=pk)
    if not allowed(RATE_EMPLOYEE, request.user, employee):
        raise PermissionDenied
    form = RatingForm(request.POST or None, employee=employee)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.behaviour_rating_create(
                    rater=request.user, employee=employee, **form.cleaned_data
                )
            except AppError as error:
                form_error(form, error)
            else:
                messages.success(request, _("Rating saved."))
                return redirect("curriculum:rate_employee", pk=employee.pk)
        status = 400
    recent = employee.behaviour_ratings.select_related("item", "rater").order_by(
        "-observed_on", "-id"
    )[:20]
    return render(
        request,
        "curriculum/rate.html",
        {"employee": employee, "form": form, "recent": recent},
        status=status,
    )


# --- training manager: evaluations ---------------------------------------------------------------


@require_http_methods(["GET"])
@login_required
@permission_required(roles.MANAGE_TRAINING, raise_exception=True)
def evaluations(request):
    page = Paginator(selectors.course_evaluation_summaries(), PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request, "curriculum/evaluations.html", {"page": page, "querystring": _querystring(request)}
    )


@require_http_methods(["GET"])
@login_required
@permission_required(roles.MANAGE_TRAINING, raise_exception=True)
def evaluation_detail(request, pk: int):
    course = get_object_or_404(Course, pk=pk)
    responses = selectors.course_survey_responses(course)
    averages = responses.aggregate(
        count=Count("id"),
        content=Avg("content_score"),
        format=Avg("format_score"),
        usefulness=Avg("usefulness_score"),
    )
    with_comments = responses.exclude(comment="")
    page = Paginator(with_comments, PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "curriculum/evaluation_detail.html",
        {
            "course": course,
            "averages": averages,
            "page": page,
            "exam": selectors.course_exam_stats(course),
            "querystring": _querystring(request),
            "by_run": course.runs.annotate(responses=Count("survey_responses")).filter(
                ~Q(responses=0)
            ),
        },
    )
