from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from accounts import roles
from accounts.levels import MAX_LEVEL
from casebase.models import Case
from casebase.services.item_moves import case_item_move_propose
from config import exports
from config.errors import AppError, message_error
from curriculum.exam_items import scores_chart
from promotion import charts, forecast, item_stats, rosters, selectors
from promotion.forms import (
    BlueprintFilterForm,
    ExamAttemptFilterForm,
    ItemMoveForm,
    ItemStatsFilterForm,
    MedalAwardForm,
    MentorshipForm,
    PromoteForm,
    RosterFilterForm,
    WorkforceFilterForm,
)
from promotion.models import VIEW_EXAM_ANSWERS, ExamAttempt, MedalAward, Mentorship, PromotionEvent
from promotion.services import exams as exam_services
from promotion.services import levels as level_services
from promotion.services import medals as medal_services
from promotion.services import mentoring as mentoring_services
from promotion.services import notifications as notification_services
from review.selectors import committee_eligibility

PER_PAGE = 50


@require_GET
@permission_required(roles.STUDY, raise_exception=True)
def my_level(request):
    """My level: title, badge, privileges, the checklist of the next promotion, retention
    status, the latest demotion reason, history, medals and unread notifications."""
    user = request.user
    levels = selectors.levels()
    # The forecast reads the next promotion's checklist (the same rule as promotion_checklist)
    # and adds the pace; the page shows both without reading the checklist twice.
    projection = forecast.forecast_of(user)
    checklist = projection.items
    period = selectors.current_retention(user)
    return render(
        request,
        "promotion/my_level.html",
        {
            "level": levels.get(user.level),
            "next_level": levels.get(user.level + 1),
            "checklist": checklist,
            "all_met": bool(checklist) and all(item.met for item in checklist),
            "retention": selectors.retention_status(period) if period else None,
            "demotion": selectors.last_demotion(user),
            "history": selectors.promotion_history(user)[:20],
            "medals": MedalAward.objects.filter(employee=user).select_related("medal")[:20],
            "unread": selectors.unread_count(user),
            "mentor": selectors.mentor_of(user),
            # The one home of the committee rule (level and pass rate from ReviewSettings).
            "committee": committee_eligibility(user),
            "forecast": projection,
            "forecast_chart": charts.forecast_bars(projection),
            "risk": forecast.own_risk(user) if period else None,
        },
    )


@require_POST
@permission_required(roles.STUDY, raise_exception=True)
def promote_request(request):
    try:
        event = level_services.employee_promote(
            employee=request.user, to_level=request.user.level + 1, decided_by=request.user
        )
    except AppError as exc:
        message_error(request, exc)
    else:
        messages.success(
            request, _("You were promoted to level %(level)s.") % {"level": event.to_level}
        )
    return redirect("promotion:my_level")


@require_GET
@permission_required(roles.STUDY, raise_exception=True)
def exam_home(request):
    """The exams I may sit, each with its start button or the reason it cannot start now
    (the same selectors.exam_check as the service), and my attempts."""
    user = request.user
    period = selectors.current_retention(user)
    retention = selectors.retention_status(period) if period else None
    next_level = user.level + 1 if user.level < MAX_LEVEL else None
    requirement = selectors.requirement_for(next_level) if next_level else None
    page = Paginator(selectors.exam_attempts_of(user), PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "promotion/exam_home.html",
        {
            "next_level": next_level,
            "requirement": requirement,
            "next_check": selectors.exam_check(user, next_level) if requirement else None,
            "retention": retention,
            "retest_check": (
                selectors.exam_check(user, period.level)
                if retention and retention.window_open and not retention.exam_passed
                else None
            ),
            "open_exam": selectors.open_exam(user),
            "page": page,
        },
    )


@require_POST
@permission_required(roles.STUDY, raise_exception=True)
def exam_start(request):
    try:
        level = int(request.POST.get("level", ""))
    except ValueError:
        messages.error(request, _("Choose a level."))
        return redirect("promotion:exam_home")
    try:
        attempt = exam_services.exam_start(employee=request.user, level=level)
    except AppError as exc:
        message_error(request, exc)
        return redirect("promotion:exam_home")
    return redirect("promotion:exam_take", pk=attempt.pk)


@require_GET
@permission_required(roles.STUDY, raise_exception=True)
def exam_take(request, pk: int):
    """My open exam (all questions on one page, no answers in the HTML) or, once submitted,
    its result: score, pass mark and feedback per question kind and category — never the
    test cases' questions, options or keys."""
    attempt = get_object_or_404(ExamAttempt, pk=pk, employee=request.user)
    seconds_left = attempt.seconds_left()
    return render(
        request,
        "promotion/exam_take.html",
        {
            "attempt": attempt,
            "questions": _with_given(attempt),
            **_progress(attempt),
            "feedback": selectors.exam_feedback(attempt),
            "seconds_left": seconds_left,
            "time_left": clock(seconds_left),
            **_competency_result(attempt),
        },
    )


def _competency_result(attempt: ExamAttempt) -> dict:
    """The feedback's result per competency item: the table's rows and their bar chart."""
    scores = selectors.competency_scores(attempt)
    return {"competency_scores": scores, "competency_chart": scores_chart(scores)}


def _with_given(attempt: ExamAttempt) -> list[dict]:
    """The open attempt's public questions (no answers) with the examinee's own saved choice."""
    return [dict(q, given=attempt.answers.get(q["id"])) for q in attempt.public_questions()]


def _progress(attempt: ExamAttempt) -> dict:
    """The question list of the exam page: which questions have a saved answer (never whether
    it is right)."""
    numbers = (
        [
            {"number": n, "answered": bool(attempt.answers.get(q["id"]))}
            for n, q in enumerate(attempt.questions, start=1)
        ]
        if attempt.status == ExamAttempt.Status.OPEN
        else []
    )
    return {"progress": numbers, "answered_count": sum(1 for q in numbers if q["answered"])}


@require_POST
@permission_required(roles.STUDY, raise_exception=True)
def exam_answers_save(request, pk: int):
    """Save the choices made so far on the exam page (htmx, on every change): answers the
    question list with what is saved; after the deadline or once submitted a 409 fragment
    says why. Without htmx: back to the exam page."""
    attempt = get_object_or_404(ExamAttempt, pk=pk, employee=request.user)
    answers = {q["id"]: request.POST.get(q["id"], "") for q in attempt.questions}
    error, status = "", 200
    try:
        attempt = exam_services.exam_answers_save(
            attempt_id=attempt.pk, employee=request.user, answers=answers
        )
    except AppError as exc:
        if not request.htmx:
            message_error(request, exc)
            return redirect("promotion:exam_take", pk=attempt.pk)
        error, status = exc.message, exc.status_code
    if not request.htmx:
        messages.success(request, _("Your answers were saved."))
        return redirect("promotion:exam_take", pk=attempt.pk)
    return render(
        request,
        "promotion/_exam_progress.html",
        {
            "attempt": attempt,
            **_progress(attempt),
            "saved": status == 200,
            "progress_error": error,
        },
        status=status,
    )


@require_GET
@permission_required(VIEW_EXAM_ANSWERS, raise_exception=True)
def exam_attempts(request):
    """Submitted attempts that the viewer may see in full (training managers, the review
    committee), filtered by staff ID and level."""
    form = ExamAttemptFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    qs = selectors.attempts_viewable_in_full(
        request.user, staff_id=data.get("staff_id") or "", level=data.get("level")
    )
    page = Paginator(qs, PER_PAGE).get_page(request.GET.get("page"))
    querystring = urlencode({k: v for k, v in request.GET.items() if k != "page" and v})
    return render(
        request,
        "promotion/exam_attempts.html",
        {"form": form, "page": page, "querystring": querystring},
    )


@require_GET
@permission_required(VIEW_EXAM_ANSWERS, raise_exception=True)
def exam_attempt_full(request, pk: int):
    """One attempt in full: every question with its options, the given and the correct
    option. 403 for one's own attempt, an open one, or (committee members who sit exams)
    one at or above the viewer's level."""
    attempt = get_object_or_404(ExamAttempt.objects.select_related("employee"), pk=pk)
    if not selectors.can_view_in_full(request.user, attempt):
        raise PermissionDenied
    return render(
        request,
        "promotion/exam_attempt_full.html",
        {
            "attempt": attempt,
            "graded": attempt.graded_questions(),
            "feedback": selectors.exam_feedback(attempt),
            **_competency_result(attempt),
        },
    )


@require_GET
@permission_required(roles.MANAGE_TRAINING, raise_exception=True)
def exam_blueprint(request):
    """The exam blueprint of a position: per competency item its Q-sort weight, the cases
    each level's exam plans for it and the test cases tagged with it (counts only)."""
    form = BlueprintFilterForm(request.GET or None)
    blueprint = selectors.exam_blueprint(form.chosen_position())
    return render(
        request,
        "promotion/exam_blueprint.html",
        {
            "form": form,
            "blueprint": blueprint,
            "chart": charts.weight_bars(
                [(row.item.name, float(row.weight)) for row in blueprint.rows]
            ),
        },
        status=400 if form.is_bound and not form.is_valid() else 200,
    )


@require_POST
@permission_required(roles.STUDY, raise_exception=True)
def exam_submit(request, pk: int):
    attempt = get_object_or_404(ExamAttempt, pk=pk, employee=request.user)
    # A choice saved while answering counts when the form did not send that question.
    answers = {
        q["id"]: request.POST.get(q["id"], "") or attempt.answers.get(q["id"], "")
        for q in attempt.questions
    }
    try:
        attempt = exam_services.exam_submit(
            attempt_id=attempt.pk, employee=request.user, answers=answers
        )
    except AppError as exc:
        message_error(request, exc)
    else:
        # Green only for a pass: a failed or expired attempt is not a success.
        report = (
            messages.success if attempt.status == ExamAttempt.Status.PASSED else messages.warning
        )
        report(
            request,
            _("Your exam was graded: %(score)s%% (%(status)s).")
            % {"score": attempt.score_percent, "status": attempt.get_status_display()},
        )
        unanswered = sum(1 for value in answers.values() if not value)
        if unanswered:
            messages.warning(
                request,
                ngettext(
                    "%(count)d question was left unanswered and counted as wrong.",
                    "%(count)d questions were left unanswered and counted as wrong.",
                    unanswered,
                )
                % {"count": unanswered},
            )
    return redirect("promotion:exam_take", pk=attempt.pk)


def clock(seconds: int | None) -> str:
    """Seconds as m:ss (the exam timer's own format, so the page does not jump when its
    script starts); "" for None."""
    if seconds is None:
        return ""
    seconds = max(int(seconds), 0)
    return f"{seconds // 60}:{seconds % 60:02d}"


@require_GET
@login_required
def certificate(request, pk: int):
    """A printable certificate of one promotion, for the employee and HR."""
    event = get_object_or_404(
        PromotionEvent.objects.select_related("employee", "employee__centre"),
        pk=pk,
        kind=PromotionEvent.Kind.PROMOTED,
    )
    if event.employee_id != request.user.pk and not request.user.has_perm(roles.EXPORT_ROSTERS):
        raise PermissionDenied
    return render(
        request,
        "promotion/certificate.html",
        {"event": event, "level": selectors.level_of(event.to_level)},
    )


@require_GET
@login_required
def mentoring(request):
    """Mentors see their apprentices; managers pair mentors and apprentices, end pairs and
    promote employees whose requirements are met."""
    user = request.user
    is_manager = user.has_perm(roles.MANAGE_OPERATIONS)
    if not (user.has_perm(roles.STUDY) or is_manager):
        raise PermissionDenied
    mentor_levels = selectors.mentoring_levels()
    active = None
    if is_manager:
        active = Paginator(selectors.active_mentorships(), PER_PAGE).get_page(
            request.GET.get("page")
        )
    return render(
        request,
        "promotion/mentoring.html",
        {
            "apprentices": selectors.apprentices_of(user)[:PER_PAGE],
            "can_mentor": user.level in mentor_levels,
            "mentor_levels": mentor_levels,
            # "level n and above" only when the mentoring levels are exactly n..the top.
            "mentor_from": mentor_levels[0]
            if mentor_levels and mentor_levels == list(range(mentor_levels[0], MAX_LEVEL + 1))
            else None,
            "is_manager": is_manager,
            "page": active,
            "pair_form": MentorshipForm(),
            "promote_form": PromoteForm(),
            "mentor": selectors.mentor_of(user),
            "can_award": user.has_perm(medal_services.AWARD_MEDALS),
        },
    )


@require_POST
@permission_required(roles.MANAGE_OPERATIONS, raise_exception=True)
def mentorship_create(request):
    form = MentorshipForm(request.POST)
    if form.is_valid():
        try:
            mentoring_services.mentorship_create(
                mentor=form.cleaned_data["mentor"],
                apprentice=form.cleaned_data["apprentice"],
                by=request.user,
            )
        except AppError as exc:
            message_error(request, exc)
        else:
            messages.success(request, _("The mentorship was created."))
    else:
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
    return redirect("promotion:mentoring")


@require_POST
@permission_required(roles.MANAGE_OPERATIONS, raise_exception=True)
def mentorship_end(request, pk: int):
    mentorship = get_object_or_404(Mentorship, pk=pk)
    try:
        mentoring_services.mentorship_end(mentorship_id=mentorship.pk, by=request.user)
    except AppError as exc:
        message_error(request, exc)
    else:
        messages.success(request, _("The mentorship was ended."))
    return redirect("promotion:mentoring")


@require_POST
@permission_required(roles.MANAGE_OPERATIONS, raise_exception=True)
def manager_promote(request):
    form = PromoteForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return redirect("promotion:mentoring")
    employee = form.cleaned_data["employee"]
    try:
        event = level_services.employee_promote(
            employee=employee, to_level=employee.level + 1, decided_by=request.user
        )
    except AppError as exc:
        message_error(request, exc)
    else:
        messages.success(
            request,
            _("%(name)s was promoted to level %(level)s.")
            % {"name": employee.name, "level": event.to_level},
        )
    return redirect("promotion:mentoring")


@require_GET
@login_required
def notifications(request):
    page = Paginator(selectors.notifications_of(request.user), PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "promotion/notifications.html",
        {"page": page, "unread": selectors.unread_count(request.user)},
    )


@require_POST
@login_required
def notifications_read(request):
    notification_services.notifications_mark_read(employee=request.user)
    return redirect("promotion:notifications")


def _roster_form(request) -> tuple[RosterFilterForm, rosters.RosterFilters]:
    form = RosterFilterForm(request.GET or None)
    filters = form.filters() if form.is_valid() else rosters.RosterFilters()
    return form, filters


def _refused_export(form: RosterFilterForm) -> HttpResponse | None:
    """An export of bad filters is refused (400 with the form's messages), not silently
    widened to the default roster."""
    if not form.is_bound or form.is_valid():
        return None
    text = "\n".join(
        f"{name}: {message}" for name, messages_ in form.errors.items() for message in messages_
    )
    return HttpResponse(text, status=400, content_type="text/plain; charset=utf-8")


@require_GET
@permission_required(roles.EXPORT_ROSTERS, raise_exception=True)
def roster(request):
    """HR rosters: promoted / demoted / due for re-test / current level, filtered by centre,
    team, period and level; 50 rows per page; CSV and XLSX exports of the same rows."""
    form, filters = _roster_form(request)
    page = Paginator(rosters.roster_queryset(filters), PER_PAGE).get_page(request.GET.get("page"))
    to_row = rosters.RosterRows(filters.event)
    certificates = filters.event == rosters.Event.PROMOTED
    rows = [
        (row, values[0] if certificates else None)
        for row, values in zip(to_row.rows(page), page, strict=True)
    ]
    querystring = urlencode({k: v for k, v in request.GET.items() if k != "page" and v})
    return render(
        request,
        "promotion/roster.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "headers": rosters.roster_headers(filters.event),
            "querystring": querystring,
            "event": filters.event,
        },
    )


def _export_name(filters: rosters.RosterFilters, extension: str) -> str:
    return f"roster-{filters.event}-{timezone.localdate().isoformat()}.{extension}"


@require_GET
@permission_required(roles.EXPORT_ROSTERS, raise_exception=True)
def roster_csv(request):
    form, filters = _roster_form(request)
    if refused := _refused_export(form):
        return refused
    return exports.csv_response(
        rosters.roster_csv_chunks(filters), filename=_export_name(filters, "csv")
    )


@require_GET
@permission_required(roles.EXPORT_ROSTERS, raise_exception=True)
def roster_xlsx(request):
    form, filters = _roster_form(request)
    if refused := _refused_export(form):
        return refused
    return exports.xlsx_response(
        lambda target: rosters.roster_xlsx_write(filters, target),
        filename=_export_name(filters, "xlsx"),
    )


@require_GET
@permission_required(medal_services.AWARD_MEDALS, raise_exception=True)
def medals(request):
    page = Paginator(
        MedalAward.objects.select_related("medal", "employee", "awarded_by"), PER_PAGE
    ).get_page(request.GET.get("page"))
    return render(request, "promotion/medals.html", {"form": MedalAwardForm(), "page": page})


@require_POST
@permission_required(medal_services.AWARD_MEDALS, raise_exception=True)
def medal_award(request):
    form = MedalAwardForm(request.POST)
    if form.is_valid():
        try:
            medal_services.medal_award(
                medal=form.cleaned_data["medal"],
                employee=form.cleaned_data["employee"],
                by=request.user,
                reason=form.cleaned_data["reason"],
            )
        except AppError as exc:
            message_error(request, exc)
        else:
            messages.success(request, _("The medal was awarded."))
    else:
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
    return redirect("promotion:medals")


# --- exam item statistics ------------------------------------------------------------------


def _require_item_stats(user) -> None:
    if not item_stats.can_view_item_stats(user):
        raise PermissionDenied


FORECASTS_PER_PAGE = 50


@require_GET
@login_required
def exam_items(request):
    """The exam item statistics of the test cases (training managers, review committee):
    a table sortable by flag, the scatter of difficulty against discrimination, and one-click
    move proposals for the flagged cases."""
    _require_item_stats(request.user)
    form = ItemStatsFilterForm(request.GET or None)
    filters = form.filters() if form.is_valid() else item_stats.DEFAULT_FILTERS
    report = item_stats.item_report(request.user, **filters)
    page = Paginator(report.rows, PER_PAGE).get_page(request.GET.get("page"))
    querystring = urlencode({k: v for k, v in request.GET.items() if k != "page" and v})
    return render(
        request,
        "promotion/exam_items.html",
        {
            "form": form,
            "report": report,
            "page": page,
            "querystring": querystring,
            "by": filters["by"],
            "chart": item_stats.scatter_chart(report.rows, report.config),
            "medians": sorted(report.medians.items()),
        },
    )


@require_POST
@login_required
def exam_item_propose(request, pk: int):
    """One click from the statistics page: propose the move (a "case_item_move" proposal the
    case category's review experts decide), with the statistics as its evidence."""
    _require_item_stats(request.user)
    form = ItemMoveForm(request.POST)
    if not form.is_valid():
        messages.error(
            request,
            _("Choose a move: one level down, one level up, to the training set or retire."),
        )
        return redirect("promotion:exam_items")
    row = item_stats.item_row(request.user, pk)
    if row is None:
        raise Http404
    reason = _(
        "Exam item statistics: %(flags)s (answers %(n)s, share correct %(p)s, discrimination "
        "%(r)s)."
    ) % {
        "flags": "; ".join(row.flag_labels) or "—",
        "n": row.responses,
        "p": "—" if row.difficulty is None else f"{row.difficulty:.2f}",
        "r": "—" if row.discrimination is None else f"{row.discrimination:.2f}",
    }
    try:
        proposal = case_item_move_propose(
            proposer=request.user,
            case_id=pk,
            action=form.cleaned_data["action"],
            reason=reason,
            evidence=row.evidence(),
        )
    except Case.DoesNotExist:
        raise Http404 from None
    except AppError as exc:
        message_error(request, exc)
        return redirect("promotion:exam_items")
    messages.success(
        request, _("Proposal #%(pk)s was sent to the review experts.") % {"pk": proposal.pk}
    )
    return redirect("review:proposal_detail", proposal.pk)


@require_GET
@login_required
def workforce(request):
    """HR (every centre), a centre's operations manager (the centre) and a team leader (the
    team): level distribution and promotions/demotions per month as charts, re-tests due soon,
    retention risks with their remedial plans, and each employee's promotion forecast (50 a
    page). Bad filters: 400; a centre or team outside the viewer's scope: 403."""
    scope = forecast.workforce_scope(request.user)
    if scope is None:
        raise PermissionDenied
    form = WorkforceFilterForm(request.GET or None)
    status = 200
    narrowed = scope
    if form.is_bound:
        if form.is_valid():
            data = form.cleaned_data
            narrowed = forecast.narrow(
                scope,
                centre_id=data["centre"].pk if data.get("centre") else None,
                team_id=data["team"].pk if data.get("team") else None,
            )
            if narrowed is None:
                raise PermissionDenied
        else:
            status = 400
    numbers = forecast.workforce(narrowed)
    page = Paginator(forecast.employees_in(narrowed), FORECASTS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    querystring = urlencode({k: v for k, v in request.GET.items() if k != "page" and v})
    return render(
        request,
        "promotion/workforce.html",
        {
            "form": form,
            "numbers": numbers,
            "page": page,
            "forecasts": forecast.forecasts(page.object_list),
            "levels_chart": charts.level_columns(numbers.levels),
            "legend_levels": sorted(selectors.levels()),
            "moves_chart": charts.move_columns(numbers.moves),
            "querystring": querystring,
        },
        status=status,
    )
