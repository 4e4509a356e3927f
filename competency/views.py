from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import roles
from accounts.models import Position
from competency import charts, selectors, services
from competency.filters import ItemFilter
from competency.forms import PILE_CHOICES, QSortRoundCreateForm, QSortSortForm
from competency.models import QSortRound, QSortSubmission
from config.errors import AppError, form_error, message_error
from config.filtering import filter_list

PER_PAGE = 50


def _page(request, queryset):
    page = Paginator(queryset, PER_PAGE).get_page(request.GET.get("page"))
    querystring = request.GET.copy()
    querystring.pop("page", None)
    return page, querystring.urlencode()


@login_required
def dictionary(request):
    """The competency dictionary (KSAO items by module), positions, and my Q-sort invitations."""
    filterset, items = filter_list(ItemFilter, request, selectors.item_list())
    page, querystring = _page(request, items)
    return render(
        request,
        "competency/dictionary.html",
        {
            "form": filterset.form,
            "page": page,
            "querystring": querystring,
            "modules": selectors.module_list(),
            "positions": selectors.position_list(),
            "invitations": selectors.invitations_for(request.user).filter(
                status=QSortRound.Status.OPEN
            ),
        },
    )


@login_required
def position_model(request, code):
    """A position's competency model: items, behavioural indicators, weights and their chart."""
    position = get_object_or_404(Position.objects.select_related("family"), code=code)
    rows = list(selectors.position_model(position))
    published = (
        position.qsort_rounds.filter(status=QSortRound.Status.PUBLISHED)
        .order_by("-published_at")
        .first()
    )
    return render(
        request,
        "competency/position_model.html",
        {
            "position": position,
            "rows": rows,
            "total_weight": sum((r.weight for r in rows), Decimal(0)),
            "chart": charts.weight_bars(
                [(r.item.name, float(r.weight)) for r in rows if r.weight > 0]
            ),
            "published_round": published,
        },
    )


@login_required
def my_invitations(request):
    page, querystring = _page(request, selectors.invitations_for(request.user))
    return render(
        request, "competency/my_invitations.html", {"page": page, "querystring": querystring}
    )


@login_required
def round_sort(request, pk):
    """The rater's page: flat sort into piles, then a strict order inside each pile."""
    round = get_object_or_404(QSortRound.objects.select_related("position"), pk=pk)
    if round.status == QSortRound.Status.DRAFT:
        raise Http404
    if not round.raters.filter(pk=request.user.pk).exists():
        raise PermissionDenied
    items = list(round.items.select_related("module").order_by("module__order", "order", "code"))
    submission = QSortSubmission.objects.filter(round=round, rater=request.user).first()
    initial = submission.placements if submission else None
    form = QSortSortForm(request.POST or None, round=round, items=items, initial_placements=initial)
    if request.method == "POST":
        if form.is_valid():
            try:
                _sub, created = services.qsort_submission_save(
                    round_id=round.pk, rater=request.user, placements=form.placements()
                )
            except AppError as exc:
                form_error(form, exc)
            else:
                messages.success(
                    request,
                    _("Your sort has been saved.") if created else _("Your sort has been updated."),
                )
                return redirect("competency:round_sort", pk=round.pk)
    return render(
        request,
        "competency/round_sort.html",
        {
            "round": round,
            "form": form,
            "submission": submission,
            "piles": PILE_CHOICES,
            "sizes": round.pile_sizes(),
            "is_open": round.status == QSortRound.Status.OPEN,
        },
    )


@permission_required(roles.MANAGE_TRAINING, raise_exception=True)
def round_list(request):
    page, querystring = _page(request, selectors.round_list())
    return render(request, "competency/round_list.html", {"page": page, "querystring": querystring})


@permission_required(roles.MANAGE_TRAINING, raise_exception=True)
def round_create(request):
    form = QSortRoundCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            round = services.qsort_round_create(
                position=data["position"],
                title=data["title"],
                items=data["items"],
                important_count=data["important_count"],
                neutral_count=data["neutral_count"],
                unimportant_count=data["unimportant_count"],
                max_score=data["max_score"],
                raters=data["raters"],
                created_by=request.user,
            )
        except AppError as exc:
            form_error(form, exc)
        else:
            messages.success(
                request, _("The round has been created as a draft. Open it when ready.")
            )
            return redirect("competency:round_detail", pk=round.pk)
    return render(request, "competency/round_form.html", {"form": form})


@permission_required(roles.MANAGE_TRAINING, raise_exception=True)
def round_detail(request, pk):
    """Set-up, raters' progress, the aggregated result with charts, and the state actions."""
    round = get_object_or_404(QSortRound.objects.select_related("position", "created_by"), pk=pk)
    submitted = set(round.submissions.values_list("rater_id", flat=True))
    raters = [(rater, rater.pk in submitted) for rater in round.raters.order_by("staff_id")]
    table = selectors.round_result_table(round)
    items = list(round.items.select_related("module").order_by("module__order", "order", "code"))
    return render(
        request,
        "competency/round_detail.html",
        {
            "round": round,
            "items": items,
            "half_width": round.score_half_width(len(items)),
            "raters": raters,
            "submitted_count": len(submitted),
            "table": table,
            "weights_chart": charts.weight_bars(
                [(r["item"].name, float(r["weight"])) for r in table]
            ),
            "distribution_chart": charts.distribution((round.result or {}).get("columns", [])),
            "events": round.events.select_related("actor"),
        },
    )


def _transition(request, pk, service, success_message):
    get_object_or_404(QSortRound, pk=pk)
    try:
        service(round_id=pk, actor=request.user)
    except AppError as exc:
        message_error(request, exc)
    else:
        messages.success(request, success_message)
    return redirect("competency:round_detail", pk=pk)


@permission_required(roles.MANAGE_TRAINING, raise_exception=True)
@require_POST
def round_open(request, pk):
    return _transition(
        request, pk, services.qsort_round_open, _("The round is open; the raters can sort now.")
    )


@permission_required(roles.MANAGE_TRAINING, raise_exception=True)
@require_POST
def round_close(request, pk):
    return _transition(
        request,
        pk,
        services.qsort_round_close,
        _("The round is closed and the rankings aggregated."),
    )


@permission_required(roles.MANAGE_TRAINING, raise_exception=True)
@require_POST
def round_publish(request, pk):
    return _transition(
        request,
        pk,
        services.qsort_round_publish,
        _("The weights have been published to the position competency model."),
    )
