from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from accounts import roles
from review.models import (
    CommitteeApplication,
    CommitteeMembership,
    Proposal,
    ReviewEvent,
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


def review_queue(*, reviewer) -> QuerySet[Proposal]:
    """Open proposals ``reviewer`` may still vote on (not theirs, not voted), oldest first,
    with approve/reject counts annotated."""
    return (
        Proposal.objects.open()
        .exclude(proposer=reviewer)
        .exclude(Exists(Vote.objects.filter(proposal=OuterRef("pk"), reviewer=reviewer)))
        .select_related("proposer", "target_type")
        .annotate(
            approvals=Count("votes", filter=Q(votes__decision=Vote.Decision.APPROVE)),
            rejections=Count("votes", filter=Q(votes__decision=Vote.Decision.REJECT)),
        )
        .order_by("created_at", "pk")
    )


def approval_extras(proposal: Proposal) -> list[dict]:
    """The ``extra`` data of every approving vote on ``proposal`` (see ProposalKind.vote_form),
    in voting order; [] when the kind asks for none."""
    events = ReviewEvent.objects.filter(
        proposal=proposal, kind=ReviewEvent.Kind.VOTED, data__decision=Vote.Decision.APPROVE
    ).order_by("created_at", "pk")
    return [event.data["extra"] for event in events if event.data.get("extra")]


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
    return CommitteeApplication.objects.filter(status=CommitteeApplication.Status.PENDING).select_related("applicant")


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
    """Level ≥ settings.applicant_min_level and pass rate > settings.applicant_min_pass_rate
    (strictly greater; no decided proposal yet = not eligible)."""
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
