from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from accounts import roles
from review.models import (
    CommitteeApplication,
    CommitteeMembership,
    Proposal,
    Recusal,
    ReviewSettings,
    Vote,
)


def is_committee_member(user) -> bool:
    """True when ``user`` may vote: active account, the accounts.review permission (the
    Reviewer group, or the Operations manager group) AND an active committee membership.

    The permission opens the review pages; the membership row is the committee roster.
    Operations managers are members once appointed (the demo appoints them)."""
    if not (user and user.is_authenticated and user.is_active and user.has_perm(roles.REVIEW)):
        return False
    return CommitteeMembership.objects.filter(member=user, active=True).exists()


def is_recused(proposal: Proposal, user) -> bool:
    """True when ``user`` may not vote on ``proposal`` because of a conflict of interest
    (a Recusal row written by the owning app, e.g. a contributor of a quality-case application)."""
    return Recusal.objects.filter(proposal=proposal, employee=user).exists()


def can_vote(proposal: Proposal, user) -> bool:
    """True when ``user`` may vote on ``proposal`` now: it is open, they are an active
    committee member, not its proposer, not recused and have not voted yet. (The vote
    service checks the same under the proposal's row lock.)"""
    return (proposal.is_open and proposal.proposer_id != user.pk and is_committee_member(user)
            and not is_recused(proposal, user) and not proposal.votes.filter(reviewer=user).exists())


def review_queue(*, reviewer) -> QuerySet[Proposal]:
    """Open proposals ``reviewer`` may still vote on (not theirs, not voted, not recused),
    oldest first, with approve/reject counts annotated."""
    return (
        Proposal.objects.open()
        .exclude(proposer=reviewer)
        .exclude(Exists(Vote.objects.filter(proposal=OuterRef("pk"), reviewer=reviewer)))
        .exclude(Exists(Recusal.objects.filter(proposal=OuterRef("pk"), employee=reviewer)))
        .select_related("proposer", "target_type")
        .annotate(
            approvals=Count("votes", filter=Q(votes__decision=Vote.Decision.APPROVE)),
            rejections=Count("votes", filter=Q(votes__decision=Vote.Decision.REJECT)),
        )
        .order_by("created_at", "pk")
    )


def approvals(proposal: Proposal) -> list[Vote]:
    """The approving votes on ``proposal`` in voting order (reviewer loaded), each with its
    validated ``extra`` data ({} when the kind asks for none). What on_applied receives."""
    return list(proposal.votes.filter(decision=Vote.Decision.APPROVE).select_related("reviewer")
                .order_by("created_at", "pk"))


def rejections(proposal: Proposal) -> list[Vote]:
    """The rejecting votes on ``proposal`` in voting order (reviewer loaded): what
    on_decided receives when the rejections closed it."""
    return list(proposal.votes.filter(decision=Vote.Decision.REJECT).select_related("reviewer")
                .order_by("created_at", "pk"))


def approval_extras(proposal: Proposal) -> list[dict]:
    """The non-empty ``extra`` data of the approving votes on ``proposal`` (see
    ProposalKind.vote_form), in voting order; [] when the kind asks for none."""
    return [vote.extra for vote in approvals(proposal) if vote.extra]


def proposals_of(*, proposer) -> QuerySet[Proposal]:
    return (
        Proposal.objects.filter(proposer=proposer)
        .select_related("target_type")
        .annotate(
            approvals=Count("votes", filter=Q(votes__decision=Vote.Decision.APPROVE)),
            rejections=Count("votes", filter=Q(votes__decision=Vote.Decision.REJECT)),
        )
        .order_by("-created_at", "-pk")
    )


def active_members() -> QuerySet[CommitteeMembership]:
    return CommitteeMembership.objects.filter(active=True).select_related("member", "appointed_by")


def pending_applications() -> QuerySet[CommitteeApplication]:
    """Applications the committee has not decided yet, oldest first, with their proposal."""
    return (CommitteeApplication.objects.filter(status=CommitteeApplication.Status.PENDING)
            .select_related("applicant", "proposal").order_by("created_at", "pk"))


@dataclass
class Eligibility:
    """Whether an employee may apply to join the committee, and why not."""

    level: int
    pass_rate: Decimal | None
    min_level: int
    min_pass_rate: Decimal
    reasons: list[str] = field(default_factory=list)

    @property
    def eligible(self) -> bool:
        return not self.reasons


def committee_eligibility(user) -> Eligibility:
    """THE committee-application rule (every page and the submit service read it here):
    level ≥ ReviewSettings.applicant_min_level (default 4) and pass rate on the user's own
    KB and case proposals > ReviewSettings.applicant_min_pass_rate (default 85 %, strictly
    greater; no decided proposal yet = not eligible)."""
    from django.utils.translation import gettext as _

    config = ReviewSettings.current()
    result = Eligibility(
        level=user.level,
        pass_rate=Proposal.objects.pass_rate_for(user),
        min_level=config.applicant_min_level,
        min_pass_rate=config.applicant_min_pass_rate,
    )
    if user.level < config.applicant_min_level:
        result.reasons.append(_("Level %(level)s or above is required.") % {"level": config.applicant_min_level})
    if result.pass_rate is None:
        result.reasons.append(_("You have no decided revision proposals yet."))
    elif result.pass_rate <= config.applicant_min_pass_rate:
        result.reasons.append(
            _("Your revision pass rate must be above %(rate)s%%.") % {"rate": config.applicant_min_pass_rate}
        )
    return result
