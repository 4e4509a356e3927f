from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import roles
from config import charts
from config.errors import AppError, form_error, message_error
from config.filtering import filter_list
from config.fragments import fragment
from points import roles as points_roles
from points import selectors, services
from points.filters import PointsHistoryFilter
from points.forms import (
    ClaimForm,
    DecisionReasonForm,
    JudgeForm,
    LeaderboardFilterForm,
    RationalisationForm,
    TopicForm,
    VolunteerUploadForm,
)
from points.models import (
    PointRule,
    PointsSettings,
    QCGroup,
    QCTopic,
    RationalisationProposal,
    VolunteerSheet,
)

PER_PAGE = 50
LEADERBOARD_SIZE = 50


# The history and chart are rendered once per change of the employee's ledger (any entry
# written for them bumps selectors.ledger_version) and reused for this long otherwise (a rule's
# label edited in admin shows within it).
MY_POINTS_CACHE_SECONDS = 300


@require_GET
@permission_required(roles.STUDY, raise_exception=True)
def my_points(request):
    """Balance, filtered and paginated history, and the balance-over-time chart."""
    user = request.user
    params = tuple(
        (name, request.GET.get(name, "")) for name in (*PointsHistoryFilter.base_filters, "page")
    )

    def body() -> str:
        filterset, history = filter_list(
            PointsHistoryFilter, request, selectors.points_history(user)
        )
        page = Paginator(history, PER_PAGE).get_page(request.GET.get("page"))
        querystring = urlencode({k: v for k, v in params if k != "page" and v})
        series = selectors.cumulative_series(user)
        return render_to_string(
            "points/_my_points_body.html",
            {
                # the balance is the series' last running total: one query for both
                "balance": series[-1][1] if series else 0,
                "form": filterset.form,
                "page": page,
                "querystring": querystring,
                "chart": charts.step_line(series, label=_("Points balance over time")),
            },
            request=request,
        )

    html = fragment(
        "my-points",
        (user.pk, selectors.ledger_version(user.pk), params),
        body,
        timeout=MY_POINTS_CACHE_SECONDS,
    )
    return render(request, "points/my_points.html", {"body": html})


@require_GET
@login_required
def leaderboard(request):
    """Top employees of the viewer's centre by points earned in the chosen period."""
    form = LeaderboardFilterForm(request.GET or None)
    period = (form.cleaned_data.get("period") or "all") if form.is_valid() else "all"
    rows = (
        list(
            selectors.leaderboard(
                centre=request.user.centre,
                since=selectors.period_start(period),
                limit=LEADERBOARD_SIZE,
            )
        )
        if request.user.centre_id
        else []
    )
    return render(
        request,
        "points/leaderboard.html",
        {"form": form, "rows": rows, "centre": request.user.centre, "period": period},
    )


@require_GET
@login_required
def hub(request):
    """Proposals & QC: submit a proposal, see one's own, browse topics; managers see the
    proposals waiting for judgement and can publish topics."""
    can_judge = request.user.has_perm(points_roles.JUDGE_PROPOSALS)
    return render(
        request,
        "points/hub.html",
        {
            "form": RationalisationForm(),
            "mine": selectors.rationalisation_proposals_of(proposer=request.user)[:PER_PAGE],
            "topics": selectors.qc_topics()[:PER_PAGE],
            "pending": selectors.rationalisation_pending()[:PER_PAGE] if can_judge else None,
            "can_judge": can_judge,
            "can_manage_topics": request.user.has_perm(points_roles.MANAGE_QC_TOPICS),
        },
    )


@require_POST
@login_required
def proposal_submit(request):
    form = RationalisationForm(request.POST)
    if form.is_valid():
        try:
            proposal = services.rationalisation_submit(proposer=request.user, **form.cleaned_data)
        except AppError as exc:
            message_error(request, exc)
        else:
            messages.success(request, _("Your proposal was submitted."))
            return redirect("points:proposal_detail", pk=proposal.pk)
    else:
        messages.error(request, _("Give a title and a description."))
    return redirect("points:hub")


@require_GET
@login_required
def proposal_detail(request, pk: int):
    proposal = get_object_or_404(
        RationalisationProposal.objects.select_related("proposer", "judged_by"), pk=pk
    )
    can_judge = request.user.has_perm(points_roles.JUDGE_PROPOSALS)
    if proposal.proposer_id != request.user.pk and not can_judge:
        raise PermissionDenied
    rules = {
        r.code: r
        for r in PointRule.objects.filter(
            code__in=[PointRule.RATIONALISATION_REASONABLE, PointRule.RATIONALISATION_FEASIBLE]
        )
    }
    return render(
        request,
        "points/proposal_detail.html",
        {
            "proposal": proposal,
            "form": JudgeForm(),
            "can_judge": can_judge
            and proposal.status == RationalisationProposal.Status.SUBMITTED
            and proposal.proposer_id != request.user.pk,
            "rules": rules.values(),
        },
    )


@require_POST
@permission_required(points_roles.JUDGE_PROPOSALS, raise_exception=True)
def proposal_judge(request, pk: int):
    proposal = get_object_or_404(RationalisationProposal, pk=pk)
    form = JudgeForm(request.POST)
    if not form.is_valid():
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            for error in errors:
                messages.error(request, f"{label}: {error}" if label else error)
        return redirect("points:proposal_detail", pk=proposal.pk)
    try:
        services.rationalisation_judge(
            proposal_id=proposal.pk, judge=request.user, **form.cleaned_data
        )
    except AppError as exc:
        message_error(request, exc)
    else:
        messages.success(request, _("The proposal was judged."))
    return redirect("points:proposal_detail", pk=proposal.pk)


@require_http_methods(["GET", "POST"])
@permission_required(points_roles.MANAGE_QC_TOPICS, raise_exception=True)
def topic_new(request):
    form = TopicForm(
        request.POST or None, initial={"max_groups": 3, "min_group_size": 3, "max_group_size": 5}
    )
    if request.method == "POST" and form.is_valid():
        try:
            topic = services.qc_topic_publish(by=request.user, **form.cleaned_data)
        except AppError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("The topic was published."))
            return redirect("points:topic_detail", pk=topic.pk)
    return render(request, "points/topic_new.html", {"form": form})


@require_GET
@login_required
def topic_detail(request, pk: int):
    topic = get_object_or_404(selectors.qc_topics(), pk=pk)
    groups = list(selectors.qc_groups_of_topic(topic))
    in_a_group = any(m.employee_id == request.user.pk for g in groups for m in g.members.all())
    return render(
        request,
        "points/topic_detail.html",
        {
            "topic": topic,
            "groups": groups,
            "form": ClaimForm(),
            "can_claim": topic.status == QCTopic.Status.OPEN
            and len(groups) < topic.max_groups
            and not in_a_group
            and services.qc_member_eligible(request.user),
            "can_manage": request.user.has_perm(points_roles.MANAGE_QC_TOPICS),
        },
    )


@require_POST
@login_required
def topic_claim(request, pk: int):
    topic = get_object_or_404(QCTopic, pk=pk)
    form = ClaimForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Name the members of your group by staff ID."))
        return redirect("points:topic_detail", pk=topic.pk)
    try:
        services.qc_group_claim(
            topic_id=topic.pk,
            creator=request.user,
            name=form.cleaned_data["name"],
            member_staff_ids=form.cleaned_data["members"],
        )
    except AppError as exc:
        message_error(request, exc)
    else:
        messages.success(request, _("Your group claimed the topic."))
    return redirect("points:topic_detail", pk=topic.pk)


@require_POST
@permission_required(points_roles.MANAGE_QC_TOPICS, raise_exception=True)
def group_complete(request, pk: int):
    group = get_object_or_404(QCGroup, pk=pk)
    try:
        services.qc_group_complete(group_id=group.pk, by=request.user)
    except AppError as exc:
        message_error(request, exc)
    else:
        messages.success(request, _("Completed: every member of the group was paid."))
    return redirect("points:topic_detail", pk=group.topic_id)


@require_http_methods(["GET", "POST"])
@permission_required(points_roles.IMPORT_VOLUNTEER_SHEETS, raise_exception=True)
def volunteer_import(request):
    """Upload a weekly sheet; a bad file shows every line's error and imports nothing."""
    form = VolunteerUploadForm(request.POST or None, request.FILES or None)
    line_errors, status = [], 200
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            sheet = services.volunteer_sheet_import(
                file_name=upload.name, content=upload.read(), imported_by=request.user
            )
        except services.VolunteerSheetRejected as exc:  # every line's error in a table
            line_errors, status = exc.line_errors, 400
        except AppError as exc:
            form_error(form, exc)
            status = 400
        else:
            if sheet.status == VolunteerSheet.Status.PENDING:
                messages.warning(
                    request,
                    _(
                        "Imported %(rows)s rows, %(points)s points: with your sheets of the last 7 "
                        "days that paid without a second manager, above %(threshold)s points in "
                        "total, the sheet pays nothing until another manager confirms it."
                    )
                    % {
                        "rows": sheet.row_count,
                        "points": sheet.total_points,
                        "threshold": PointsSettings.current().sheet_confirmation_threshold,
                    },
                )
            else:
                messages.success(
                    request,
                    _("Imported %(rows)s rows, %(points)s points.")
                    % {"rows": sheet.row_count, "points": sheet.total_points},
                )
            return redirect("points:volunteer_import")
    elif request.method == "POST":
        status = 400
    return render(
        request,
        "points/volunteer_import.html",
        _volunteer_context(request, form=form, line_errors=line_errors),
        status=status,
    )


def _confirm_refusal(sheet: VolunteerSheet, user) -> str:
    """Why ``user`` may not confirm ``sheet`` (the service's message), "" when they may."""
    if sheet.imported_by_id == user.pk:
        return _(services.MSG_SHEET_OWN_IMPORT)
    own = next((row for row in sheet.rows.all() if row.employee_id == user.pk), None)
    return _(services.MSG_SHEET_PAYS_YOU) % {"line": own.line} if own else ""


def _volunteer_context(request, **extra) -> dict:
    max_points = (
        PointRule.objects.filter(code=PointRule.VOLUNTEER_SHEET)
        .values_list("max_amount", flat=True)
        .first()
    )
    return {
        "form": VolunteerUploadForm(),
        "line_errors": [],
        **extra,
        "sheets": VolunteerSheet.objects.select_related("imported_by", "decided_by")[:PER_PAGE],
        "pending": [
            (sheet, _confirm_refusal(sheet, request.user))
            for sheet in selectors.volunteer_sheets_pending()
        ],
        "threshold": PointsSettings.current().sheet_confirmation_threshold,
        "max_points": max_points,
        "reason_form": DecisionReasonForm(),
    }


@require_POST
@permission_required(points_roles.IMPORT_VOLUNTEER_SHEETS, raise_exception=True)
def volunteer_confirm(request, pk: int):
    """A second manager confirms a pending sheet: its rows are paid."""
    sheet = get_object_or_404(VolunteerSheet, pk=pk)
    try:
        services.volunteer_sheet_confirm(sheet_id=sheet.pk, by=request.user)
    except AppError as exc:
        message_error(request, exc)
    else:
        messages.success(
            request,
            _("Sheet #%(id)s confirmed: %(points)s points paid.")
            % {"id": sheet.pk, "points": sheet.total_points},
        )
    return redirect("points:volunteer_import")


@require_POST
@permission_required(points_roles.IMPORT_VOLUNTEER_SHEETS, raise_exception=True)
def volunteer_reject(request, pk: int):
    """Reject a pending sheet with a reason: nothing is paid."""
    sheet = get_object_or_404(VolunteerSheet, pk=pk)
    form = DecisionReasonForm(request.POST)
    try:
        services.volunteer_sheet_reject(
            sheet_id=sheet.pk, by=request.user, reason=form.data.get("reason", "")
        )
    except AppError as exc:
        message_error(request, exc)
    else:
        messages.success(request, _("Sheet #%(id)s rejected: nothing was paid.") % {"id": sheet.pk})
    return redirect("points:volunteer_import")
