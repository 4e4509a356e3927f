from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts import roles
from accounts.rules import allowed
from config.errors import AppError, form_error, message_error
from review import calibration, registry, services
from review import rules as review_rules
from review.forms import ApplicationForm, AppointForm, ExpertiseForm, VoteForm
from review.models import (
    CommitteeApplication,
    CommitteeMembership,
    Proposal,
    ReviewExpertise,
    ReviewSettings,
)
from review.selectors import (
    active_members,
    can_vote,
    committee_eligibility,
    expert_panel,
    experts_list,
    is_committee_member,
    is_recused,
    panel_admits,
    pending_applications,
    review_queue,
)

PER_PAGE = 50


def _describe(proposal: Proposal) -> dict:
    kind = registry.kinds().get(proposal.kind)
    return {
        "proposal": proposal,
        "label": kind.label if kind else proposal.kind,
        "target": kind.describe(proposal) if kind else "",
    }


@require_GET
@permission_required(roles.REVIEW, raise_exception=True)
def queue(request):
    """Open proposals the committee member may still vote on: those of their expert
    categories first, then those any member decides (review.selectors.review_queue)."""
    page = Paginator(review_queue(reviewer=request.user), PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "review/queue.html",
        {
            "page": page,
            "rows": [_describe(p) for p in page],
            "is_member": is_committee_member(request.user),
            "config": ReviewSettings.current(),
        },
    )


def _visible_proposal(request, pk: int) -> Proposal:
    """The proposal for its proposer, committee pages (accounts.review) and the employees
    recused from it (e.g. the contributors a quality-case application would reward)."""
    proposal = get_object_or_404(Proposal.objects.select_related("proposer"), pk=pk)
    if not allowed(review_rules.VIEW_PROPOSAL, request.user, proposal):
        raise PermissionDenied
    return proposal


def _calibration_context(request, proposal: Proposal, item, *, form=None, extra_form=None) -> dict:
    """A calibration item (review.calibration) as any open proposal looks: no votes but the
    member's own once answered, the vote form, the decided proposal's own diff; nothing
    reveals the item."""
    kind = registry.kinds().get(proposal.kind)
    shown = calibration.page_context(item)
    if extra_form is None and kind and kind.vote_form and shown["can_vote"]:
        extra_form = kind.vote_form(proposal=shown["proposal"])
    return {
        **_describe(shown["proposal"]),
        **shown,
        "diff": kind.render_diff(proposal) if kind else "",
        "rebase_url": None,
        "config": ReviewSettings.current(),
        "form": form or VoteForm(),
        "recused": False,
        "my_vote": shown["votes"][0] if shown["votes"] else None,
        "not_expert": False,
        "extra_form": extra_form if shown["can_vote"] else None,
    }


def _detail_context(
    request, proposal: Proposal, *, form=None, extra_form=None, viewed: bool = True
) -> dict:
    """What the proposal page and the htmx vote answer show; a member's calibration item
    on this proposal shows as the calibration copy (_calibration_context)."""
    item = calibration.item_for(proposal_id=proposal.pk, member=request.user)
    if item is not None:
        return _calibration_context(request, proposal, item, form=form, extra_form=extra_form)
    kind = registry.kinds().get(proposal.kind)
    votes = list(proposal.votes.select_related("reviewer"))
    may_vote = can_vote(proposal, request.user)
    panel = expert_panel(proposal) if proposal.is_open else None
    if extra_form is None and kind and kind.vote_form and may_vote:
        extra_form = kind.vote_form(proposal=proposal)
    if viewed and kind is not None and kind.on_viewed is not None:
        kind.on_viewed(proposal, request.user)
    return {
        **_describe(proposal),
        "votes": votes,
        "counts": proposal.vote_counts(),
        "config": ReviewSettings.current(),
        "form": form or VoteForm(),
        "can_vote": may_vote,
        "my_vote": next((v for v in votes if v.reviewer_id == request.user.pk), None),
        "recused": proposal.is_open and is_recused(proposal, request.user),
        "panel_category": panel.category if panel else None,
        "not_expert": not panel_admits(panel, request.user),
        "extra_form": extra_form if may_vote else None,
        "diff": kind.render_diff(proposal) if kind else "",
        "rebase_url": kind.rebase_url(proposal)
        if kind and review_rules.is_proposer.test(request.user, proposal)
        else None,
        "events": proposal.events.select_related("actor").order_by("created_at", "pk"),
    }


def _detail_page(request, proposal: Proposal, *, form=None, extra_form=None, status: int = 200):
    return render(
        request,
        "review/proposal_detail.html",
        _detail_context(request, proposal, form=form, extra_form=extra_form),
        status=status,
    )


def _vote_answer(
    request,
    proposal: Proposal,
    *,
    form=None,
    extra_form=None,
    status: int = 200,
    flash: tuple[str, str] | None = None,
    error: str = "",
):
    """The htmx answer to a vote: the vote box (the form again with its errors, the refusal,
    or the vote just cast), the feedback for the page's live region and the proposal's
    status, count and votes; a refusal keeps its 4xx status."""
    proposal.refresh_from_db()
    return render(
        request,
        "review/_vote_answer.html",
        {
            **_detail_context(request, proposal, form=form, extra_form=extra_form, viewed=False),
            "flash": [flash] if flash else [],
            "vote_error": error,
        },
        status=status,
    )


@require_GET
@login_required
def proposal_detail(request, pk: int):
    return _detail_page(request, _visible_proposal(request, pk))


@require_POST
@login_required
def proposal_vote_view(request, pk: int):
    """Record the vote; refused approval fields (e.g. points outside the rule's range) show
    as errors on the form, re-rendered with what the member typed. Without JavaScript the
    member goes back to the queue (PRG); with htmx the vote box is updated in place."""
    proposal = _visible_proposal(request, pk)
    form = VoteForm(request.POST)
    if not form.is_valid():
        if request.htmx:
            return _vote_answer(
                request, proposal, form=form, status=400, error=_("Choose approve or reject.")
            )
        messages.error(request, _("Choose approve or reject."))
        return redirect("review:proposal_detail", pk=proposal.pk)
    kind = registry.kinds().get(proposal.kind)
    extra = None
    if kind is not None and kind.vote_form is not None:
        fields = kind.vote_form(proposal=proposal).fields
        extra = {name: request.POST.get(name) for name in fields if name in request.POST}
    item = calibration.item_for(proposal_id=proposal.pk, member=request.user)
    try:
        if item is not None:  # a known-answer item: recorded on the item, nothing else changes
            calibration.calibration_answer(
                assignment_id=item.pk,
                member=request.user,
                decision=form.cleaned_data["decision"],
                comment=form.cleaned_data["comment"],
                extra=extra,
            )
        else:
            services.proposal_vote(
                proposal_id=proposal.pk,
                reviewer=request.user,
                decision=form.cleaned_data["decision"],
                comment=form.cleaned_data["comment"],
                extra=extra,
            )
    except services.VoteExtraInvalid:
        extra_form = kind.vote_form(data=extra, proposal=proposal)
        if request.htmx:
            return _vote_answer(request, proposal, form=form, extra_form=extra_form, status=400)
        return _detail_page(request, proposal, form=form, extra_form=extra_form, status=400)
    except services.ReviewPermissionDenied as exc:
        # The proposal page again, 403, with the reason (not a member, recused, not one of
        # the category's review experts) instead of the bare permission page.
        if request.htmx:
            return _vote_answer(request, proposal, form=form, status=403, error=exc.message)
        messages.error(request, exc.message)
        return _detail_page(request, proposal, form=form, status=403)
    except AppError as exc:
        if request.htmx and not isinstance(exc, Http404 | PermissionDenied):
            return _vote_answer(
                request, proposal, form=form, status=exc.status_code, error=exc.message
            )
        message_error(request, exc)
        return redirect("review:proposal_detail", pk=proposal.pk)
    if request.htmx:
        return _vote_answer(request, proposal, flash=("success", _("Your vote was recorded.")))
    messages.success(request, _("Your vote was recorded."))
    return redirect("review:queue")


@require_POST
@login_required
def proposal_withdraw_view(request, pk: int):
    proposal = get_object_or_404(Proposal, pk=pk, proposer=request.user)
    try:
        services.proposal_withdraw(proposal_id=proposal.pk, user=request.user)
    except AppError as exc:
        message_error(request, exc)
    else:
        messages.success(request, _("The proposal was withdrawn."))
    return redirect("review:proposal_detail", pk=proposal.pk)


@require_GET
@login_required
def committee(request):
    """Members and pending applications (each links to the proposal the committee votes on);
    the apply button (with the pass rate) for employees, the appoint form for operations
    managers."""
    user = request.user
    eligibility = committee_eligibility(user)
    members = Paginator(active_members(), PER_PAGE).get_page(request.GET.get("page"))
    sees_applications = user.has_perm(roles.REVIEW)
    return render(
        request,
        "review/committee.html",
        {
            "members": members,
            "page": members,
            "eligibility": eligibility,
            "is_member": CommitteeMembership.objects.filter(member=user, active=True).exists(),
            "my_pending": (
                CommitteeApplication.objects.filter(
                    applicant=user, status=CommitteeApplication.Status.PENDING
                )
                .select_related("proposal")
                .first()
            ),
            "applications": list(pending_applications()[:PER_PAGE]) if sees_applications else [],
            "sees_applications": sees_applications,
            "config": ReviewSettings.current(),
            "can_appoint": user.has_perm(roles.MANAGE_OPERATIONS),
            "apply_form": ApplicationForm(),
            "appoint_form": AppointForm(),
        },
    )


@require_POST
@login_required
def committee_apply(request):
    form = ApplicationForm(request.POST)
    form.is_valid()
    try:
        services.committee_application_submit(
            applicant=request.user, statement=form.cleaned_data.get("statement", "")
        )
    except AppError as exc:
        message_error(request, exc)
    else:
        messages.success(request, _("Your application was sent to the committee."))
    return redirect("review:committee")


@require_POST
@permission_required(roles.MANAGE_OPERATIONS, raise_exception=True)
def committee_appoint(request):
    form = AppointForm(request.POST)
    if not form.is_valid():
        for error in form.errors.get("staff_id", []):
            messages.error(request, error)
        return redirect("review:committee")
    try:
        services.committee_member_appoint(
            member=form.cleaned_data["staff_id"], appointed_by=request.user
        )
    except AppError as exc:
        message_error(request, exc)
    else:
        messages.success(
            request,
            _("%(name)s joined the committee.") % {"name": form.cleaned_data["staff_id"].name},
        )
    return redirect("review:committee")


@require_POST
@permission_required(roles.MANAGE_OPERATIONS, raise_exception=True)
def committee_remove(request, pk: int):
    membership = get_object_or_404(CommitteeMembership, pk=pk, active=True)
    services.committee_member_remove(membership_id=membership.pk, removed_by=request.user)
    messages.success(request, _("%(name)s left the committee.") % {"name": membership.member.name})
    return redirect("review:committee")


# --- review experts ----------------------------------------------------------------------


@require_GET
@permission_required(roles.MANAGE_TRAINING, raise_exception=True)
def experts(request):
    """Training managers: who is a review expert of which category, the assign form and a
    remove button per assignment."""
    return _experts_page(request, ExpertiseForm())


def _experts_page(request, form, status: int = 200):
    rows = Paginator(experts_list(), PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "review/experts.html",
        {"form": form, "page": rows, "rows": rows, "config": ReviewSettings.current()},
        status=status,
    )


@require_POST
@permission_required(roles.MANAGE_TRAINING, raise_exception=True)
def experts_assign(request):
    form = ExpertiseForm(request.POST)
    if not form.is_valid():
        return _experts_page(request, form, status=400)
    member, category = form.cleaned_data["staff_id"], form.cleaned_data["category"]
    try:
        services.expertise_assign(member=member, category=category, assigned_by=request.user)
    except AppError as exc:
        form_error(form, exc)
        return _experts_page(request, form, status=exc.status_code)
    messages.success(
        request,
        _("%(name)s is now a review expert of “%(category)s”.")
        % {"name": member.name, "category": category},
    )
    return redirect("review:experts")


@require_POST
@permission_required(roles.MANAGE_TRAINING, raise_exception=True)
def experts_remove(request, pk: int):
    expertise = get_object_or_404(ReviewExpertise.objects.select_related("member"), pk=pk)
    try:
        services.expertise_remove(expertise_id=expertise.pk, removed_by=request.user)
    except AppError as exc:
        message_error(request, exc)
    else:
        messages.success(
            request,
            _("%(name)s is no longer a review expert of “%(category)s”.")
            % {"name": expertise.member.name, "category": expertise.category},
        )
    return redirect("review:experts")
