"""The one review engine: proposals, committee votes, the committee itself and its audit trail.

A proposal has a *kind* ("kb_revision", "kb_new_entry", "case_new", "case_revision",
"quality_case", "committee_application"). What a kind means — how its payload is applied,
what its target's current version is, how its diff is shown, what an approving member
decides besides the vote and what is paid — lives in the owning app and is registered in
review.registry. This app only knows the rules every kind shares: 3 distinct committee
approvals (configurable), never the proposer nor a recused employee, one vote per member,
the rejection rule and optimistic concurrency on the target's version.
"""

from decimal import Decimal

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Count, Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from accounts.levels import MAX_LEVEL
from config.models import SingletonSettings

MAX_RECIPROCAL_MIN_APPROVALS = 50
MAX_RECIPROCAL_RATE_FACTOR = Decimal("5.00")
MAX_SERIAL_VOTES_PER_DAY = 100


class ReviewSettings(SingletonSettings):
    """Admin-editable numbers of the review rules (one row, pk=1, seeded by migration)."""

    approvals_required = models.PositiveSmallIntegerField(
        _("approvals required"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(20)],
        help_text=_(
            "Default 3 (DOMAIN §4): a proposal — a KB or case change, a quality-case application "
            "or a committee application — is applied when this many distinct committee members "
            "approved it (never its proposer)."
        ),
    )
    rejections_to_close = models.PositiveSmallIntegerField(
        _("rejections that close a proposal"),
        default=2,
        validators=[MinValueValidator(1), MaxValueValidator(20)],
        help_text=_(
            "Default 2: a proposal (including a committee or quality-case application) is declined "
            "as soon as this many committee members rejected it."
        ),
    )
    applicant_min_level = models.PositiveSmallIntegerField(
        _("minimum level to apply"),
        default=4,
        validators=[MaxValueValidator(MAX_LEVEL)],
        help_text=_(
            "Default 4 (points ≥ 3,200): employees of at least this level may apply to join the "
            "committee. The only place of this rule: the committee page, the level page and the "
            "application service all read it here."
        ),
    )
    applicant_min_pass_rate = models.DecimalField(
        _("pass rate to exceed (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("85.00"),
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text=_(
            "Default 85: applicants' pass rate on their own KB revisions and case "
            "creations/revisions must be strictly greater than this percentage."
        ),
    )
    reciprocal_min_approvals = models.PositiveSmallIntegerField(
        _("reciprocal approvals: minimum each way"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_RECIPROCAL_MIN_APPROVALS)],
        help_text=_(
            "Default 3, 1 to 50 (k): two employees are flagged for reciprocal approvals only when "
            "each approved at least this many of the other's proposals."
        ),
    )
    reciprocal_rate_factor = models.DecimalField(
        _("reciprocal approvals: factor over the base rate"),
        max_digits=4,
        decimal_places=2,
        default=Decimal("1.25"),
        validators=[
            MinValueValidator(Decimal("1.00")),
            MaxValueValidator(MAX_RECIPROCAL_RATE_FACTOR),
        ],
        help_text=_(
            "Default 1.25, 1.00 to 5.00 (m): …and when their mutual approval rate (approvals "
            "between the two ÷ votes between the two) is at least this many times the committee's "
            "approval rate (approvals ÷ votes of all members). When m × the base rate exceeds 100 "
            "% nothing can be flagged."
        ),
    )
    serial_votes_per_day = models.PositiveSmallIntegerField(
        _("serial voting: votes on one proposer per day"),
        default=5,
        validators=[MinValueValidator(2), MaxValueValidator(MAX_SERIAL_VOTES_PER_DAY)],
        help_text=_(
            "Default 5, 2 to 100 (s): a member is flagged for serial voting when they voted on at "
            "least this many proposals of one proposer on one day (Asia/Shanghai)."
        ),
    )

    class Meta:
        verbose_name = _("review settings")
        verbose_name_plural = _("review settings")

    def __str__(self) -> str:
        return str(_("Review settings"))

    def level_may_apply(self, level: int) -> bool:
        """True when an employee of ``level`` is senior enough to apply to the committee
        (level ≥ applicant_min_level). The one home of the level half of the application
        rule: review.selectors.committee_eligibility decides with it (adding the pass rate),
        and the getting-started guide's "may apply" right reads it per level."""
        return level >= self.applicant_min_level


class ProposalQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status=Proposal.Status.OPEN)

    def pass_rate_for(self, user) -> Decimal | None:
        """Percentage (0–100, two decimals) of ``user``'s decided proposals that were applied.

        Decided means applied or rejected by the committee, or withdrawn by the proposer after
        a member had rejected it (withdrawing must not hide a rejection under way); open and
        stale proposals and those withdrawn before any rejection (the content was never
        judged) do not count. The content kinds count (KB revisions and new entries, case
        creations and revisions: registry.pass_rate_kinds()); applications (quality-case
        review, committee membership) do not. Returns None when the user has no decided
        proposal yet.
        """
        from review import registry

        rejected_once = Exists(
            Vote.objects.filter(proposal=OuterRef("pk"), decision=Vote.Decision.REJECT)
        )
        counts = (
            self.filter(proposer=user, kind__in=registry.pass_rate_kinds())
            .annotate(rejected_once=rejected_once)
            .aggregate(
                applied=Count("pk", filter=Q(status=Proposal.Status.APPLIED)),
                decided=Count(
                    "pk",
                    filter=Q(status__in=[Proposal.Status.APPLIED, Proposal.Status.REJECTED])
                    | Q(status=Proposal.Status.WITHDRAWN, rejected_once=True),
                ),
            )
        )
        if not counts["decided"]:
            return None
        return (Decimal(100) * counts["applied"] / counts["decided"]).quantize(Decimal("0.01"))


class Proposal(models.Model):
    """A change somebody proposes; it enters the system only through the committee."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        APPLIED = "applied", _("Applied")
        REJECTED = "rejected", _("Rejected")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        STALE = "stale", _("Outdated – rebase needed")

    kind = models.CharField(_("kind"), max_length=40, db_index=True)
    proposer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="proposals",
        verbose_name=_("proposer"),
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.OPEN
    )
    reason = models.TextField(_("reason"))
    target_type = models.ForeignKey(
        ContentType, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("target type")
    )
    target_id = models.PositiveBigIntegerField(_("target id"), null=True, blank=True)
    target = GenericForeignKey("target_type", "target_id")
    base_version = models.PositiveIntegerField(
        _("base version"),
        null=True,
        blank=True,
        help_text=_("Version of the target the proposal was written against; empty for new items."),
    )
    payload = models.JSONField(_("payload"), default=dict)
    applied_version = models.PositiveIntegerField(_("applied version"), null=True, blank=True)
    category_type = models.ForeignKey(
        ContentType,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("category type"),
    )
    category_id = models.PositiveBigIntegerField(
        _("category id"),
        null=True,
        blank=True,
        help_text=_(
            "The KB or case category whose review experts decide the proposal (the target's "
            "current category, or the new item's); empty: any committee member decides."
        ),
    )
    rebased_from = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="rebased_into",
        verbose_name=_("rebased from"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    objects = ProposalQuerySet.as_manager()

    class Meta:
        verbose_name = _("proposal")
        verbose_name_plural = _("proposals")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "created_at"], name="proposal_status_created"),
            models.Index(
                fields=["target_type", "target_id", "status"], name="proposal_target_status"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.kind} ({self.get_status_display()})"

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN

    def vote_counts(self) -> dict[str, int]:
        """{"approve": n, "reject": m} over this proposal's votes (0 when none)."""
        counts = {Vote.Decision.APPROVE: 0, Vote.Decision.REJECT: 0}
        for row in self.votes.values("decision").annotate(n=Count("pk")):
            counts[row["decision"]] = row["n"]
        return {"approve": counts[Vote.Decision.APPROVE], "reject": counts[Vote.Decision.REJECT]}


class Vote(models.Model):
    """One committee member's decision on one proposal (never two: database constraint)."""

    class Decision(models.TextChoices):
        APPROVE = "approve", _("Approve")
        REJECT = "reject", _("Reject")

    proposal = models.ForeignKey(
        Proposal, on_delete=models.CASCADE, related_name="votes", verbose_name=_("proposal")
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="review_votes",
        verbose_name=_("reviewer"),
    )
    decision = models.CharField(_("decision"), max_length=10, choices=Decision.choices)
    comment = models.TextField(_("comment"), blank=True)
    extra = models.JSONField(
        _("approval details"),
        default=dict,
        blank=True,
        help_text=_(
            "What an approving member decided besides the vote, validated by the kind's vote form "
            "(e.g. the points for the proposer, a case's level and set)."
        ),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("vote")
        verbose_name_plural = _("votes")
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["proposal", "reviewer"], name="vote_one_per_reviewer")
        ]

    def __str__(self) -> str:
        return f"{self.reviewer} – {self.get_decision_display()} #{self.proposal_id}"


class Recusal(models.Model):
    """An employee who may not vote on a proposal although they are a committee member:
    the owning app names them when the proposal is created (e.g. every contributor of a case
    applying for a quality-case review — a vote on one's own reward is a conflict of
    interest). The proposer never votes anyway."""

    proposal = models.ForeignKey(
        Proposal, on_delete=models.CASCADE, related_name="recusals", verbose_name=_("proposal")
    )
    employee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("employee"),
    )

    class Meta:
        verbose_name = _("recusal")
        verbose_name_plural = _("recusals")
        constraints = [
            models.UniqueConstraint(
                fields=["proposal", "employee"], name="recusal_once_per_employee"
            )
        ]

    def __str__(self) -> str:
        return f"{self.employee} #{self.proposal_id}"


class CommitteeMembership(models.Model):
    """A period of committee membership. Voting needs an active one (and accounts.review)."""

    class Source(models.TextChoices):
        APPOINTED = "appointed", _("Appointed by an operations manager")
        APPLICATION = "application", _("Accepted application")

    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="committee_memberships",
        verbose_name=_("member"),
    )
    source = models.CharField(_("source"), max_length=12, choices=Source.choices)
    appointed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("appointed or accepted by"),
    )
    active = models.BooleanField(_("active"), default=True)
    started_at = models.DateTimeField(_("started at"), auto_now_add=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)

    class Meta:
        verbose_name = _("committee membership")
        verbose_name_plural = _("committee memberships")
        ordering = ["-active", "member__staff_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["member"], condition=Q(active=True), name="membership_one_active"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member} ({self.get_source_display()})"


class ReviewExpertise(models.Model):
    """A committee member is a review expert 评审专家 of one KB category or one case category
    — and of every category below it in that tree (expertise covers subcategories: the
    experts of "资费" decide proposals filed under "资费 › 套餐变更" too).

    Only training managers and operations managers (or the admin) assign experts, never to
    themselves (review.services.expertise_assign). A row of a member whose membership ended
    stays, inert: only active members count as experts (review.selectors.expert_index)."""

    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="review_expertise",
        verbose_name=_("member"),
    )
    kb_category = models.ForeignKey(
        "knowledgebase.Category",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("knowledge-base category"),
    )
    case_category = models.ForeignKey(
        "casebase.CaseCategory",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("case category"),
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("assigned by"),
    )
    assigned_at = models.DateTimeField(_("assigned at"), auto_now_add=True)

    class Meta:
        verbose_name = _("review expertise")
        verbose_name_plural = _("review expertise")
        ordering = ["member__staff_id", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(kb_category__isnull=False, case_category__isnull=True)
                    | Q(kb_category__isnull=True, case_category__isnull=False)
                ),
                name="expertise_one_category",
            ),
            models.UniqueConstraint(
                fields=["member", "kb_category"],
                condition=Q(kb_category__isnull=False),
                name="expertise_once_per_kb_category",
            ),
            models.UniqueConstraint(
                fields=["member", "case_category"],
                condition=Q(case_category__isnull=False),
                name="expertise_once_per_case_category",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member} – {self.category}"

    @property
    def category(self):
        """The KB or case category (exactly one is set)."""
        return self.kb_category if self.kb_category_id else self.case_category


class CommitteeApplication(models.Model):
    """An employee's request to join the committee, with the figures it was judged on.

    The committee decides it through the review engine: ``proposal`` (kind
    "committee_application") is voted on like any proposal and ``status`` follows it
    (applied → accepted, rejected → declined, withdrawn or stale → withdrawn). Rows decided
    before that keep their ``decided_by``."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        WITHDRAWN = "withdrawn", _("Withdrawn or lapsed")

    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="committee_applications",
        verbose_name=_("applicant"),
    )
    statement = models.TextField(_("statement"), blank=True)
    level_snapshot = models.PositiveSmallIntegerField(_("level when applying"))
    pass_rate_snapshot = models.DecimalField(
        _("pass rate when applying (%)"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    proposal = models.OneToOneField(
        Proposal,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="committee_application",
        verbose_name=_("proposal"),
        help_text=_("The committee votes on the application through this proposal."),
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decision_comment = models.TextField(_("decision comment"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        verbose_name = _("committee application")
        verbose_name_plural = _("committee applications")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["applicant"], condition=Q(status="pending"), name="application_one_pending"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.applicant} ({self.get_status_display()})"


class ReviewEvent(models.Model):
    """Audit row for every state change of proposals and committee membership.

    The events passed to the owning apps' hooks: each "voted" event (ProposalKind.on_voted)
    names the reviewer, the decision and the validated approval fields; rewards are paid by
    the owning apps, never here.
    """

    class Kind(models.TextChoices):
        CREATED = "created", _("Proposal created")
        VOTED = "voted", _("Vote cast")
        APPLIED = "applied", _("Proposal applied")
        REJECTED = "rejected", _("Proposal rejected")
        STALE = "stale", _("Proposal outdated")
        WITHDRAWN = "withdrawn", _("Proposal withdrawn")
        MEMBER_APPOINTED = "member_appointed", _("Member appointed")
        MEMBER_REMOVED = "member_removed", _("Member removed")
        APPLICATION_SUBMITTED = "application_submitted", _("Application submitted")
        APPLICATION_ACCEPTED = "application_accepted", _("Application accepted")
        APPLICATION_DECLINED = "application_declined", _("Application declined")
        EXPERT_ASSIGNED = "expert_assigned", _("Review expert assigned")
        EXPERT_REMOVED = "expert_removed", _("Review expert removed")

    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
    )
    proposal = models.ForeignKey(
        Proposal,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="events",
        verbose_name=_("proposal"),
    )
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("employee concerned"),
    )
    data = models.JSONField(_("data"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("review event")
        verbose_name_plural = _("review events")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.proposal_id or ''}"


class CalibrationRound(models.Model):
    """A known-answer item: a training or operations manager picks a DECIDED proposal (applied
    or rejected) and shows it to chosen committee members as a normal item of their queue.

    Their answers are stored on CalibrationAssignment rows, never as Votes: the proposal was
    decided long ago and nothing about it changes (no apply, no points, no notification).
    ``expected`` is the committee's original decision (applied → approve, rejected → reject)."""

    proposal = models.ForeignKey(
        Proposal,
        on_delete=models.PROTECT,
        related_name="calibration_rounds",
        verbose_name=_("proposal"),
    )
    expected = models.CharField(
        _("committee's decision"), max_length=10, choices=Vote.Decision.choices
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("created by"),
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("calibration round")
        verbose_name_plural = _("calibration rounds")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"#{self.pk} · #{self.proposal_id}"


class CalibrationAssignment(models.Model):
    """One member's calibration item and, once answered, their decision. A member gets one
    proposal as a calibration item at most once (constraint), so the queue and the vote
    route find the one pending item without ambiguity."""

    round = models.ForeignKey(
        CalibrationRound,
        on_delete=models.CASCADE,
        related_name="assignments",
        verbose_name=_("calibration round"),
    )
    proposal = models.ForeignKey(
        Proposal, on_delete=models.PROTECT, related_name="+", verbose_name=_("proposal")
    )
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="calibration_items",
        verbose_name=_("member"),
    )
    decision = models.CharField(
        _("decision"), max_length=10, choices=Vote.Decision.choices, blank=True
    )
    comment = models.TextField(_("comment"), blank=True)
    extra = models.JSONField(_("approval details"), default=dict, blank=True)
    created_at = models.DateTimeField(_("shown since"), auto_now_add=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("calibration item")
        verbose_name_plural = _("calibration items")
        ordering = ["round", "member__staff_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["proposal", "member"], name="calibration_once_per_member"
            ),
            models.CheckConstraint(
                condition=Q(answered_at__isnull=True, decision="")
                | Q(answered_at__isnull=False, decision__in=["approve", "reject"]),
                name="calibration_answer_complete",
            ),
        ]
        indexes = [
            models.Index(fields=["member", "answered_at"], name="calibration_member_pending")
        ]

    def __str__(self) -> str:
        return f"{self.member} #{self.proposal_id}"

    @property
    def matched(self) -> bool | None:
        """True/False once answered: the member's decision equals the committee's."""
        if not self.answered_at:
            return None
        return self.decision == self.round.expected
