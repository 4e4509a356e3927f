"""Calibration rounds: known-answer items in the committee members' queues.

A training or operations manager picks a proposal the committee already decided (applied or
rejected) and chosen active members; each of them finds it in their review queue looking
like any open proposal (no votes yet, shown since the round began, the same page, the same
vote form and the same messages). Their answer is stored on their CalibrationAssignment —
never as a Vote — so the real engine's rules are untouched: the proposal stays decided,
nothing is applied, nobody is paid or notified, and proposal_vote's exactly-once counting
never sees these answers. The web and API vote entry points ask item_for() first and
route an answer here (item_for, calibration_answer).

The calibration page shows managers who matched the committee's original decision; a member
sees only their own answered items (pending ones are never listed: that would give them away).
"""

import copy
from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts import roles
from config import charts
from config.charts import Chart
from review import registry
from review.models import (
    CalibrationAssignment,
    CalibrationRound,
    CommitteeMembership,
    Proposal,
    Recusal,
    ReviewEvent,
    Vote,
)
from review.selectors import is_committee_member

EXPECTED = {
    Proposal.Status.APPLIED: Vote.Decision.APPROVE,
    Proposal.Status.REJECTED: Vote.Decision.REJECT,
}

MSG_MANAGERS_ONLY = gettext_noop("Only training and operations managers run calibration rounds.")
MSG_NOT_DECIDED = gettext_noop("Choose a proposal the committee applied or rejected.")
MSG_NO_MEMBERS = gettext_noop("Choose at least one committee member.")
MSG_MEMBERS_REFUSED = gettext_noop(
    "These employees cannot take this item: %(names)s (not an active member, the "
    "proposer, a voter or recused on it, yourself, or already given it)."
)


def may_manage(user) -> bool:
    """Training managers and operations managers create rounds and see every answer."""
    return bool(
        user
        and user.is_authenticated
        and user.is_active
        and (user.has_perm(roles.MANAGE_TRAINING) or user.has_perm(roles.MANAGE_OPERATIONS))
    )


def expert_panel_as_new(proposal: Proposal):
    """The review experts who would decide ``proposal`` were it submitted now with no votes
    (review.selectors.panel_for), or None when any member would."""
    from review.models import ReviewSettings
    from review.selectors import expert_index, panel_for

    if proposal.category_type_id is None:
        return None
    return panel_for(
        category_type_id=proposal.category_type_id,
        category_id=proposal.category_id,
        proposer_id=proposal.proposer_id,
        recused=Recusal.objects.filter(proposal=proposal).values_list("employee_id", flat=True),
        voted=(),
        index=expert_index(),
        required=ReviewSettings.current().approvals_required,
    )


def eligible_members(proposal: Proposal, *, created_by) -> QuerySet:
    """Active committee members who may take ``proposal`` as a calibration item: not its
    proposer, not one of its voters, not recused from it, not the manager creating the round,
    not given it before, and — when review experts would decide it (expert_panel_as_new) —
    one of them: a member never sees in their queue a proposal they could not vote on."""
    from django.contrib.auth import get_user_model

    panel = expert_panel_as_new(proposal)
    users = (
        get_user_model().objects.filter(pk__in=panel.members) if panel else get_user_model().objects
    )
    return (
        users.filter(
            Exists(CommitteeMembership.objects.filter(member=OuterRef("pk"), active=True)),
            is_active=True,
        )
        .exclude(pk__in=[proposal.proposer_id, created_by.pk])
        .exclude(Exists(Vote.objects.filter(proposal=proposal, reviewer=OuterRef("pk"))))
        .exclude(Exists(Recusal.objects.filter(proposal=proposal, employee=OuterRef("pk"))))
        .exclude(
            Exists(CalibrationAssignment.objects.filter(proposal=proposal, member=OuterRef("pk")))
        )
        .order_by("staff_id")
    )


def decided_proposals() -> QuerySet[Proposal]:
    """The proposals a round can use, newest decision first."""
    return (
        Proposal.objects.filter(status__in=list(EXPECTED))
        .select_related("proposer")
        .order_by("-decided_at", "-pk")
    )


@transaction.atomic
def calibration_round_create(
    *, proposal_id: int, members, created_by, note: str = ""
) -> CalibrationRound:
    """Start a round: ``proposal_id`` must be applied or rejected (ReviewError on "proposal"),
    every member eligible (eligible_members; ReviewError on "members" naming the others).
    Raises ReviewPermissionDenied for anyone but a training or operations manager."""
    from review.services import ReviewError, ReviewPermissionDenied

    if not may_manage(created_by):
        raise ReviewPermissionDenied(_(MSG_MANAGERS_ONLY))
    proposal = Proposal.objects.filter(pk=proposal_id, status__in=list(EXPECTED)).first()
    if proposal is None:
        raise ReviewError(_(MSG_NOT_DECIDED), field="proposal")
    members = list({m.pk: m for m in members}.values())
    if not members:
        raise ReviewError(_(MSG_NO_MEMBERS), field="members")
    allowed = set(
        eligible_members(proposal, created_by=created_by)
        .filter(pk__in=[m.pk for m in members])
        .values_list("pk", flat=True)
    )
    refused = sorted(m.name for m in members if m.pk not in allowed)
    if refused:
        raise ReviewError(_(MSG_MEMBERS_REFUSED) % {"names": "、".join(refused)}, field="members")
    calibration = CalibrationRound.objects.create(
        proposal=proposal,
        expected=EXPECTED[proposal.status],
        created_by=created_by,
        note=(note or "").strip()[:200],
    )
    try:
        with transaction.atomic():
            CalibrationAssignment.objects.bulk_create(
                [
                    CalibrationAssignment(round=calibration, proposal=proposal, member=m)
                    for m in sorted(members, key=lambda m: m.pk)
                ]
            )
    except IntegrityError:  # a concurrent round gave one of them the same proposal
        from review.services import ReviewConflict

        raise ReviewConflict(
            _(MSG_MEMBERS_REFUSED) % {"names": ""}, code="calibration_exists"
        ) from None
    return calibration


def item_for(*, proposal_id: int, member) -> CalibrationAssignment | None:
    """``member``'s calibration item on ``proposal_id``, answered or not (one query), or
    None. For them the proposal stays the calibration copy even once answered: a second
    answer is "already voted", never the real proposal's "no longer open"."""
    if not (member and member.is_authenticated):
        return None
    return (
        CalibrationAssignment.objects.filter(proposal_id=proposal_id, member=member)
        .select_related("round", "member")
        .first()
    )


def _refuse_save(*args, **kwargs):
    raise RuntimeError("A calibration item's proposal copy is never saved.")


def as_open(assignment: CalibrationAssignment, proposal: Proposal | None = None) -> Proposal:
    """A copy of the decided proposal as the member's queue and page show it: open, no votes,
    submitted when the item was given to them. The copy refuses to be saved."""
    shown = copy.copy(proposal or assignment.proposal)
    shown.status = Proposal.Status.OPEN
    shown.decided_at = None
    shown.applied_version = None
    shown.created_at = assignment.created_at
    shown.approvals = shown.rejections = 0
    shown.save = _refuse_save
    return shown


def queue_items(*, reviewer) -> list[Proposal]:
    """``reviewer``'s pending calibration items as open-looking proposals (one query)."""
    if not (reviewer and reviewer.is_authenticated):
        return []
    items = CalibrationAssignment.objects.filter(
        member=reviewer, answered_at__isnull=True
    ).select_related("proposal__proposer", "proposal__target_type")
    return [as_open(item) for item in items]


def page_context(assignment: CalibrationAssignment) -> dict[str, Any]:
    """What the proposal page shows for a calibration item: an open proposal with no votes
    but the member's own once answered, and its "created" (and "voted") events — unsaved
    rows, dated when the item was given and answered."""
    shown = as_open(assignment)
    created = ReviewEvent(kind=ReviewEvent.Kind.CREATED, actor=shown.proposer, proposal=shown)
    created.created_at = assignment.created_at
    panel = expert_panel_as_new(assignment.proposal)
    context = {
        "proposal": shown,
        "votes": [],
        "counts": {"approve": 0, "reject": 0},
        "events": [created],
        "can_vote": assignment.answered_at is None,
        "panel_category": panel.category if panel else None,
    }
    if assignment.answered_at is not None:
        voted = ReviewEvent(kind=ReviewEvent.Kind.VOTED, actor=assignment.member, proposal=shown)
        voted.created_at = assignment.answered_at
        context["votes"], context["events"] = [as_vote(assignment)], [created, voted]
        context["counts"][assignment.decision] = 1
    return context


def _clean_extra(proposal: Proposal, *, decision: str, extra) -> dict[str, Any]:
    """The kind's approval fields, validated by its vote form like a real vote's."""
    from review.services import VoteExtraInvalid

    kind = registry.kinds().get(proposal.kind)
    if kind is None or kind.vote_form is None or decision != Vote.Decision.APPROVE:
        return {}
    form = kind.vote_form(data=extra if isinstance(extra, dict) else {}, proposal=proposal)
    if not form.is_valid():
        errors = {name: [str(m) for m in messages] for name, messages in form.errors.items()}
        raise VoteExtraInvalid(
            errors,
            " ".join(
                f"{form.fields[name].label}: {message}" if name in form.fields else message
                for name, messages in errors.items()
                for message in messages
            ),
        )
    return {
        name: value
        for name, value in form.cleaned_data.items()
        if value is not None and value != "" and isinstance(value, str | int | float | bool)
    }


@transaction.atomic
def calibration_answer(
    *,
    assignment_id: int,
    member,
    decision: str,
    comment: str = "",
    extra: dict[str, Any] | None = None,
) -> CalibrationAssignment:
    """Record ``member``'s answer to their calibration item with the real vote's checks and
    messages (decision, comment on a rejection, the kind's approval fields, active member,
    once). Writes the assignment row only: no Vote, no event, no apply, no points."""
    from review.services import (
        MSG_ALREADY_VOTED,
        MSG_NOT_MEMBER,
        ReviewConflict,
        ReviewError,
        ReviewPermissionDenied,
    )

    if decision not in Vote.Decision.values:
        raise ReviewError(_("Choose approve or reject."), field="decision")
    assignment = (
        CalibrationAssignment.objects.select_for_update(of=("self",))
        .select_related("proposal")
        .get(pk=assignment_id, member=member)
    )
    if assignment.answered_at is not None:
        raise ReviewConflict(_(MSG_ALREADY_VOTED), code="already_voted")
    if not is_committee_member(member):
        raise ReviewPermissionDenied(_(MSG_NOT_MEMBER))
    if decision == Vote.Decision.REJECT and not (comment or "").strip():
        raise ReviewError(_("Say why you reject the proposal."), field="comment")
    assignment.extra = _clean_extra(as_open(assignment), decision=decision, extra=extra)
    assignment.decision = decision
    assignment.comment = (comment or "").strip()
    assignment.answered_at = timezone.now()
    CalibrationAssignment.objects.filter(pk=assignment.pk).update(
        decision=assignment.decision,
        comment=assignment.comment,
        extra=assignment.extra,
        answered_at=assignment.answered_at,
    )
    return assignment


def as_vote(assignment: CalibrationAssignment) -> Vote:
    """The answer shaped like the vote the API returns for a real vote (unsaved)."""
    vote = Vote(
        proposal=as_open(assignment),
        reviewer=assignment.member,
        decision=assignment.decision,
        comment=assignment.comment,
        extra=assignment.extra,
    )
    vote.created_at = assignment.answered_at
    return vote


# --- results --------------------------------------------------------------------------


def rounds() -> QuerySet[CalibrationRound]:
    """Every round with its counts (managers' page), newest first."""
    return (
        CalibrationRound.objects.select_related("proposal__proposer", "created_by")
        .annotate(
            shown=Count("assignments"),
            answered=Count("assignments", filter=Q(assignments__answered_at__isnull=False)),
            matched=Count(
                "assignments",
                filter=Q(
                    assignments__answered_at__isnull=False, assignments__decision=F("expected")
                ),
            ),
        )
        .order_by("-created_at", "-pk")
    )


def matched_chart(rounds: Iterable[CalibrationRound]) -> Chart | None:
    """The calibration page's chart: per round of ``rounds`` (annotated by rounds()) with an
    answer, the share of the answers that matched the committee's decision, on a 0–100 %
    axis; None when no round has an answer."""
    rows = [
        (f"#{r.pk} · {r.get_expected_display()}", r.matched / r.answered)
        for r in rounds
        if r.answered
    ]
    return charts.horizontal_bars(
        rows, label=_("Share of answers that matched the committee's decision"), top=1
    )


def rounds_with_items() -> QuerySet[CalibrationRound]:
    """rounds() with their items and members prefetched (two more queries in all)."""
    return rounds().prefetch_related(
        Prefetch(
            "assignments", queryset=CalibrationAssignment.objects.select_related("member", "round")
        )
    )


def round_items(calibration: CalibrationRound) -> QuerySet[CalibrationAssignment]:
    return calibration.assignments.select_related("member", "round").order_by("member__staff_id")


def my_answers(member) -> QuerySet[CalibrationAssignment]:
    """``member``'s ANSWERED items only, newest first."""
    return (
        CalibrationAssignment.objects.filter(member=member, answered_at__isnull=False)
        .select_related("round", "proposal")
        .order_by("-answered_at", "-pk")
    )
