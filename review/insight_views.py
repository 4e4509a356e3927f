"""Pages of the reviewer insights (operations managers) and of the calibration rounds
(training and operations managers; a member sees their own answered items)."""

from datetime import date
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from config.errors import AppError, form_error
from review import calibration, insights
from review.forms import CalibrationRoundForm, FlagReversalForm, InsightsPeriodForm
from review.models import ReviewSettings

PER_PAGE = 50


def _require_insights(request) -> None:
    if not insights.may_see_insights(request.user):
        raise PermissionDenied


def _period(request):
    """(form, period, query) of the insights' period in the URL (?date_from=&date_to=, on a
    flag page's POST too): the default period when none or a refused one is chosen (the form
    then carries the error); ``query`` names the period shown, for the links between the
    insights page and its flag pages."""
    form = InsightsPeriodForm(request.GET or None)
    period = form.period()
    query = urlencode({"date_from": period.start.isoformat(), "date_to": period.end.isoformat()})
    return form, period, query


def _refused(form) -> bool:
    return form.is_bound and not form.is_valid()


@require_GET
@login_required
def insights_page(request):
    """Every member's figures, the agreement-vs-approval chart and the flags, of the votes in
    one period (?date_from=&date_to=, the last 90 days unless chosen)."""
    _require_insights(request)
    config = ReviewSettings.current()
    form, period, query = _period(request)  # the default one when the chosen one is refused
    window = {"since": period.since, "until": period.until}
    figures = insights.member_figures(**window)
    return render(
        request,
        "review/insights.html",
        {
            "form": form,
            "period": period,
            "period_query": query,
            "figures": figures,
            "chart": insights.agreement_chart(figures),
            "config": config,
            "reciprocal": insights.reciprocal_flags(config=config, **window),
            "serial": insights.serial_flags(config=config, **window),
        },
        status=400 if _refused(form) else 200,
    )


def _flag_page(
    request, *, votes, title: str, flagged: bool, period_of, status: int = 200, form=None
):
    period_form, period, query = period_of
    votes = list(votes)
    return render(
        request,
        "review/insight_flag.html",
        {
            "title": title,
            "votes": votes,
            "entries": insights.flag_entries(votes),
            "flagged": flagged,
            "form": form or FlagReversalForm(),
            "period_form": period_form,
            "period": period,
            "period_query": query,
        },
        status=400 if _refused(period_form) else status,
    )


def _flag_answer(request, *, votes, title, flagged, period_of, url):
    """A flag's page (GET), or the reversal it asks for (POST): back to the page ``url`` in the
    same period, or the page again with the form's errors."""

    def page(form=None, status=200):
        return _flag_page(
            request,
            votes=votes,
            title=title,
            flagged=flagged,
            period_of=period_of,
            form=form,
            status=status,
        )

    if request.method == "POST":
        response = _reverse(request, votes=votes, render_page=page, period_form=period_of[0])
        return response or redirect(f"{url}?{period_of[2]}")
    return page()


def _reverse(request, *, votes, render_page, period_form):
    """POST of a flag page: the entry must be one of the flag's in the period shown (a refused
    period reverses nothing); the ledger reverses it."""
    form = FlagReversalForm(request.POST)
    if _refused(period_form) or not form.is_valid():
        return render_page(form=form, status=400)
    entries = {e.pk for e in insights.flag_entries(list(votes))}
    if form.cleaned_data["entry"] not in entries:
        form.add_error("entry", _("This entry is not one of this flag's."))
        return render_page(form=form, status=400)
    try:
        insights.flag_points_reverse(
            entry_id=form.cleaned_data["entry"], by=request.user, reason=form.cleaned_data["reason"]
        )
    except AppError as exc:
        form_error(form, exc)
        return render_page(form=form, status=exc.status_code)
    messages.success(request, _("The reversal was recorded in the points ledger."))
    return None


@require_http_methods(["GET", "POST"])
@login_required
def pair_flag(request, first: int, second: int):
    """The votes two employees cast on each other's proposals and the points paid for them."""
    _require_insights(request)
    users = get_user_model().objects.in_bulk([first, second])
    if first == second or len(users) != 2:
        raise Http404
    period_of = _period(request)
    window = {"since": period_of[1].since, "until": period_of[1].until}
    votes = insights.pair_votes(first_id=first, second_id=second, **window)
    flagged = any(
        {f.first.pk, f.second.pk} == {first, second} for f in insights.reciprocal_flags(**window)
    )
    title = _("Reciprocal approvals: %(a)s and %(b)s") % {
        "a": users[first].name,
        "b": users[second].name,
    }

    url = reverse("review:insights_pair", kwargs={"first": first, "second": second})
    return _flag_answer(
        request, votes=votes, title=title, flagged=flagged, period_of=period_of, url=url
    )


@require_http_methods(["GET", "POST"])
@login_required
def serial_flag(request, member: int, proposer: int, day: str):
    """One member's votes on one proposer's proposals on one local day."""
    _require_insights(request)
    try:
        day_value = date.fromisoformat(day)
    except ValueError:
        raise Http404 from None
    users = get_user_model().objects.in_bulk([member, proposer])
    if len(users) != 2:
        raise Http404
    period_of = _period(request)
    window = {"since": period_of[1].since, "until": period_of[1].until}
    votes = insights.serial_votes(member_id=member, proposer_id=proposer, day=day_value, **window)
    flagged = any(
        f.member.pk == member and f.proposer.pk == proposer and f.day == day_value
        for f in insights.serial_flags(**window)
    )
    title = _("Serial voting: %(member)s on %(proposer)s's proposals, %(day)s") % {
        "member": users[member].name,
        "proposer": users[proposer].name,
        "day": day_value.isoformat(),
    }

    url = reverse(
        "review:insights_serial", kwargs={"member": member, "proposer": proposer, "day": day}
    )
    return _flag_answer(
        request, votes=votes, title=title, flagged=flagged, period_of=period_of, url=url
    )


# --- calibration ------------------------------------------------------------------------


def _calibration_page(request, form, status: int = 200):
    manager = calibration.may_manage(request.user)
    context = {
        "manager": manager,
        "form": form,
        "mine": calibration.my_answers(request.user)[:PER_PAGE],
    }
    if manager:
        page = Paginator(calibration.rounds(), PER_PAGE).get_page(request.GET.get("page"))
        context.update(
            page=page,
            rounds=page,
            decided=calibration.decided_proposals()[:20],
            chart=calibration.matched_chart(page),
        )
    return render(request, "review/calibration.html", context, status=status)


@require_http_methods(["GET", "POST"])
@login_required
def calibration_page(request):
    """Managers: start a round and see every round's results. Everyone else: their own
    answered calibration items (never the pending ones)."""
    manager = calibration.may_manage(request.user)
    if request.method == "GET":
        return _calibration_page(request, CalibrationRoundForm() if manager else None)
    if not manager:
        raise PermissionDenied
    form = CalibrationRoundForm(request.POST)
    if not form.is_valid():
        return _calibration_page(request, form, status=400)
    try:
        created = calibration.calibration_round_create(
            proposal_id=form.cleaned_data["proposal"],
            members=form.cleaned_data["members"],
            created_by=request.user,
            note=form.cleaned_data["note"],
        )
    except AppError as exc:
        form_error(form, exc)
        return _calibration_page(request, form, status=exc.status_code)
    messages.success(request, _("The calibration round was started."))
    return redirect("review:calibration_round", pk=created.pk)


@require_GET
@login_required
def calibration_round(request, pk: int):
    if not calibration.may_manage(request.user):
        raise PermissionDenied
    item = get_object_or_404(calibration.rounds(), pk=pk)
    return render(
        request,
        "review/calibration_round.html",
        {"round": item, "items": calibration.round_items(item)},
    )
