from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from accounts import roles
from config.trees import parent_map
from review.models import (
    CommitteeApplication,
    CommitteeMembership,
    Proposal,
    Recusal,
    ReviewExpertise,
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
    committee member, not its proposer, not recused, have not voted yet and — when review
    experts decide it (expert_panel) — are one of them. (The vote service checks the same
    under the proposal's row lock.) The named rule review.vote (review/rules.py)."""
    from accounts.rules import allowed
    from review.rules import VOTE

    return allowed(VOTE, user, proposal)


def panel_admits(panel: "ExpertPanel | None", user) -> bool:
    """THE review-expertise gate of one voter: True when no expert panel decides the proposal
    (``panel`` None, see expert_panel) or ``user`` is one of its experts."""
    return panel is None or user.pk in panel.members


# --- review experts 评审专家 -----------------------------------------------------------

CATEGORY_FIELDS = (
    "kb_category",
    "case_category",
)  # ReviewExpertise's category columns, one per tree


def category_fields() -> dict[int, str]:
    """{content type id of the category model: ReviewExpertise field} for both trees."""
    return {
        ContentType.objects.get_for_model(
            ReviewExpertise._meta.get_field(name).related_model
        ).pk: name
        for name in CATEGORY_FIELDS
    }


@dataclass
class ExpertIndex:
    """Who is a review expert of which category, subcategories included. Built once per
    request or decision by expert_index(); ``experts_of`` answers without queries."""

    # {content type id: {category pk: {member pk, ...}}}: the categories assigned directly.
    assigned: dict[int, dict[int, set[int]]]
    # {content type id: {category pk: parent pk or None}}
    parents: dict[int, dict[int, int | None]]

    def lineage(self, type_id: int, category_id: int) -> list[int]:
        """The category and its ancestors, nearest first (cycle-safe)."""
        parents, chain, node = self.parents.get(type_id, {}), [], category_id
        while node is not None and node not in chain:
            chain.append(node)
            node = parents.get(node)
        return chain

    def experts_of(self, type_id: int | None, category_id: int | None) -> frozenset[int]:
        """Active committee members who are experts of the category or of an ancestor."""
        if type_id is None or category_id is None:
            return frozenset()
        assigned = self.assigned.get(type_id, {})
        return frozenset(
            pk for node in self.lineage(type_id, category_id) for pk in assigned.get(node, ())
        )

    def covered(self, type_id: int, member_id: int) -> set[int]:
        """The categories of one tree ``member_id`` is an expert of (subcategories included)."""
        return {
            pk for pk in self.parents.get(type_id, {}) if member_id in self.experts_of(type_id, pk)
        }


def expert_index() -> ExpertIndex:
    """The expertise of the ACTIVE committee members, with both category trees (3 queries;
    a tree nobody is an expert of is not read)."""
    fields = category_fields()
    assigned: dict[int, dict[int, set[int]]] = {type_id: {} for type_id in fields}
    rows = ReviewExpertise.objects.filter(
        Exists(CommitteeMembership.objects.filter(member=OuterRef("member"), active=True))
    ).values_list("member_id", *CATEGORY_FIELDS)
    for member_id, *categories in rows:
        for (type_id, _name), category_id in zip(fields.items(), categories, strict=True):
            if category_id is not None:
                assigned[type_id].setdefault(category_id, set()).add(member_id)
    parents = {
        type_id: parent_map(ContentType.objects.get_for_id(type_id).model_class())
        for type_id in fields
        if assigned[type_id]
    }
    return ExpertIndex(assigned=assigned, parents=parents)


@dataclass(frozen=True)
class ExpertPanel:
    """The review experts who decide a proposal: ``members`` (user pks) may vote on it, no
    other member may."""

    category_type_id: int
    category_id: int
    members: frozenset[int]

    @property
    def category(self):
        """The category model instance (one query), or None when it was deleted."""
        model = ContentType.objects.get_for_id(self.category_type_id).model_class()
        return model._base_manager.filter(pk=self.category_id).first() if model else None


def panel_for(
    *,
    category_type_id: int | None,
    category_id: int | None,
    proposer_id: int,
    recused: Iterable[int],
    voted: Iterable[int],
    index: ExpertIndex,
    required: int,
) -> ExpertPanel | None:
    """THE expert rule, without queries (the vote service, can_vote and the queue all call it).

    The experts of the proposal's category (and of its ancestors: expertise covers
    subcategories) who are active committee members, minus the proposer and the recused
    employees. They alone decide the proposal when they are at least ``required``
    (ReviewSettings.approvals_required) — enough to apply it on their own — and while one of
    them has not voted yet. Returns None when any member may vote: no category, too few
    experts, or every expert has voted without deciding it (the rest of the committee
    finishes, so a proposal never stays open for want of voters)."""
    if category_type_id is None or category_id is None:
        return None
    experts = index.experts_of(category_type_id, category_id) - {proposer_id} - set(recused)
    if len(experts) < required or experts <= set(voted):
        return None
    return ExpertPanel(category_type_id=category_type_id, category_id=category_id, members=experts)


def expert_panel(proposal: Proposal, *, index: ExpertIndex | None = None) -> ExpertPanel | None:
    """panel_for one proposal (reads its recusals, votes, the settings and, unless given,
    the expert index)."""
    if proposal.category_type_id is None:
        return None
    return panel_for(
        category_type_id=proposal.category_type_id,
        category_id=proposal.category_id,
        proposer_id=proposal.proposer_id,
        recused=Recusal.objects.filter(proposal=proposal).values_list("employee_id", flat=True),
        voted=proposal.votes.values_list("reviewer_id", flat=True),
        index=index or expert_index(),
        required=ReviewSettings.current().approvals_required,
    )


def expertise_of(member) -> QuerySet[ReviewExpertise]:
    return ReviewExpertise.objects.filter(member=member).select_related(
        "kb_category", "case_category"
    )


def experts_list() -> QuerySet[ReviewExpertise]:
    """Every assignment, by member, with its categories and whether the member is active."""
    return (
        ReviewExpertise.objects.select_related(
            "member", "kb_category", "case_category", "assigned_by"
        )
        .annotate(
            active_member=Exists(
                CommitteeMembership.objects.filter(member=OuterRef("member"), active=True)
            )
        )
        .order_by("member__staff_id", "pk")
    )


def review_queue(*, reviewer) -> list[Proposal]:
    """Open proposals ``reviewer`` may still vote on (not theirs, not voted, not recused),
    with approve/reject counts annotated: first those of the categories ``reviewer`` is a
    review expert of (``proposal.yours`` True), then those any member decides, each group
    oldest first. Proposals that other experts decide (expert_panel) are left out: the
    reviewer may not vote on them. A constant number of queries, whatever the queue holds."""
    candidates = list(
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
    from review.calibration import queue_items

    calibration = queue_items(
        reviewer=reviewer
    )  # known-answer items: listed like the rest (review.calibration)
    categorised = [p.pk for p in candidates if p.category_type_id is not None]
    if not categorised and not any(p.category_type_id is not None for p in calibration):
        for proposal in candidates + calibration:
            proposal.yours = False
        return _oldest_first(candidates + calibration) if calibration else candidates
    index, required = expert_index(), ReviewSettings.current().approvals_required
    recused: dict[int, set[int]] = {}
    for proposal_id, employee_id in Recusal.objects.filter(proposal_id__in=categorised).values_list(
        "proposal_id", "employee_id"
    ):
        recused.setdefault(proposal_id, set()).add(employee_id)
    voted: dict[int, set[int]] = {}
    for proposal_id, reviewer_id in Vote.objects.filter(proposal_id__in=categorised).values_list(
        "proposal_id", "reviewer_id"
    ):
        voted.setdefault(proposal_id, set()).add(reviewer_id)
    yours, anyone = [], []
    for proposal in candidates:
        panel = panel_for(
            category_type_id=proposal.category_type_id,
            category_id=proposal.category_id,
            proposer_id=proposal.proposer_id,
            recused=recused.get(proposal.pk, ()),
            voted=voted.get(proposal.pk, ()),
            index=index,
            required=required,
        )
        proposal.yours = reviewer.pk in index.experts_of(
            proposal.category_type_id, proposal.category_id
        )
        if proposal.yours:
            yours.append(proposal)  # gated or not, the reviewer is an expert of its category
        elif panel_admits(panel, reviewer):
            anyone.append(proposal)
    for proposal in calibration:
        proposal.yours = reviewer.pk in index.experts_of(
            proposal.category_type_id, proposal.category_id
        )
        (yours if proposal.yours else anyone).append(proposal)
    if calibration:
        yours, anyone = _oldest_first(yours), _oldest_first(anyone)
    return yours + anyone


def _oldest_first(proposals: list[Proposal]) -> list[Proposal]:
    return sorted(proposals, key=lambda p: (p.created_at, p.pk))


def approvals(proposal: Proposal) -> list[Vote]:
    """The approving votes on ``proposal`` in voting order (reviewer loaded), each with its
    validated ``extra`` data ({} when the kind asks for none). What on_applied receives."""
    return list(
        proposal.votes.filter(decision=Vote.Decision.APPROVE)
        .select_related("reviewer")
        .order_by("created_at", "pk")
    )


def rejections(proposal: Proposal) -> list[Vote]:
    """The rejecting votes on ``proposal`` in voting order (reviewer loaded): what
    on_decided receives when the rejections closed it."""
    return list(
        proposal.votes.filter(decision=Vote.Decision.REJECT)
        .select_related("reviewer")
        .order_by("created_at", "pk")
    )


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
    return (
        CommitteeApplication.objects.filter(status=CommitteeApplication.Status.PENDING)
        .select_related("applicant", "proposal")
        .order_by("created_at", "pk")
    )


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
    if not config.level_may_apply(user.level):
        result.reasons.append(
            _("Level %(level)s or above is required.") % {"level": config.applicant_min_level}
        )
    if result.pass_rate is None:
        result.reasons.append(_("You have no decided revision proposals yet."))
    elif result.pass_rate <= config.applicant_min_pass_rate:
        result.reasons.append(
            _("Your revision pass rate must be above %(rate)s%%.")
            % {"rate": config.applicant_min_pass_rate}
        )
    return result


# --- the committee member's home panel -------------------------------------------------


@dataclass
class CommitteeDashboard:
    """What waits for one committee member: the first ``shown`` proposals of their queue
    (their expert categories first, see review_queue), how many wait in all and how many of
    those are of their categories, since when the oldest waits, and their votes this month."""

    waiting: list[Proposal]
    waiting_count: int
    yours_count: int
    oldest_at: datetime | None
    votes_this_month: int
    is_member: bool = True  # False: the review pages are open to them but they may not vote


def committee_dashboard(*, reviewer, now=None, shown: int = 5) -> CommitteeDashboard:
    """The committee member's home panel, from review_queue (so the panel and the queue
    page always agree) plus one count of the member's votes since the start of the local
    month. A constant number of queries, whatever the queue holds."""
    from django.utils import timezone

    now = now or timezone.now()
    from review import registry

    queue = review_queue(reviewer=reviewer)
    labels = registry.kinds()
    for proposal in queue[:shown]:
        kind = labels.get(proposal.kind)
        proposal.kind_label = kind.label if kind else proposal.kind
    local = timezone.localtime(now)
    month_start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return CommitteeDashboard(
        waiting=queue[:shown],
        waiting_count=len(queue),
        yours_count=sum(1 for p in queue if p.yours),
        oldest_at=min((p.created_at for p in queue), default=None),
        votes_this_month=Vote.objects.filter(
            reviewer=reviewer, created_at__gte=month_start
        ).count(),
        is_member=is_committee_member(reviewer),
    )
