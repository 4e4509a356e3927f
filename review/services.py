"""Writes of the review engine. Every state change writes a ReviewEvent through review_event_record."""

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts import roles
from accounts.roles import Role
from review import registry
from review.models import (
    CommitteeApplication,
    CommitteeMembership,
    Proposal,
    ReviewEvent,
    ReviewSettings,
    Vote,
)
from review.selectors import committee_eligibility, is_committee_member


class ReviewError(Exception):
    """A rule of the review engine refused the action (HTTP 400 / form error). ``field``
    names the input field the message is about (the API answers {field: [message]}), or None."""

    field: str | None = None


class ReviewPermissionDenied(ReviewError):
    """The user may not do this (HTTP 403)."""


class OutdatedBaseVersion(ReviewError):
    """The proposal was written against an older version of its target (HTTP 409)."""


# Exact messages (tests and API clients assert them).
MSG_NOT_OPEN = gettext_noop("This proposal is no longer open.")
MSG_NOT_MEMBER = gettext_noop("Only active review committee members may vote.")
MSG_OWN_PROPOSAL = gettext_noop("You cannot vote on your own proposal.")
MSG_ALREADY_VOTED = gettext_noop("You have already voted on this proposal.")


def review_event_record(
    *,
    kind: str,
    actor=None,
    proposal: Proposal | None = None,
    subject=None,
    data: dict[str, Any] | None = None,
) -> ReviewEvent:
    return ReviewEvent.objects.create(kind=kind, actor=actor, proposal=proposal, subject=subject, data=data or {})


def _chosen_points(proposal: Proposal) -> int | None:
    """The amount the reviewers chose for the proposer: the median of the approving votes'
    ``extra["points"]`` (see ProposalKind.vote_form), else ``payload["points"]``; None when
    nobody chose one (the rule's default is paid)."""
    from review.selectors import approval_extras

    chosen = sorted(int(e["points"]) for e in approval_extras(proposal) if str(e.get("points", "")).isdigit())
    if chosen:
        return chosen[(len(chosen) - 1) // 2]
    value = proposal.payload.get("points")
    return int(value) if isinstance(value, int) or (isinstance(value, str) and value.isdigit()) else None


def _approvals_flagged_outstanding(proposal: Proposal) -> bool:
    """True when a strict majority of the approving votes flagged the proposal outstanding
    (extra["outstanding"], see casebase.forms.CaseGradingForm); False without approvals."""
    from review.selectors import approval_extras

    approvals = ReviewEvent.objects.filter(
        proposal=proposal, kind=ReviewEvent.Kind.VOTED, data__decision=Vote.Decision.APPROVE
    ).count()
    flagged = sum(1 for extra in approval_extras(proposal) if extra.get("outstanding") is True)
    return approvals > 0 and flagged * 2 > approvals


def _points_for_decision(proposal: Proposal, *, event: ReviewEvent) -> None:
    """THE call site for points: pays through ``points.services.points_award``.

    The rules come from the proposal's registered kind (ProposalKind.reviewer_points_rule,
    proposer_points_rule, participant_points_rule and outstanding_points_rule, set by the
    owning app: e.g. KB review 5, case review 20; accepted KB revision 2–5, new case 20–50,
    case revision 5–20; quality-case review passed 5–10 per participant, outstanding 60).
    Called once for every vote (event.kind == "voted"): the reviewer in event.actor earns
    the kind's reviewer rule; source key "review:<proposal.pk>:<reviewer pk>". Approvals
    and rejections both count: the member reviewed.
    Called once when a proposal is applied (event.kind == "applied"):
    - the proposer earns the kind's proposer rule; source key "proposal:<proposal.pk>:proposer".
      The amount is the one the reviewers chose (median of the approving votes'
      extra["points"], else payload["points"]) when the rule allows it, otherwise the rule's
      default;
    - for kinds declaring a participant rule (the case kinds; KB kinds declare none), every
      participant — the proposer plus the user pks in payload["participants"] — earns the
      kind's outstanding rule when a strict majority of the approving votes flagged
      extra["outstanding"], otherwise the participant rule at its default; source key
      "quality-case:<proposal.pk>:<employee pk>".
    Idempotent: the ledger's unique source key means running this again pays nothing more.
    A rule switched off in admin (inactive or missing) pays nothing and does not block the
    committee's decision.
    """
    from points.selectors import active_rule
    from points.services import points_award

    kind = registry.kinds().get(proposal.kind)
    if kind is None:
        return
    if event.kind == ReviewEvent.Kind.VOTED and event.actor_id:
        rule = active_rule(kind.reviewer_points_rule or "")
        if rule is not None:
            points_award(employee=event.actor, rule_code=rule.code, source=f"review:{proposal.pk}:{event.actor_id}",
                         note=f"#{proposal.pk} {proposal.kind}")
    elif event.kind == ReviewEvent.Kind.APPLIED:
        rule = active_rule(kind.proposer_points_rule or "")
        if rule is not None:
            chosen = _chosen_points(proposal)
            amount = chosen if chosen is not None and chosen != 0 and rule.allows(chosen) else None
            points_award(employee=proposal.proposer, rule_code=rule.code, source=f"proposal:{proposal.pk}:proposer",
                         amount=amount, note=f"#{proposal.pk} {proposal.kind}")
        if kind.participant_points_rule:
            outstanding = kind.outstanding_points_rule and _approvals_flagged_outstanding(proposal)
            rule = active_rule(kind.outstanding_points_rule if outstanding else kind.participant_points_rule)
            if rule is not None:
                others = [pk for pk in proposal.payload.get("participants") or [] if pk != proposal.proposer_id]
                participants = [proposal.proposer, *get_user_model().objects.filter(pk__in=others).order_by("pk")]
                for employee in participants:
                    points_award(employee=employee, rule_code=rule.code,
                                 source=f"quality-case:{proposal.pk}:{employee.pk}",
                                 note=f"#{proposal.pk} {proposal.kind}")


@transaction.atomic
def proposal_create(
    *,
    kind: str,
    proposer,
    reason: str,
    payload: dict[str, Any],
    target: models.Model | None = None,
    base_version: int | None = None,
    rebased_from: Proposal | None = None,
) -> Proposal:
    """Store a proposal of a registered kind (the owning app validated the payload)."""
    registry.get_kind(kind)  # KeyError for a kind nobody registered: a programming error
    if not (reason or "").strip():
        raise ReviewError(_("Give a reason for the change."))
    proposal = Proposal.objects.create(
        kind=kind,
        proposer=proposer,
        reason=reason.strip(),
        payload=payload,
        target_type=ContentType.objects.get_for_model(target) if target is not None else None,
        target_id=target.pk if target is not None else None,
        base_version=base_version,
        rebased_from=rebased_from,
    )
    review_event_record(
        kind=ReviewEvent.Kind.CREATED, actor=proposer, proposal=proposal,
        data={"kind": kind, "base_version": base_version, "rebased_from": rebased_from.pk if rebased_from else None},
    )
    return proposal


def _mark_stale(proposal: Proposal, *, current_version: int | None) -> None:
    proposal.status = Proposal.Status.STALE
    proposal.decided_at = timezone.now()
    proposal.save(update_fields=["status", "decided_at"])
    review_event_record(
        kind=ReviewEvent.Kind.STALE, proposal=proposal, subject=proposal.proposer,
        data={"base_version": proposal.base_version, "current_version": current_version},
    )


def _apply(proposal: Proposal) -> None:
    """Apply an approved proposal, or mark it stale when its target moved on."""
    kind = registry.get_kind(proposal.kind)
    try:
        with transaction.atomic():
            new_version = kind.apply(proposal)
    except registry.StaleBaseVersion:
        _mark_stale(proposal, current_version=kind.current_version(proposal))
        return
    proposal.status = Proposal.Status.APPLIED
    proposal.applied_version = new_version
    proposal.decided_at = timezone.now()
    proposal.save(update_fields=["status", "applied_version", "decided_at"])
    event = review_event_record(
        kind=ReviewEvent.Kind.APPLIED, proposal=proposal, subject=proposal.proposer,
        data={"kind": proposal.kind, "applied_version": new_version,
              "approvers": list(proposal.votes.filter(decision=Vote.Decision.APPROVE)
                                .values_list("reviewer_id", flat=True))},
    )
    _points_for_decision(proposal, event=event)
    # Other open proposals on the same target were written against an older version now:
    # ask their proposers to rebase at once instead of letting reviewers vote on them.
    if proposal.target_id is not None:
        siblings = (
            Proposal.objects.open()
            .select_for_update(no_key=True)
            .filter(target_type_id=proposal.target_type_id, target_id=proposal.target_id)
            .exclude(pk=proposal.pk)
            .exclude(base_version=new_version)
        )
        for sibling in siblings:
            _mark_stale(sibling, current_version=new_version)


def _vote_extra(proposal: Proposal, *, decision: str, extra: dict[str, Any] | None) -> dict[str, Any] | None:
    """The kind's extra approval fields, validated by its vote_form (None when it has none
    or the vote is a rejection)."""
    kind = registry.kinds().get(proposal.kind)
    if kind is None or kind.vote_form is None or decision != Vote.Decision.APPROVE:
        return None
    form = kind.vote_form(data=extra or {})
    if not form.is_valid():
        raise ReviewError(" ".join(
            f"{form.fields[name].label}: {message}" if name in form.fields else str(message)
            for name, messages in form.errors.items() for message in messages
        ))
    return {name: value for name, value in form.cleaned_data.items() if value is not None and value != ""}


@transaction.atomic
def proposal_vote(
    *, proposal_id: int, reviewer, decision: str, comment: str = "", extra: dict[str, Any] | None = None
) -> Vote:
    """Record ``reviewer``'s vote; apply the proposal exactly when the required number of
    distinct approvals is reached, reject it when the rejection threshold is reached.

    ``extra``: for kinds with a ``vote_form``, the fields an approving member fills in; they
    are validated by that form (ReviewError with its messages) and stored in the vote's event.

    The proposal row is locked (SELECT … FOR NO KEY UPDATE) for the whole decision, so
    concurrent approvals are counted one after the other; the unique constraint on
    (proposal, reviewer) is the last line of defence against double votes.
    Raises Proposal.DoesNotExist, ReviewPermissionDenied or ReviewError.
    """
    if decision not in Vote.Decision.values:
        raise ReviewError(_("Choose approve or reject."))
    proposal = Proposal.objects.select_for_update(no_key=True).get(pk=proposal_id)
    if proposal.status != Proposal.Status.OPEN:
        raise ReviewError(_(MSG_NOT_OPEN))
    if not is_committee_member(reviewer):
        raise ReviewPermissionDenied(_(MSG_NOT_MEMBER))
    if reviewer.pk == proposal.proposer_id:
        raise ReviewPermissionDenied(_(MSG_OWN_PROPOSAL))
    if decision == Vote.Decision.REJECT and not (comment or "").strip():
        raise ReviewError(_("Say why you reject the proposal."))
    cleaned_extra = _vote_extra(proposal, decision=decision, extra=extra)
    try:
        with transaction.atomic():
            vote = Vote.objects.create(proposal=proposal, reviewer=reviewer, decision=decision, comment=comment.strip())
    except IntegrityError:
        raise ReviewError(_(MSG_ALREADY_VOTED)) from None
    event = review_event_record(
        kind=ReviewEvent.Kind.VOTED, actor=reviewer, proposal=proposal,
        data={"kind": proposal.kind, "decision": decision, **({"extra": cleaned_extra} if cleaned_extra else {})},
    )
    _points_for_decision(proposal, event=event)

    config = ReviewSettings.current()
    counts = proposal.vote_counts()
    if counts["approve"] >= config.approvals_required:
        _apply(proposal)
    elif counts["reject"] >= config.rejections_to_close:
        proposal.status = Proposal.Status.REJECTED
        proposal.decided_at = timezone.now()
        proposal.save(update_fields=["status", "decided_at"])
        review_event_record(kind=ReviewEvent.Kind.REJECTED, proposal=proposal, subject=proposal.proposer,
                            data={"rejections": counts["reject"]})
    return vote


@transaction.atomic
def proposal_withdraw(*, proposal_id: int, user) -> Proposal:
    proposal = Proposal.objects.select_for_update(no_key=True).get(pk=proposal_id)
    if proposal.proposer_id != user.pk:
        raise ReviewPermissionDenied(_("Only the proposer may withdraw a proposal."))
    if proposal.status != Proposal.Status.OPEN:
        raise ReviewError(_(MSG_NOT_OPEN))
    proposal.status = Proposal.Status.WITHDRAWN
    proposal.decided_at = timezone.now()
    proposal.save(update_fields=["status", "decided_at"])
    review_event_record(kind=ReviewEvent.Kind.WITHDRAWN, actor=user, proposal=proposal)
    return proposal


# --- committee -----------------------------------------------------------------------

def _add_membership(*, member, by, source: str) -> CommitteeMembership:
    if CommitteeMembership.objects.filter(member=member, active=True).exists():
        raise ReviewError(_("%(name)s is already a committee member.") % {"name": member.name})
    try:
        with transaction.atomic():
            membership = CommitteeMembership.objects.create(member=member, appointed_by=by, source=source)
    except IntegrityError:
        raise ReviewError(_("%(name)s is already a committee member.") % {"name": member.name}) from None
    member.groups.add(Group.objects.get(name=Role.REVIEWER))
    return membership


@transaction.atomic
def committee_member_appoint(*, member, appointed_by) -> CommitteeMembership:
    """An operations manager appoints ``member`` (who joins the Reviewer group)."""
    if not appointed_by.has_perm(roles.MANAGE_OPERATIONS):
        raise ReviewPermissionDenied(_("Only operations managers may appoint committee members."))
    if not member.is_active:
        raise ReviewError(_("Inactive employees cannot join the committee."))
    membership = _add_membership(member=member, by=appointed_by, source=CommitteeMembership.Source.APPOINTED)
    review_event_record(kind=ReviewEvent.Kind.MEMBER_APPOINTED, actor=appointed_by, subject=member,
                        data={"membership": membership.pk})
    return membership


@transaction.atomic
def committee_member_remove(*, membership_id: int, removed_by) -> CommitteeMembership:
    """End a membership; the member leaves the Reviewer group (an operations manager keeps
    the review permission of their own group but can no longer vote)."""
    if not removed_by.has_perm(roles.MANAGE_OPERATIONS):
        raise ReviewPermissionDenied(_("Only operations managers may remove committee members."))
    membership = CommitteeMembership.objects.select_for_update().get(pk=membership_id, active=True)
    membership.active = False
    membership.ended_at = timezone.now()
    membership.save(update_fields=["active", "ended_at"])
    membership.member.groups.remove(Group.objects.get(name=Role.REVIEWER))
    review_event_record(kind=ReviewEvent.Kind.MEMBER_REMOVED, actor=removed_by, subject=membership.member,
                        data={"membership": membership.pk})
    return membership


@transaction.atomic
def committee_application_submit(*, applicant, statement: str = "") -> CommitteeApplication:
    """Apply to join: level and pass rate are checked now and stored on the application."""
    if CommitteeMembership.objects.filter(member=applicant, active=True).exists():
        raise ReviewError(_("You are already a committee member."))
    if CommitteeApplication.objects.filter(applicant=applicant, status=CommitteeApplication.Status.PENDING).exists():
        raise ReviewError(_("You already have a pending application."))
    eligibility = committee_eligibility(applicant)
    if not eligibility.eligible:
        raise ReviewError(" ".join(eligibility.reasons))
    try:
        with transaction.atomic():
            application = CommitteeApplication.objects.create(
                applicant=applicant, statement=statement.strip(), level_snapshot=applicant.level,
                pass_rate_snapshot=eligibility.pass_rate,
            )
    except IntegrityError:
        raise ReviewError(_("You already have a pending application.")) from None
    review_event_record(kind=ReviewEvent.Kind.APPLICATION_SUBMITTED, actor=applicant, subject=applicant,
                        data={"application": application.pk, "level": applicant.level,
                              "pass_rate": str(eligibility.pass_rate)})
    return application


def can_decide_applications(user) -> bool:
    return user.has_perm(roles.MANAGE_OPERATIONS) or is_committee_member(user)


@transaction.atomic
def committee_application_decide(
    *, application_id: int, decided_by, accept: bool, comment: str = ""
) -> CommitteeApplication:
    """A committee member or operations manager accepts (membership + Reviewer group) or declines."""
    if not can_decide_applications(decided_by):
        raise ReviewPermissionDenied(_("Only committee members and operations managers may decide applications."))
    application = CommitteeApplication.objects.select_for_update().select_related("applicant").get(pk=application_id)
    if application.applicant_id == decided_by.pk:
        raise ReviewPermissionDenied(_("You cannot decide your own application."))
    if application.status != CommitteeApplication.Status.PENDING:
        raise ReviewError(_("This application has already been decided."))
    application.status = CommitteeApplication.Status.ACCEPTED if accept else CommitteeApplication.Status.DECLINED
    application.decided_by = decided_by
    application.decided_at = timezone.now()
    application.decision_comment = comment.strip()
    application.save(update_fields=["status", "decided_by", "decided_at", "decision_comment"])
    if accept:
        _add_membership(member=application.applicant, by=decided_by, source=CommitteeMembership.Source.APPLICATION)
    review_event_record(
        kind=ReviewEvent.Kind.APPLICATION_ACCEPTED if accept else ReviewEvent.Kind.APPLICATION_DECLINED,
        actor=decided_by, subject=application.applicant, data={"application": application.pk},
    )
    return application
