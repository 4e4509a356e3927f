"""Writes of the review engine. Every state change writes a ReviewEvent through review_event_record.

Lock order (config/locks.py has the whole project's): a proposal's TARGET row (entry, case,
committee application) first, then the proposal, then its open siblings by id. A decision
finds the target without a lock (_lock_for_decision), so two deciding approvals of two
revisions of one entry queue on the entry instead of each holding its own proposal while
waiting for the other's. The services that take several locks retry a transaction that
still deadlocks (config.locks.retry_on_deadlock) and answer 409 when it never gets through.
"""

from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, models, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts import roles
from accounts.roles import Role
from config.errors import MSG_CONFLICT, ConflictError, PermissionDeniedError, ValidationFailedError
from config.locks import retry_on_deadlock
from review import notices, registry
from review import rules as review_rules
from review.models import (
    CommitteeApplication,
    CommitteeMembership,
    Proposal,
    Recusal,
    ReviewEvent,
    ReviewExpertise,
    ReviewSettings,
    Vote,
)
from review.selectors import (
    approvals,
    category_fields,
    committee_eligibility,
    expert_panel,
    is_committee_member,
    panel_admits,
    rejections,
)


class ReviewError(ValidationFailedError):
    """A rule of the review engine refused the input (HTTP 400 / form error); ``field``
    names the input field the message is about, or None."""


class ReviewPermissionDenied(PermissionDeniedError):
    """The user may not do this (HTTP 403)."""


class ReviewConflict(ConflictError):
    """The proposal or membership is no longer in the state the action needs: closed,
    already voted, already a member (HTTP 409)."""


class OutdatedBaseVersion(ReviewConflict):
    """The proposal was written against an older version of its target (HTTP 409)."""

    default_code = "outdated_base_version"


class VoteExtraInvalid(ReviewError):
    """The approval fields of a vote (the kind's vote_form) were refused. ``errors`` maps each
    form field to its messages (the web form shows them); the API answers them under
    "extra.<field>" (the vote's ``extra`` object)."""

    def __init__(self, errors: dict[str, list[str]], message: str):
        super().__init__(message, fields={f"extra.{name}": msgs for name, msgs in errors.items()})
        self.errors = errors


# Exact messages (tests and API clients assert them).
MSG_NOT_OPEN = gettext_noop("This proposal is no longer open.")
MSG_NOT_MEMBER = gettext_noop("Only active review committee members may vote.")
MSG_OWN_PROPOSAL = gettext_noop("You cannot vote on your own proposal.")
MSG_ALREADY_VOTED = gettext_noop("You have already voted on this proposal.")
MSG_RECUSED = gettext_noop(
    "You cannot vote on this proposal: it rewards you or your own work (conflict of interest)."
)
MSG_ALREADY_MEMBER = gettext_noop("You are already a committee member.")
MSG_PENDING_APPLICATION = gettext_noop("You already have a pending application.")
MSG_APPLICATION_REASON = gettext_noop("Application to join the review committee.")
MSG_APPOINT_SELF = gettext_noop(
    "You cannot appoint yourself: another operations manager appoints you."
)
MSG_NOT_EXPERT = gettext_noop(
    "Only the review experts of “%(category)s” decide this proposal, and you are not one "
    "of them: it is not in your categories."
)
MSG_ASSIGN_EXPERTS = gettext_noop(
    "Only training managers and administrators may assign review experts."
)
MSG_ASSIGN_SELF = gettext_noop(
    "You cannot make yourself a review expert: another manager assigns you."
)
MSG_EXPERT_NOT_MEMBER = gettext_noop(
    "%(name)s is not an active committee member: only members can be review experts."
)
MSG_ALREADY_EXPERT = gettext_noop("%(name)s is already a review expert of “%(category)s”.")
MSG_NOT_A_CATEGORY = gettext_noop("Choose a knowledge-base or case category.")


def review_event_record(
    *,
    kind: str,
    actor=None,
    proposal: Proposal | None = None,
    subject=None,
    data: dict[str, Any] | None = None,
) -> ReviewEvent:
    return ReviewEvent.objects.create(
        kind=kind, actor=actor, proposal=proposal, subject=subject, data=data or {}
    )


def _lock_targets(pairs: Iterable[tuple[int | None, int | None]]) -> None:
    """Lock the target rows named by (content type id, pk) pairs (FOR UPDATE, like the
    kinds' appliers), by content type then pk; pairs without a target are skipped."""
    by_type: dict[int, set[int]] = {}
    for type_id, pk in pairs:
        if type_id is not None and pk is not None:
            by_type.setdefault(type_id, set()).add(pk)
    for type_id in sorted(by_type):
        model = ContentType.objects.get_for_id(type_id).model_class()
        if model is not None:
            list(
                model._base_manager.filter(pk__in=by_type[type_id])
                .order_by("pk")
                .select_for_update()
                .values_list("pk", flat=True)
            )


def _lock_for_decision(proposal_id: int) -> Proposal:
    """The proposal, locked after its target (the documented order: target, then proposal).
    The target is read without a lock first; it never changes while a proposal is open
    (a new-entry proposal gets its target when it is applied, and is then closed).
    Raises Proposal.DoesNotExist."""
    target = (
        Proposal.objects.filter(pk=proposal_id).values_list("target_type_id", "target_id").first()
    )
    if target is None:
        raise Proposal.DoesNotExist("Proposal matching query does not exist.")
    _lock_targets([target])
    return Proposal.objects.select_for_update(no_key=True).get(pk=proposal_id)


def _lock_open_proposals(proposals) -> list[Proposal]:
    """Lock the open proposals of a queryset in the documented order: their targets first,
    then the proposals by id. Returns them locked."""
    _lock_targets(proposals.values_list("target_type_id", "target_id"))
    return list(proposals.order_by("pk").select_for_update(no_key=True))


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
    recused: Iterable = (),
) -> Proposal:
    """Store a proposal of a registered kind (the owning app validated the payload).

    ``recused``: employees who may not vote on it besides the proposer (Recusal rows, e.g.
    the contributors of a case applying for a quality-case review).

    The target row is locked (the owning app's service normally locked it already, reading
    the version under that lock) and its current version checked against ``base_version``:
    a proposal is never stored open on a version a concurrent approval has just replaced
    (OutdatedBaseVersion)."""
    registry_kind = registry.get_kind(
        kind
    )  # KeyError for a kind nobody registered: a programming error
    if not (reason or "").strip():
        raise ReviewError(_("Give a reason for the change."), field="reason")
    proposal = Proposal(
        kind=kind,
        proposer=proposer,
        reason=reason.strip(),
        payload=payload,
        target_type=ContentType.objects.get_for_model(target) if target is not None else None,
        target_id=target.pk if target is not None else None,
        base_version=base_version,
        rebased_from=rebased_from,
    )
    category = registry.category_of(registry_kind, proposal)
    if category is not None:
        proposal.category_type = ContentType.objects.get_for_model(category[0])
        proposal.category_id = category[1]
    if target is not None:
        _lock_targets([(proposal.target_type_id, proposal.target_id)])
        if base_version is not None and registry_kind.current_version(proposal) not in (
            None,
            base_version,
        ):
            raise OutdatedBaseVersion(_(MSG_CONFLICT))
    proposal.save()
    recused_pks = sorted({user.pk for user in recused} - {proposer.pk})
    Recusal.objects.bulk_create([Recusal(proposal=proposal, employee_id=pk) for pk in recused_pks])
    review_event_record(
        kind=ReviewEvent.Kind.CREATED,
        actor=proposer,
        proposal=proposal,
        data={
            "kind": kind,
            "base_version": base_version,
            "rebased_from": rebased_from.pk if rebased_from else None,
            **({"recused": recused_pks} if recused_pks else {}),
        },
    )
    return proposal


def _closed(proposal: Proposal) -> None:
    """Tell the owning app that ``proposal`` left "open" without being applied."""
    kind = registry.kinds().get(proposal.kind)
    if kind is not None and kind.on_closed is not None:
        kind.on_closed(proposal)


def _mark_stale(proposal: Proposal, *, current_version: int | None) -> None:
    proposal.status = Proposal.Status.STALE
    proposal.decided_at = timezone.now()
    proposal.save(update_fields=["status", "decided_at"])
    review_event_record(
        kind=ReviewEvent.Kind.STALE,
        proposal=proposal,
        subject=proposal.proposer,
        data={"base_version": proposal.base_version, "current_version": current_version},
    )
    _closed(proposal)
    _notify_decision(proposal)


# --- notifications of decisions --------------------------------------------------------


def _notify_decision(proposal: Proposal) -> None:
    """Tell the people concerned that ``proposal`` was decided (inside the decision's
    transaction: no notification of a decision that rolled back; keyed, so never twice).

    - its proposer: applied, rejected or outdated (a committee application: accepted,
      declined or lapsed);
    - everyone the kind's hooks paid for this decision (the proposer's reward, the members'
      review points, a quality case's contributors: the kind's ``rewards``), one
      notification per payment.

    Notices keep their kind and parameters (the proposal's kind label as its English
    msgid); the notification app that delivers them (review.notices) renders them in the
    reader's language."""
    kind = registry.kinds().get(proposal.kind)
    with translation.override("en"):
        what = str(kind.label) if kind is not None else proposal.kind
    params = {
        "proposal": proposal.pk,
        "what": what,
        "title": kind.describe(proposal) if kind else "",
    }
    if proposal.kind == KIND_COMMITTEE_APPLICATION:
        by_status = {
            Proposal.Status.APPLIED: notices.APPLICATION_ACCEPTED,
            Proposal.Status.REJECTED: notices.APPLICATION_DECLINED,
            Proposal.Status.STALE: notices.APPLICATION_LAPSED,
        }
    else:
        by_status = {
            Proposal.Status.APPLIED: notices.PROPOSAL_APPLIED,
            Proposal.Status.REJECTED: notices.PROPOSAL_REJECTED,
            Proposal.Status.STALE: notices.PROPOSAL_STALE,
        }
    sent = []
    if proposal.status in by_status:
        sent.append(
            notices.Notice(
                recipient_id=proposal.proposer_id,
                kind=by_status[proposal.status],
                data=params,
                key=f"review:{proposal.pk}:{proposal.status}",
            )
        )
    for reward in kind.rewards(proposal) if kind is not None and kind.rewards is not None else []:
        sent.append(
            notices.Notice(
                recipient_id=reward.employee_id,
                kind=notices.POINTS_RECEIVED,
                data={**params, "points": reward.amount, "reason": reward.reason},
                key=reward.key,
            )
        )
    notices.notices_send(sent)


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
    approving = approvals(proposal)
    review_event_record(
        kind=ReviewEvent.Kind.APPLIED,
        proposal=proposal,
        subject=proposal.proposer,
        data={
            "kind": proposal.kind,
            "applied_version": new_version,
            "approvers": [vote.reviewer_id for vote in approving],
        },
    )
    if kind.on_applied is not None:
        kind.on_applied(proposal, approving)
    if kind.on_decided is not None:
        kind.on_decided(proposal, approving)
    _notify_decision(proposal)
    # Other open proposals on the same target were written against an older version now:
    # ask their proposers to rebase at once instead of letting reviewers vote on them.
    if proposal.target_id is not None:
        siblings = (
            Proposal.objects.open()
            .select_for_update(no_key=True)
            .filter(target_type_id=proposal.target_type_id, target_id=proposal.target_id)
            .exclude(pk=proposal.pk)
            .exclude(base_version=new_version)
            .order_by("pk")  # the lock order: proposals by id (their target is locked already)
        )
        for sibling in siblings:
            _mark_stale(sibling, current_version=new_version)


@transaction.atomic
def target_proposals_outdate(
    *, target: models.Model, current_version: int | None, keep_current: bool = True
) -> list[Proposal]:
    """Mark the open proposals on ``target`` stale after a change that did not go through
    the committee (a manager's direct edit of an entry or case, with its history): they were
    written against an older version, so their proposers rebase them — and are notified
    like any outdated proposal. Proposals already based on ``current_version`` stay open
    unless ``keep_current`` is False (a retirement: nothing may be applied to the item).

    Lock order (config/locks.py): the caller holds the target row (3) or it is locked here,
    then the proposals by id (4). Returns the proposals marked stale."""
    type_id = ContentType.objects.get_for_model(target).pk
    _lock_targets([(type_id, target.pk)])
    open_proposals = Proposal.objects.open().filter(target_type_id=type_id, target_id=target.pk)
    if keep_current and current_version is not None:
        open_proposals = open_proposals.exclude(base_version=current_version)
    proposals = _lock_open_proposals(open_proposals)
    for proposal in proposals:
        _mark_stale(proposal, current_version=current_version)
    return proposals


def _vote_extra(
    proposal: Proposal, *, decision: str, extra: dict[str, Any] | None
) -> dict[str, Any]:
    """The kind's extra approval fields, validated by its vote_form ({} when it has none or
    the vote is a rejection). Raises VoteExtraInvalid with the form's field messages."""
    kind = registry.kinds().get(proposal.kind)
    if kind is None or kind.vote_form is None or decision != Vote.Decision.APPROVE:
        return {}
    if not isinstance(extra, dict):
        extra = {}
    form = kind.vote_form(data=extra, proposal=proposal)
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
        if value is not None and value != ""
    }


@retry_on_deadlock
@transaction.atomic
def proposal_vote(
    *,
    proposal_id: int,
    reviewer,
    decision: str,
    comment: str = "",
    extra: dict[str, Any] | None = None,
) -> Vote:
    """Record ``reviewer``'s vote; apply the proposal exactly when the required number of
    distinct approvals is reached, reject it when the rejection threshold is reached.

    ``extra``: for kinds with a ``vote_form``, the fields an approving member fills in; they
    are validated by that form (VoteExtraInvalid with its field messages) and stored on the
    vote (Vote.extra) and in its event. The kind's on_voted hook runs after the vote is
    recorded, its on_applied hook when this vote applies the proposal, its on_decided hook
    with the votes the decision followed when this vote applies or rejects it (all inside
    this transaction: rewards are paid with the decision or not at all).

    The proposal's target row and then the proposal row are locked (_lock_for_decision) for
    the whole decision, so concurrent approvals — of this proposal or of a sibling on the
    same target — are counted one after the other; the unique constraint on
    (proposal, reviewer) is the last line of defence against double votes. A deadlock that
    still happens is retried, then answered as a ConflictError (409).
    Raises Proposal.DoesNotExist, ReviewPermissionDenied (not a member, the proposer, a
    recused employee), ReviewConflict (closed, already voted) or ReviewError (bad input).
    """
    if decision not in Vote.Decision.values:
        raise ReviewError(_("Choose approve or reject."), field="decision")
    proposal = _lock_for_decision(proposal_id)
    if proposal.status != Proposal.Status.OPEN:
        raise ReviewConflict(_(MSG_NOT_OPEN), code="proposal_closed")
    if not is_committee_member(reviewer):
        raise ReviewPermissionDenied(_(MSG_NOT_MEMBER))
    # The conditions of the rule review.vote (review/rules.py), one by one with their messages.
    if review_rules.is_proposer.test(reviewer, proposal):
        raise ReviewPermissionDenied(_(MSG_OWN_PROPOSAL))
    if review_rules.is_recused.test(reviewer, proposal):
        raise ReviewPermissionDenied(_(MSG_RECUSED))
    panel = expert_panel(
        proposal
    )  # read under the proposal's lock: the votes it counts cannot change
    if not panel_admits(panel, reviewer):
        raise ReviewPermissionDenied(
            _(MSG_NOT_EXPERT) % {"category": panel.category}, code="not_expert"
        )
    if decision == Vote.Decision.REJECT and not (comment or "").strip():
        raise ReviewError(_("Say why you reject the proposal."), field="comment")
    cleaned_extra = _vote_extra(proposal, decision=decision, extra=extra)
    try:
        with transaction.atomic():
            vote = Vote.objects.create(
                proposal=proposal,
                reviewer=reviewer,
                decision=decision,
                comment=(comment or "").strip(),
                extra=cleaned_extra,
            )
    except IntegrityError:
        raise ReviewConflict(_(MSG_ALREADY_VOTED), code="already_voted") from None
    event = review_event_record(
        kind=ReviewEvent.Kind.VOTED,
        actor=reviewer,
        proposal=proposal,
        data={
            "kind": proposal.kind,
            "decision": decision,
            **({"extra": cleaned_extra} if cleaned_extra else {}),
        },
    )
    kind = registry.kinds().get(proposal.kind)
    if kind is not None and kind.on_voted is not None:
        kind.on_voted(proposal, event)

    config = ReviewSettings.current()
    counts = proposal.vote_counts()
    if counts["approve"] >= config.approvals_required:
        _apply(proposal)
    elif counts["reject"] >= config.rejections_to_close:
        proposal.status = Proposal.Status.REJECTED
        proposal.decided_at = timezone.now()
        proposal.save(update_fields=["status", "decided_at"])
        review_event_record(
            kind=ReviewEvent.Kind.REJECTED,
            proposal=proposal,
            subject=proposal.proposer,
            data={"rejections": counts["reject"]},
        )
        _closed(proposal)
        if kind is not None and kind.on_decided is not None:
            kind.on_decided(proposal, rejections(proposal))
        _notify_decision(proposal)
    return vote


@retry_on_deadlock
@transaction.atomic
def proposal_withdraw(*, proposal_id: int, user) -> Proposal:
    proposal = _lock_for_decision(proposal_id)
    if not review_rules.is_proposer.test(user, proposal):
        raise ReviewPermissionDenied(_("Only the proposer may withdraw a proposal."))
    if proposal.status != Proposal.Status.OPEN:
        raise ReviewConflict(_(MSG_NOT_OPEN), code="proposal_closed")
    proposal.status = Proposal.Status.WITHDRAWN
    proposal.decided_at = timezone.now()
    proposal.save(update_fields=["status", "decided_at"])
    review_event_record(kind=ReviewEvent.Kind.WITHDRAWN, actor=user, proposal=proposal)
    _closed(proposal)
    return proposal


# --- review experts --------------------------------------------------------------------


def may_assign_experts(user) -> bool:
    """Training managers (accounts.manage_training) and superusers assign review experts."""
    return bool(user and user.is_active and user.has_perm(roles.MANAGE_TRAINING))


def _expertise_field(category) -> str:
    """The ReviewExpertise column of ``category``'s tree; ReviewError for anything else."""
    if category is None or category.pk is None:
        raise ReviewError(_(MSG_NOT_A_CATEGORY), field="category")
    field = category_fields().get(ContentType.objects.get_for_model(category).pk)
    if field is None:
        raise ReviewError(_(MSG_NOT_A_CATEGORY), field="category")
    return field


def expertise_check(*, member, category, assigned_by) -> str:
    """The rules of an assignment (the service and the admin form call it); returns the
    ReviewExpertise column. Raises ReviewPermissionDenied (not a training manager, or
    assigning oneself), ReviewError (not a member, not a category) or ReviewConflict
    (already an expert of that category)."""
    if not may_assign_experts(assigned_by):
        raise ReviewPermissionDenied(_(MSG_ASSIGN_EXPERTS))
    if member.pk == assigned_by.pk:
        raise ReviewPermissionDenied(_(MSG_ASSIGN_SELF))
    field = _expertise_field(category)
    if not CommitteeMembership.objects.filter(member=member, active=True).exists():
        raise ReviewError(_(MSG_EXPERT_NOT_MEMBER) % {"name": member.name}, field="member")
    if ReviewExpertise.objects.filter(member=member, **{field: category}).exists():
        raise ReviewConflict(
            _(MSG_ALREADY_EXPERT) % {"name": member.name, "category": category},
            code="already_expert",
        )
    return field


@transaction.atomic
def expertise_assign(*, member, category, assigned_by) -> ReviewExpertise:
    """Make an active committee member a review expert of a KB or case category (and so of
    its subcategories): expertise_check's rules, then the row and a ReviewEvent. Open
    proposals of that category are decided by its experts from the next vote on, once they
    are enough (review.selectors.panel_for); votes already cast stand."""
    field = expertise_check(member=member, category=category, assigned_by=assigned_by)
    try:
        with transaction.atomic():
            expertise = ReviewExpertise.objects.create(
                member=member, assigned_by=assigned_by, **{field: category}
            )
    except IntegrityError:
        raise ReviewConflict(
            _(MSG_ALREADY_EXPERT) % {"name": member.name, "category": category},
            code="already_expert",
        ) from None
    review_event_record(
        kind=ReviewEvent.Kind.EXPERT_ASSIGNED,
        actor=assigned_by,
        subject=member,
        data={"expertise": expertise.pk, field: category.pk},
    )
    return expertise


@transaction.atomic
def expertise_remove(*, expertise_id: int, removed_by) -> None:
    """End an expertise (ReviewExpertise.DoesNotExist when there is none): training
    managers only; the row is deleted and a ReviewEvent keeps who had it."""
    if not may_assign_experts(removed_by):
        raise ReviewPermissionDenied(_(MSG_ASSIGN_EXPERTS))
    # No row lock (config/locks.py lists every one): deleting twice deletes once.
    expertise = ReviewExpertise.objects.select_related("member").get(pk=expertise_id)
    review_event_record(
        kind=ReviewEvent.Kind.EXPERT_REMOVED,
        actor=removed_by,
        subject=expertise.member,
        data={"kb_category": expertise.kb_category_id, "case_category": expertise.case_category_id},
    )
    expertise.delete()


# --- committee -----------------------------------------------------------------------

KIND_COMMITTEE_APPLICATION = "committee_application"


def _add_membership(*, member, by, source: str) -> CommitteeMembership:
    if CommitteeMembership.objects.filter(member=member, active=True).exists():
        raise ReviewConflict(
            _("%(name)s is already a committee member.") % {"name": member.name},
            code="already_member",
        )
    try:
        with transaction.atomic():
            membership = CommitteeMembership.objects.create(
                member=member, appointed_by=by, source=source
            )
    except IntegrityError:
        raise ReviewConflict(
            _("%(name)s is already a committee member.") % {"name": member.name},
            code="already_member",
        ) from None
    member.groups.add(Group.objects.get(name=Role.REVIEWER))
    return membership


@retry_on_deadlock
@transaction.atomic
def committee_member_appoint(*, member, appointed_by) -> CommitteeMembership:
    """An operations manager appoints ``member`` (who joins the Reviewer group) — never
    themselves (committee members are paid for reviewing: ReviewPermissionDenied with
    MSG_APPOINT_SELF). A pending application of ``member`` lapses (its proposal is marked
    stale: nothing left to decide)."""
    if not appointed_by.has_perm(roles.MANAGE_OPERATIONS):
        raise ReviewPermissionDenied(_("Only operations managers may appoint committee members."))
    if member.pk == appointed_by.pk:
        raise ReviewPermissionDenied(_(MSG_APPOINT_SELF))
    if not member.is_active:
        raise ReviewError(_("Inactive employees cannot join the committee."))
    membership = _add_membership(
        member=member, by=appointed_by, source=CommitteeMembership.Source.APPOINTED
    )
    review_event_record(
        kind=ReviewEvent.Kind.MEMBER_APPOINTED,
        actor=appointed_by,
        subject=member,
        data={"membership": membership.pk},
    )
    pending = _lock_open_proposals(
        Proposal.objects.open().filter(kind=KIND_COMMITTEE_APPLICATION, proposer=member)
    )
    for proposal in pending:
        _mark_stale(proposal, current_version=None)
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
    review_event_record(
        kind=ReviewEvent.Kind.MEMBER_REMOVED,
        actor=removed_by,
        subject=membership.member,
        data={"membership": membership.pk},
    )
    return membership


@transaction.atomic
def committee_application_submit(*, applicant, statement: str = "") -> CommitteeApplication:
    """Apply to join. The rule is review.selectors.committee_eligibility (level and pass rate
    from ReviewSettings); the figures are stored on the application. The committee then
    decides through the review engine: a "committee_application" proposal that members vote
    on like any other (ReviewSettings.approvals_required approvals admit,
    rejections_to_close rejections decline)."""
    if CommitteeMembership.objects.filter(member=applicant, active=True).exists():
        raise ReviewConflict(_(MSG_ALREADY_MEMBER), code="already_member")
    if CommitteeApplication.objects.filter(
        applicant=applicant, status=CommitteeApplication.Status.PENDING
    ).exists():
        raise ReviewConflict(_(MSG_PENDING_APPLICATION), code="application_pending")
    eligibility = committee_eligibility(applicant)
    if not eligibility.eligible:
        raise ReviewError(" ".join(eligibility.reasons))
    statement = (statement or "").strip()
    try:
        with transaction.atomic():
            application = CommitteeApplication.objects.create(
                applicant=applicant,
                statement=statement,
                level_snapshot=applicant.level,
                pass_rate_snapshot=eligibility.pass_rate,
            )
    except IntegrityError:
        raise ReviewConflict(_(MSG_PENDING_APPLICATION), code="application_pending") from None
    application.proposal = proposal_create(
        kind=KIND_COMMITTEE_APPLICATION,
        proposer=applicant,
        reason=statement or _(MSG_APPLICATION_REASON),
        target=application,
        payload={
            "title": f"{applicant.name} ({applicant.staff_id})",
            "application": application.pk,
            "level": applicant.level,
            "pass_rate": str(eligibility.pass_rate),
        },
    )
    application.save(update_fields=["proposal"])
    review_event_record(
        kind=ReviewEvent.Kind.APPLICATION_SUBMITTED,
        actor=applicant,
        subject=applicant,
        proposal=application.proposal,
        data={
            "application": application.pk,
            "level": applicant.level,
            "pass_rate": str(eligibility.pass_rate),
        },
    )
    return application


def committee_application_apply(proposal: Proposal) -> int:
    """Applier of a "committee_application" proposal the committee approved: the applicant
    gets a membership (source "application") and the Reviewer group; the application is
    accepted. Raises StaleBaseVersion (the application lapses) when the applicant became a
    member meanwhile, left, or no longer meets committee_eligibility. Returns 1 (an
    application has no versions)."""
    application = (
        CommitteeApplication.objects.select_for_update()
        .select_related("applicant")
        .get(proposal=proposal)
    )
    applicant = application.applicant
    if (
        not applicant.is_active
        or CommitteeMembership.objects.filter(member=applicant, active=True).exists()
        or not committee_eligibility(applicant).eligible
    ):
        raise registry.StaleBaseVersion()
    membership = _add_membership(
        member=applicant, by=None, source=CommitteeMembership.Source.APPLICATION
    )
    application.status = CommitteeApplication.Status.ACCEPTED
    application.decided_at = timezone.now()
    application.save(update_fields=["status", "decided_at"])
    review_event_record(
        kind=ReviewEvent.Kind.APPLICATION_ACCEPTED,
        subject=applicant,
        proposal=proposal,
        data={"application": application.pk, "membership": membership.pk},
    )
    return 1


_CLOSED_STATUS = {
    Proposal.Status.REJECTED: CommitteeApplication.Status.DECLINED,
    Proposal.Status.WITHDRAWN: CommitteeApplication.Status.WITHDRAWN,
    Proposal.Status.STALE: CommitteeApplication.Status.WITHDRAWN,
}


def committee_application_closed(proposal: Proposal) -> None:
    """on_closed of "committee_application": the application follows its proposal
    (rejected → declined; withdrawn, or lapsed as stale → withdrawn)."""
    application = CommitteeApplication.objects.select_for_update().get(proposal=proposal)
    if application.status != CommitteeApplication.Status.PENDING:
        return
    application.status = _CLOSED_STATUS[proposal.status]
    application.decided_at = timezone.now()
    application.save(update_fields=["status", "decided_at"])
    if application.status == CommitteeApplication.Status.DECLINED:
        review_event_record(
            kind=ReviewEvent.Kind.APPLICATION_DECLINED,
            subject=application.applicant,
            proposal=proposal,
            data={"application": application.pk},
        )
