"""Points (DOMAIN.md §5): an append-only ledger of awards and deductions, the rules that say
how much each action is worth, and three sources owned by this app — rationalisation
proposals (合理化建议), QC topics (QC 课题) and weekly volunteer sheets.

Balances are sums over the ledger; a row is never edited or deleted, a correction is a new
row (a reversal or a manual correction). Every row has a unique ``source`` key, so paying
the same thing twice is impossible even when a task is retried or a button double-clicked.
"""

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from config.errors import ValidationFailedError
from config.models import SingletonSettings
from config.template_filters import localized_value

# The hard bound of any one amount (a rule's bounds, a ledger row): far above every rule of
# DOMAIN.md §5, far below the database integer (2,147,483,647), so a typed or uploaded number
# is refused with a message long before it could overflow an INSERT.
AMOUNT_LIMIT = 100_000
MAX_REVIEW_POINTS_DAILY_CAP = 1000
MSG_AMOUNT_BEYOND_LIMIT = gettext_noop("The amount must lie between -%(limit)s and %(limit)s.")


def amount_validators() -> list:
    return [MinValueValidator(-AMOUNT_LIMIT), MaxValueValidator(AMOUNT_LIMIT)]


class PointsSettings(SingletonSettings):
    """Admin-editable numbers of the points app (one row, pk=1)."""

    sheet_confirmation_threshold = models.PositiveIntegerField(
        _("volunteer-sheet total needing a second manager"),
        default=1000,
        validators=[MaxValueValidator(AMOUNT_LIMIT)],
        help_text=_(
            "Default 1,000, at most 100,000: a volunteer sheet whose total points, added to those "
            "of the importer's other sheets of the last 7 days that paid without a second manager, "
            "are above this is stored as pending and pays nothing until a second manager — not the "
            "importer, not anyone the sheet pays — confirms it (or rejects it). 0: every sheet "
            "needs a second manager."
        ),
    )

    correction_limit_30_days = models.PositiveIntegerField(
        _("one manager's corrections for one employee in 30 days"),
        default=400,
        validators=[MaxValueValidator(AMOUNT_LIMIT)],
        help_text=_(
            "Default 400, at most 100,000: the positive manual corrections one manager makes for "
            "one employee add up to at most this many points in any 30 days; beyond it another "
            "manager decides. Each correction stays within the “manual correction” rule's range."
        ),
    )

    review_points_daily_cap = models.PositiveIntegerField(
        _("review points per member per day"),
        default=50,
        validators=[MaxValueValidator(MAX_REVIEW_POINTS_DAILY_CAP)],
        help_text=_(
            "Default 50, at most 1,000: a committee member's review points (KB review 5, case "
            "review 20, paid only when the proposal was decided the way the member voted) stop for "
            "the day (Asia/Shanghai) once a vote would take them above this; 0 pays no review "
            "points."
        ),
    )

    class Meta:
        verbose_name = _("points settings")
        verbose_name_plural = _("points settings")

    def __str__(self) -> str:
        return str(_("Points settings"))


class AmountInvalid(ValidationFailedError):
    """A chosen amount was refused (not a whole number, zero, outside the rule's range):
    forms and the API show it on their amount field."""

    field = "amount"


class PointRule(models.Model):
    """How many points one kind of action is worth (admin-editable, seeded with DOMAIN.md §5).

    A fixed amount has min = max = default; a range lets the reviewer/manager choose within
    min..max (default used when nobody chose). Every rule has a maximum (a QC topic's points
    per member, a volunteer-sheet row and a manual correction included); an empty minimum
    means -AMOUNT_LIMIT. No bound lies beyond ±AMOUNT_LIMIT (checked by the database too).
    """

    # Codes the code refers to (rows are seeded by migration 0002).
    CASE_CREATED = "case_created"
    CASE_REVISED = "case_revised"
    QUALITY_CASE_PARTICIPANT = "quality_case_participant"
    QUALITY_CASE_OUTSTANDING = "quality_case_outstanding"
    KB_REVISION_ACCEPTED = "kb_revision_accepted"
    COMMITTEE_KB_REVIEW = "committee_kb_review"
    COMMITTEE_CASE_REVIEW = "committee_case_review"
    MENTOR_LEVEL_UP = "mentor_level_up"
    RATIONALISATION_REASONABLE = "rationalisation_reasonable"
    RATIONALISATION_FEASIBLE = "rationalisation_feasible"
    QC_TOPIC_COMPLETED = "qc_topic_completed"
    VOLUNTEER_SHEET = "volunteer_sheet"
    MANUAL_CORRECTION = "manual_correction"
    # Training incentives (培训激励), seeded switched off by migration 0010.
    PRIORITY_COURSE_COMPLETED = "priority_course_completed"
    MAP_STAGE_COMPLETED = "map_stage_completed"

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    min_amount = models.IntegerField(
        _("minimum amount"),
        null=True,
        blank=True,
        validators=amount_validators(),
        help_text=_(
            "Empty: no minimum of its own (manual corrections may deduct). Where committee members "
            "choose the amount (defaults: KB revision 2–5, new case 20–50, case revision 5–20, "
            "quality-case contributor 5–10), each approving member must give one within "
            "minimum–maximum; the award is the lower median of their choices."
        ),
    )
    max_amount = models.IntegerField(
        _("maximum amount"),
        validators=amount_validators(),
        help_text=_(
            "Required: no single payment under this rule may exceed it. Defaults: DOMAIN §5's "
            "upper bounds; 200 per member for a QC topic and ±200 for a manual correction (the "
            "largest single award in §5, a mentor's or a feasible proposal's); 50 per "
            "volunteer-sheet row (one person's help on one day is worth at most an accepted new "
            "case). Never above 100,000."
        ),
    )
    default_amount = models.IntegerField(
        _("default amount"),
        null=True,
        blank=True,
        validators=amount_validators(),
        help_text=_(
            "Paid when nobody chose an amount (fixed rules such as committee reviews 5/20 and the "
            "one outstanding quality-case contributor 60, or votes cast before amounts were "
            "required); empty when an amount must always be given."
        ),
    )
    active = models.BooleanField(
        _("rule in use"), default=True, help_text=_("Inactive rules pay nothing.")
    )

    class Meta:
        verbose_name = _("point rule")
        verbose_name_plural = _("point rules")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(max_amount__gte=-AMOUNT_LIMIT, max_amount__lte=AMOUNT_LIMIT),
                name="pointrule_max_within_limit",
            ),
            models.CheckConstraint(
                condition=Q(min_amount__isnull=True)
                | Q(min_amount__gte=-AMOUNT_LIMIT, min_amount__lte=F("max_amount")),
                name="pointrule_min_within_limit",
            ),
            models.CheckConstraint(
                condition=Q(default_amount__isnull=True)
                | (
                    Q(default_amount__gte=-AMOUNT_LIMIT, default_amount__lte=F("max_amount"))
                    & (Q(min_amount__isnull=True) | Q(default_amount__gte=F("min_amount")))
                ),
                name="pointrule_default_within_range",
            ),
        ]

    def __str__(self) -> str:
        return localized_value(self, "name")

    def clean(self):
        super().clean()
        if (
            self.min_amount is not None
            and self.max_amount is not None
            and self.min_amount > self.max_amount
        ):
            raise ValidationError({"max_amount": _("The maximum must not be below the minimum.")})
        if self.default_amount is not None and not self.allows(self.default_amount):
            raise ValidationError(
                {"default_amount": _("The default amount must lie within the range.")}
            )

    def allows(self, amount: int) -> bool:
        """True when ``amount`` lies within min..max (an empty minimum means -AMOUNT_LIMIT)."""
        low = -AMOUNT_LIMIT if self.min_amount is None else self.min_amount
        high = AMOUNT_LIMIT if self.max_amount is None else min(self.max_amount, AMOUNT_LIMIT)
        return low <= amount <= high

    def range_display(self) -> str:
        """ "20–50", "5" or "≤ 200" (no minimum of its own) for lists and error messages."""
        lo, hi = self.min_amount, self.max_amount
        if lo is None:
            return f"≤ {hi}"
        return str(lo) if lo == hi else f"{lo}–{hi}"

    def resolve_amount(self, amount: int | None) -> int:
        """The amount to pay: ``amount`` if given, else the default. Raises ValidationError
        with an exact message when no amount can be chosen or it lies outside the range (or
        is zero: a ledger row always moves the balance)."""
        if amount is None:
            amount = self.default_amount
        if amount is None:
            raise AmountInvalid(gettext("Choose an amount for “%(rule)s”.") % {"rule": self.name})
        if isinstance(amount, bool) or not isinstance(amount, int):
            raise AmountInvalid(gettext("The amount must be a whole number."))
        if amount == 0:
            raise AmountInvalid(gettext("The amount must not be zero."))
        if not self.allows(amount):
            raise AmountInvalid(
                gettext(
                    "The amount for “%(rule)s” must be within %(range)s; %(amount)s is outside."
                )
                % {"rule": self.name, "range": self.range_display(), "amount": amount}
            )
        return amount


class AppendOnlyQuerySet(models.QuerySet):
    """Bulk updates and deletes are refused: the ledger only grows."""

    def update(self, **kwargs):
        raise TypeError("Points entries are append-only; write a reversing entry instead.")

    def delete(self):
        raise TypeError("Points entries are append-only; write a reversing entry instead.")


class PointsEntryQuerySet(AppendOnlyQuerySet):
    def balance(self) -> int:
        """Sum of the amounts of these entries (0 when there are none)."""
        return self.aggregate(total=models.Sum("amount"))["total"] or 0


# Why the system paid an entry: a code stored on the row (note_code + note_params), rendered
# in the reader's language by PointsEntry.note_display(). A person's own note stays in ``note``.
NOTE_REVIEW_VOTE = "review_vote"
NOTE_MESSAGES = {
    NOTE_REVIEW_VOTE: gettext_noop("Review of proposal #%(proposal)s (%(kind)s)"),
}
# Rows written before the codes existed: "#6 kb_revision" (a reviewer's reward).
_LEGACY_REVIEW_NOTE = re.compile(r"^#(?P<proposal>\d+) (?P<kind>[a-z_]+)$")


def _proposal_kind_label(code: str) -> str:
    from review.registry import kinds  # review owns the proposal kinds; points only names them

    kind = kinds().get(code)
    return str(kind.label) if kind else code


class PointsEntry(models.Model):
    """One award or deduction. Never changed after it is written (save() refuses updates)."""

    employee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="points_entries",
        verbose_name=_("employee"),
    )
    amount = models.IntegerField(_("amount"))
    rule = models.ForeignKey(
        PointRule, on_delete=models.PROTECT, related_name="entries", verbose_name=_("rule")
    )
    source = models.CharField(
        _("source"),
        max_length=120,
        help_text=_("Unique key of what was paid for, e.g. kb-revision:123:proposer."),
    )
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("granted by"),
        help_text=_("Empty for awards made by the system."),
    )
    note = models.TextField(_("note"), blank=True)
    note_code = models.CharField(
        _("note code"),
        max_length=40,
        blank=True,
        help_text=_("Why the system paid it; shown in the reader's language."),
    )
    note_params = models.JSONField(_("note parameters"), default=dict, blank=True)
    reverses = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reversed_by",
        verbose_name=_("reverses"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)

    objects = PointsEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("points entry")
        verbose_name_plural = _("points entries")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["source"], name="points_entry_unique_source"),
            models.CheckConstraint(condition=~Q(amount=0), name="points_entry_amount_not_zero"),
        ]
        indexes = [models.Index(fields=["employee", "created_at"], name="points_employee_created")]
        permissions = [("correct_entries", _("Can add correcting and reversing points entries"))]

    def __str__(self) -> str:
        return f"{self.employee} {self.amount:+d} ({self.source})"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise TypeError("Points entries are append-only; write a reversing entry instead.")
        # The last check before the INSERT (services check the rule's range first). Not a
        # database constraint: rows written before the limit existed cannot be changed.
        if (
            isinstance(self.amount, bool)
            or not isinstance(self.amount, int)
            or abs(self.amount) > AMOUNT_LIMIT
        ):
            raise AmountInvalid(gettext(MSG_AMOUNT_BEYOND_LIMIT) % {"limit": AMOUNT_LIMIT})
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("Points entries are append-only; write a reversing entry instead.")

    def note_display(self) -> str:
        """The note in the current language: the coded reason (NOTE_MESSAGES) when there is
        one, a legacy "#6 kb_revision" note rendered the same way, else the note as written."""
        code, params = self.note_code, dict(self.note_params or {})
        if not code:
            legacy = _LEGACY_REVIEW_NOTE.match(self.note or "")
            if legacy:
                code, params = (
                    NOTE_REVIEW_VOTE,
                    {"proposal": legacy["proposal"], "kind": legacy["kind"]},
                )
        msgid = NOTE_MESSAGES.get(code)
        if msgid is None:
            return self.note
        if code == NOTE_REVIEW_VOTE:
            params["kind"] = _proposal_kind_label(params.get("kind", ""))
        try:
            return gettext(msgid) % params
        except (KeyError, TypeError, ValueError):
            return self.note


class PointsEvent(models.Model):
    """Audit row for every state change of this app besides the ledger rows themselves
    (proposal submitted/judged, topic published, group claimed/completed, sheet imported,
    entry reversed, manual correction)."""

    class Kind(models.TextChoices):
        PROPOSAL_SUBMITTED = "proposal_submitted", _("Proposal submitted")
        PROPOSAL_JUDGED = "proposal_judged", _("Proposal judged")
        TOPIC_PUBLISHED = "topic_published", _("QC topic published")
        GROUP_CLAIMED = "group_claimed", _("QC topic claimed")
        GROUP_COMPLETED = "group_completed", _("QC topic completed")
        SHEET_IMPORTED = "sheet_imported", _("Volunteer sheet imported")
        SHEET_CONFIRMED = "sheet_confirmed", _("Volunteer sheet confirmed")
        SHEET_REJECTED = "sheet_rejected", _("Volunteer sheet rejected")
        ENTRY_REVERSED = "entry_reversed", _("Entry reversed")
        MANUAL_CORRECTION = "manual_correction", _("Manual correction")
        REVIEW_POINTS_CAPPED = (
            "review_points_capped",
            _("Review points above the daily cap (not paid)"),
        )

    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
    )
    data = models.JSONField(_("data"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("points event")
        verbose_name_plural = _("points events")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.get_kind_display()


class RationalisationProposal(models.Model):
    """A rationalisation proposal (合理化建议): submitted by an employee, judged by a manager."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Awaiting judgement")
        REJECTED = "rejected", _("Rejected")
        REASONABLE = "reasonable", _("Reasonable")
        FEASIBLE = "feasible", _("Feasible")

    proposer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="rationalisation_proposals",
        verbose_name=_("proposer"),
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"))
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.SUBMITTED, db_index=True
    )
    amount = models.IntegerField(_("points awarded"), null=True, blank=True)
    judged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("judged by"),
    )
    judge_comment = models.TextField(_("judge's comment"), blank=True)
    judged_at = models.DateTimeField(_("judged at"), null=True, blank=True)
    entry = models.OneToOneField(
        PointsEntry,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("points entry"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("rationalisation proposal")
        verbose_name_plural = _("rationalisation proposals")
        ordering = ["-created_at", "-pk"]
        permissions = [("judge_proposals", _("Can judge rationalisation proposals"))]

    def __str__(self) -> str:
        return self.title

    @property
    def source_key(self) -> str:
        return f"rationalisation:{self.pk}"


class QCTopic(models.Model):
    """A published QC topic (QC 课题) groups of 3–5 employees may claim (at most max_groups)."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    points_per_member = models.PositiveIntegerField(
        _("points per member"),
        validators=[MinValueValidator(1), MaxValueValidator(AMOUNT_LIMIT)],
        help_text=_("Within the range of the point rule “QC topic completed”."),
    )
    max_groups = models.PositiveSmallIntegerField(
        _("maximum groups"), default=3, validators=[MinValueValidator(1)]
    )
    min_group_size = models.PositiveSmallIntegerField(
        _("minimum group size"), default=3, validators=[MinValueValidator(1)]
    )
    max_group_size = models.PositiveSmallIntegerField(
        _("maximum group size"), default=5, validators=[MinValueValidator(1)]
    )
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.OPEN
    )
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("published by"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("QC topic")
        verbose_name_plural = _("QC topics")
        ordering = ["-created_at", "-pk"]
        permissions = [("manage_qc_topics", _("Can publish QC topics and mark them completed"))]
        constraints = [
            models.CheckConstraint(
                condition=Q(min_group_size__lte=models.F("max_group_size")),
                name="qctopic_group_size_range",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self):
        super().clean()
        if (
            self.min_group_size
            and self.max_group_size
            and self.min_group_size > self.max_group_size
        ):
            raise ValidationError(
                {"max_group_size": _("The maximum group size must not be below the minimum.")}
            )


class QCGroup(models.Model):
    """A self-formed group that claimed a topic; completion pays every member."""

    class Status(models.TextChoices):
        CLAIMED = "claimed", _("Working on it")
        COMPLETED = "completed", _("Completed")

    topic = models.ForeignKey(
        QCTopic, on_delete=models.PROTECT, related_name="groups", verbose_name=_("QC topic")
    )
    name = models.CharField(_("group name"), max_length=100)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("created by"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.CLAIMED
    )
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("completion confirmed by"),
    )
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("QC group")
        verbose_name_plural = _("QC groups")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.name} – {self.topic}"

    def source_key(self, employee_id: int) -> str:
        return f"qc:{self.pk}:{employee_id}"


class QCGroupMember(models.Model):
    group = models.ForeignKey(
        QCGroup, on_delete=models.CASCADE, related_name="members", verbose_name=_("group")
    )
    # Denormalised so the database refuses one employee in two groups of the same topic.
    topic = models.ForeignKey(
        QCTopic, on_delete=models.PROTECT, related_name="+", verbose_name=_("QC topic")
    )
    employee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="qc_memberships",
        verbose_name=_("employee"),
    )

    class Meta:
        verbose_name = _("QC group member")
        verbose_name_plural = _("QC group members")
        ordering = ["group", "employee__staff_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["topic", "employee"], name="qcmember_one_group_per_topic"
            ),
        ]

    def __str__(self) -> str:
        return str(self.employee)


class VolunteerSheet(models.Model):
    """One imported weekly volunteer sheet from the canteen.

    A sheet is recognised by its rows, not its bytes: ``fingerprint`` (unique) is the
    SHA-256 of its normalised rows (points.sheets.sheet_fingerprint: staff ID, date, hours,
    points; order, CSV/XLSX, line endings, BOM and notes do not matter), so the same sheet
    re-saved or re-exported is refused. Each paid row is also unique on its own (one person,
    one day: see points.services.volunteer_sheet_import).

    A sheet whose total is above PointsSettings.sheet_confirmation_threshold is stored
    PENDING (its rows without ledger entries) until a second manager confirms it (PAID) or
    rejects it (REJECTED: nothing is ever paid; its people's days may come on another sheet)."""

    class Status(models.TextChoices):
        PAID = "paid", _("Paid")
        PENDING = "pending", _("Awaiting a second manager")
        REJECTED = "rejected", _("Rejected")

    file_name = models.CharField(_("file name"), max_length=200)
    fingerprint = models.CharField(
        _("rows fingerprint"),
        max_length=64,
        unique=True,
        help_text=_(
            "SHA-256 of the sheet's normalised rows; the same rows are never imported twice."
        ),
    )
    sha256 = models.CharField(_("SHA-256 of the file"), max_length=64, db_index=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("imported by"),
    )
    imported_at = models.DateTimeField(_("imported at"), default=timezone.now)
    row_count = models.PositiveIntegerField(_("rows"), default=0)
    total_points = models.IntegerField(_("total points"), default=0)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PAID, db_index=True
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("confirmed or rejected by"),
        help_text=_("Empty for sheets paid at import."),
    )
    decided_at = models.DateTimeField(_("confirmed or rejected at"), null=True, blank=True)
    decision_note = models.TextField(_("reason for rejecting"), blank=True)

    class Meta:
        verbose_name = _("volunteer sheet")
        verbose_name_plural = _("volunteer sheets")
        ordering = ["-imported_at", "-pk"]
        permissions = [("import_volunteer_sheets", _("Can import volunteer sheets"))]

    def __str__(self) -> str:
        return self.file_name


class VolunteerSheetRow(models.Model):
    sheet = models.ForeignKey(
        VolunteerSheet, on_delete=models.PROTECT, related_name="rows", verbose_name=_("sheet")
    )
    line = models.PositiveIntegerField(_("line"))
    employee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("employee"),
    )
    hours = models.DecimalField(_("hours"), max_digits=6, decimal_places=2)
    points = models.PositiveIntegerField(_("points"))
    # Required on every row imported since rows are recognised by person and day; empty only
    # on rows imported before that.
    date = models.DateField(_("date"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    # Empty while the sheet awaits a second manager's confirmation, and for ever when it was
    # rejected.
    entry = models.OneToOneField(
        PointsEntry,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("entry"),
    )

    class Meta:
        verbose_name = _("volunteer sheet row")
        verbose_name_plural = _("volunteer sheet rows")
        ordering = ["sheet", "line"]
        constraints = [
            models.UniqueConstraint(fields=["sheet", "line"], name="volunteer_row_unique_line")
        ]

    def __str__(self) -> str:
        return f"{self.sheet} #{self.line}"
