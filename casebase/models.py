"""Graded case libraries (DOMAIN.md §3): category tree, text cases (a tree of turns), voice
cases, studies, ratings, library caps, the history library and its audit trail.

Cases change only through applied review proposals (review engine, kinds "case_new" and
"case_revision") or directly by case maintainers (business managers, permission
"maintain_cases"; the admin uses the same services); each change raises ``version`` and
django-simple-history keeps every version of the case and of its nodes.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.storage import storages
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Count, F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords
from treebeard.mp_tree import MP_Node

from accounts.levels import CASE_LEVELS
from config.models import SingletonSettings

# Reading the history library: review experts and training managers (granted by migration).
VIEW_HISTORY = "casebase.view_history_library"
# The library health page: training managers and review experts (granted by migration).
VIEW_HEALTH = "casebase.view_library_health"
# Creating, revising and retiring cases directly, uploading recordings, deciding suggested
# calls and moderating reflections: business managers (granted by migration to operations
# managers; DOMAIN.md §4 "at first the operations department … add, delete and revise").
MAINTAIN_CASES = "casebase.maintain_cases"
LEVEL_CHOICES = [(n, str(n)) for n in CASE_LEVELS]
# Where recordings live inside their storage (the orphan sweep looks only here).
RECORDINGS_DIR = "casebase/audio/"


def recordings_storage():
    """The storage of case recordings: STORAGES["recordings"] (settings: the file system under
    MEDIA_ROOT, or S3-compatible object storage with RECORDINGS_STORAGE=s3). Recordings are
    never served from their storage's URL: casebase.views.recording checks who may hear one."""
    return storages["recordings"]


class CaseCategory(MP_Node):
    """A node of the category tree of non-business problems (情绪安抚, 投诉升级, …)."""

    code = models.SlugField(_("code"), max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)

    node_order_by = ["code"]

    class Meta:
        verbose_name = _("case category")
        verbose_name_plural = _("case categories")

    def __str__(self) -> str:
        return self.name


class CaseLibrarySettings(SingletonSettings):
    """Admin-editable numbers of the case libraries (one row, pk=1, seeded by migration)."""

    class PruneMode(models.TextChoices):
        MOVE = "move", _("Move to the history library at once")
        PROPOSE = "propose", _("Propose retirements for review experts to confirm")

    default_cap = models.PositiveIntegerField(
        _("default cap per level and category"),
        default=120,
        validators=[MinValueValidator(1)],
        help_text=_(
            "Active cases allowed per level and category unless a level cap row says otherwise."
        ),
    )
    target_per_level = models.PositiveIntegerField(
        _("target cases per level"),
        default=100,
        help_text=_(
            "Planned size of each level, split evenly into training and test cases (default 100: "
            "50 and 50). The library health page shows each set against its half; approvers "
            "grading a new case are steered to the set further below it."
        ),
    )
    prune_mode = models.CharField(
        _("pruning"),
        max_length=10,
        choices=PruneMode.choices,
        default=PruneMode.PROPOSE,
        help_text=_(
            "Default “propose”: the daily job lists the cases over each cap as retirement "
            "candidates and review experts decide (DOMAIN §3). “Move” is the explicit automatic "
            "option: the job moves them to the history library itself."
        ),
    )
    audio_max_bytes = models.PositiveIntegerField(
        _("largest audio file (bytes)"), default=20 * 1024 * 1024
    )
    audio_max_seconds = models.PositiveIntegerField(_("longest recording (seconds)"), default=900)
    max_pending_call_suggestions = models.PositiveSmallIntegerField(
        _("pending suggested calls per employee"),
        default=5,
        validators=[MinValueValidator(1), MaxValueValidator(50)],
        help_text=_(
            "How many suggested calls one employee may have waiting for a maintainer's decision "
            "(1–50)."
        ),
    )
    weight_study = models.PositiveSmallIntegerField(_("classicness weight of a study"), default=1)
    weight_exam_use = models.PositiveSmallIntegerField(
        _("classicness weight of an exam use"), default=2
    )
    weight_excellent = models.SmallIntegerField(
        _("classicness weight of an 'excellent' rating"), default=3
    )
    weight_average = models.SmallIntegerField(
        _("classicness weight of an 'average' rating"), default=1
    )
    weight_poor = models.SmallIntegerField(_("classicness weight of a 'poor' rating"), default=-2)

    class Meta:
        verbose_name = _("case library settings")
        verbose_name_plural = _("case library settings")

    def __str__(self) -> str:
        return str(_("Case library settings"))

    def training_target(self) -> int:
        """Planned training cases per level: half of target_per_level (rounded up)."""
        return (self.target_per_level + 1) // 2

    def test_target(self) -> int:
        """Planned test cases per level: the other half of target_per_level."""
        return self.target_per_level // 2


class LevelCap(models.Model):
    """A cap for one level and category that differs from the default cap."""

    level = models.PositiveSmallIntegerField(_("level"), choices=LEVEL_CHOICES)
    category = models.ForeignKey(
        CaseCategory, on_delete=models.CASCADE, related_name="caps", verbose_name=_("category")
    )
    cap = models.PositiveIntegerField(_("cap"), validators=[MinValueValidator(1)])

    class Meta:
        verbose_name = _("level cap")
        verbose_name_plural = _("level caps")
        ordering = ["level", "category__path"]
        constraints = [
            models.UniqueConstraint(fields=["level", "category"], name="levelcap_one_per_group")
        ]

    def __str__(self) -> str:
        return f"L{self.level} {self.category}: {self.cap}"

    @staticmethod
    def cap_for(level: int, category_id: int) -> int:
        """The cap of (level, category): its LevelCap row, else the settings' default cap."""
        row = (
            LevelCap.objects.filter(level=level, category_id=category_id)
            .values_list("cap", flat=True)
            .first()
        )
        return row if row is not None else CaseLibrarySettings.current().default_cap


def training_case_q(prefix: str = "") -> Q:
    """THE rule of a training case (an active case of the training set), as a Q on Case or,
    with ``prefix`` (e.g. "case__"), on a model that reaches Case through it."""
    return Q(**{f"{prefix}status": Case.Status.ACTIVE, f"{prefix}split": Case.Split.TRAINING})


class CaseQuerySet(models.QuerySet):
    def active(self):
        return self.filter(status=Case.Status.ACTIVE)

    def training(self):
        return self.filter(training_case_q())

    def testing(self):
        return self.active().filter(split=Case.Split.TEST)

    def with_indicators(self, config: "CaseLibrarySettings | None" = None):
        """Annotate studies_n, excellent_n, average_n, poor_n and ``classicness_score``
        (the formula of Case.classicness, computed in the database).

        Each count is a correlated subquery on its own table (served by the case_id indexes),
        not a JOIN of studies × ratings per case: joining both multiplies the rows of every
        case (12 studies × 8 ratings = 96) and made pruning 20,000 cases take ~30 s."""
        config = config or CaseLibrarySettings.current()

        def count(model, **conditions):
            rows = (
                model.objects.filter(case=OuterRef("pk"), **conditions)
                .order_by()
                .values("case")
                .annotate(n=Count("pk"))
                .values("n")
            )
            return Coalesce(Subquery(rows, output_field=models.IntegerField()), 0)

        qs = self.annotate(
            studies_n=count(CaseStudy),
            excellent_n=count(CaseRating, value=CaseRating.Value.EXCELLENT),
            average_n=count(CaseRating, value=CaseRating.Value.AVERAGE),
            poor_n=count(CaseRating, value=CaseRating.Value.POOR),
        )
        return qs.annotate(
            classicness_score=(
                F("studies_n") * config.weight_study
                + F("exam_uses") * config.weight_exam_use
                + F("excellent_n") * config.weight_excellent
                + F("average_n") * config.weight_average
                + F("poor_n") * config.weight_poor
            )
        )


class Case(models.Model):
    """A text case (a tree of CaseNode turns) or a voice case (a recording), graded into a
    level 1–5 and assigned to the training set (study) or the test set (exams)."""

    class Kind(models.TextChoices):
        TEXT = "text", _("Text case")
        VOICE = "voice", _("Voice case")

    class Split(models.TextChoices):
        TRAINING = "training", _("Training")
        TEST = "test", _("Test")

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        HISTORY = "history", _("History library")

    class Premise(models.TextChoices):
        SERVICE_DEFECT = "service_defect", _("CSR service defect")
        EMOTION_TURNED = "emotion_turned", _("CSR turned the customer's emotion around")

    kind = models.CharField(_("kind"), max_length=5, choices=Kind.choices, default=Kind.TEXT)
    title = models.CharField(_("title"), max_length=200)
    category = models.ForeignKey(
        CaseCategory, on_delete=models.PROTECT, related_name="cases", verbose_name=_("category")
    )
    level = models.PositiveSmallIntegerField(_("level"), choices=LEVEL_CHOICES, db_index=True)
    split = models.CharField(_("set"), max_length=8, choices=Split.choices, default=Split.TRAINING)
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.ACTIVE
    )
    background = models.TextField(
        _("background"), blank=True, help_text=_("The customer's situation, shown first.")
    )
    # voice cases
    audio = models.FileField(
        _("recording"), upload_to=RECORDINGS_DIR, storage=recordings_storage, blank=True
    )
    duration_seconds = models.PositiveIntegerField(_("duration (s)"), null=True, blank=True)
    premise = models.CharField(_("premise"), max_length=16, choices=Premise.choices, blank=True)
    emotion_grade = models.PositiveSmallIntegerField(
        _("emotional-problem grade"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
        help_text=_("1 = mild, 5 = severe."),
    )
    transcript = models.TextField(_("transcript and notes"), blank=True)
    # exam blueprint: which competency items the case tests (promotion.blueprint)
    competencies = models.ManyToManyField(
        "competency.CompetencyItem",
        blank=True,
        related_name="cases",
        verbose_name=_("competency items"),
        help_text=_(
            "The competency items this case tests. Exams follow the candidate's position weights "
            "over these tags; an untagged case fills the remaining places."
        ),
    )
    # bookkeeping
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="authored_cases",
        verbose_name=_("author"),
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    exam_uses = models.PositiveIntegerField(
        _("exam uses"),
        default=0,
        editable=False,
        help_text=_(
            "Times the case was drawn into an exam (counted when the exam starts); exams draw the "
            "least-drawn test cases first."
        ),
    )
    created_at = models.DateTimeField(_("entered at"), default=timezone.now)
    revised_at = models.DateTimeField(_("latest accepted revision"), null=True, blank=True)
    retired_at = models.DateTimeField(_("moved to history at"), null=True, blank=True)

    objects = CaseQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["exam_uses"])

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["level", "category__path", "title", "pk"]
        indexes = [
            models.Index(fields=["status", "split", "level"], name="case_status_split_level")
        ]
        # Granted by migration to the Reviewer, Operations manager and Training manager groups.
        permissions = [
            ("view_history_library", "Can read the history library"),
            ("view_library_health", "Can see the library health"),
            ("maintain_cases", "Can create, revise and retire cases directly"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_text(self) -> bool:
        return self.kind == self.Kind.TEXT

    def recording_url(self) -> str:
        """Where the recording is heard: the permission-checked view (casebase.views.recording),
        never the storage's URL; "" when the case has none."""
        from django.urls import reverse

        return reverse("casebase:recording", args=[self.pk]) if self.audio else ""

    def constant_since(self) -> datetime:
        """When the case last changed: its latest accepted revision, else its entry time."""
        return self.revised_at or self.created_at

    def constant_time(self, now: datetime | None = None) -> timedelta:
        """恒定时间: how long the case has been unchanged — ``now`` (default: the current
        time) minus the latest accepted revision, or minus the entry time if it was never
        revised. Never negative (a clock set back returns zero)."""
        return max((now or timezone.now()) - self.constant_since(), timedelta(0))

    def classicness(self, config: CaseLibrarySettings | None = None) -> int:
        """经典度, an integer (may be negative):

            weight_study·studies + weight_exam_use·exam_uses
            + weight_excellent·excellent + weight_average·average + weight_poor·poor

        where studies counts employees who marked the case studied, exam_uses how often the
        promotion engine drew it into an exam (counted when the exam starts, so abandoned and
        expired attempts count: the examinee saw the case), and excellent/average/poor the ratings
        (one per employee). Weights live in CaseLibrarySettings (defaults 1, 2, 3, 1, −2). Uses
        the annotations of CaseQuerySet.with_indicators() when present, else queries."""
        if hasattr(self, "classicness_score"):
            return self.classicness_score
        ratings = dict(self.ratings.values_list("value").annotate(n=Count("pk")))
        return self.classicness_of(studies=self.studies.count(), ratings=ratings, config=config)

    def classicness_of(
        self, *, studies: int, ratings: dict[str, int], config: CaseLibrarySettings | None = None
    ) -> int:
        """The formula of ``classicness`` over counts already read: ``studies`` and
        {rating value: count}."""
        config = config or CaseLibrarySettings.current()
        return (
            studies * config.weight_study
            + self.exam_uses * config.weight_exam_use
            + ratings.get(CaseRating.Value.EXCELLENT, 0) * config.weight_excellent
            + ratings.get(CaseRating.Value.AVERAGE, 0) * config.weight_average
            + ratings.get(CaseRating.Value.POOR, 0) * config.weight_poor
        )


class CaseNode(models.Model):
    """One turn of a text case. Customer turns and CSR replies alternate; several replies
    under one customer turn are the alternatives of a decision point (exactly one is_best);
    several customer turns under one reply are follow-up branches. Leaves record the
    outcome and the customer's final state. Validity: casebase.tree.validate_tree()."""

    class Role(models.TextChoices):
        CUSTOMER = "customer", _("Customer")
        CSR = "csr", _("CSR reply")

    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="nodes", verbose_name=_("case")
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent"),
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    role = models.CharField(_("role"), max_length=8, choices=Role.choices)
    text = models.TextField(_("text"))
    emotion = models.CharField(_("customer emotion"), max_length=100, blank=True)
    thinking = models.CharField(_("customer thinking"), max_length=300, blank=True)
    rationales = models.JSONField(
        _("rationales"),
        default=list,
        blank=True,
        help_text=_("The reply's rationales (出发点/考虑因素), most important first."),
    )
    is_best = models.BooleanField(_("best reply"), default=False)
    outcome = models.CharField(_("outcome"), max_length=300, blank=True)
    final_state = models.CharField(_("customer's final state"), max_length=200, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("case node")
        verbose_name_plural = _("case nodes")
        ordering = ["case", "order", "pk"]

    def __str__(self) -> str:
        return f"{self.get_role_display()}: {self.text[:40]}"

    def main_rationale(self) -> str | None:
        """The most important rationale of a reply, None for customer turns or none given."""
        return self.rationales[0] if self.rationales else None


class CaseStudy(models.Model):
    """An employee marked a case as studied (once per employee and case)."""

    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="studies", verbose_name=_("case")
    )
    employee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="case_studies",
        verbose_name=_("employee"),
    )
    studied_at = models.DateTimeField(_("studied at"), default=timezone.now)

    class Meta:
        verbose_name = _("case study")
        verbose_name_plural = _("case studies")
        ordering = ["-studied_at"]
        constraints = [
            models.UniqueConstraint(fields=["employee", "case"], name="casestudy_one_per_employee")
        ]

    def __str__(self) -> str:
        return f"{self.employee} – {self.case}"


class CaseRating(models.Model):
    """An employee's rating of a case: one row per employee and case, written once and never
    changed (一人一案只能评价一次). casebase.services.study.case_rate is the only writer; save()
    refuses to update an existing row."""

    class Value(models.TextChoices):
        EXCELLENT = "excellent", _("Excellent")
        AVERAGE = "average", _("Average")
        POOR = "poor", _("Poor")

    # Indexed by (case, value) below, which serves every lookup by case as well.
    case = models.ForeignKey(
        Case,
        on_delete=models.CASCADE,
        related_name="ratings",
        verbose_name=_("case"),
        db_index=False,
    )
    employee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="case_ratings",
        verbose_name=_("employee"),
    )
    value = models.CharField(_("rating"), max_length=10, choices=Value.choices)
    rated_at = models.DateTimeField(_("rated at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("case rating")
        verbose_name_plural = _("case ratings")
        ordering = ["-rated_at"]
        constraints = [
            models.UniqueConstraint(fields=["employee", "case"], name="caserating_one_per_employee")
        ]
        # The study page counts a case's ratings per value (classicness) from the index alone:
        # with the case's index only, each of a case's ratings was a heap read (5 ms of the
        # database's time per page on the benchmark's 280,000 ratings).
        indexes = [models.Index(fields=["case", "value"], name="caserating_case_value")]

    def __str__(self) -> str:
        return f"{self.employee} – {self.case}: {self.get_value_display()}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise TypeError("A case rating is final; it cannot be changed.")
        super().save(*args, **kwargs)


class RetirementCandidate(models.Model):
    """A case the pruning job proposes to move to the history library (prune mode
    "propose"); a review expert confirms or dismisses it."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        CONFIRMED = "confirmed", _("Confirmed")
        DISMISSED = "dismissed", _("Dismissed")

    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="retirement_candidates", verbose_name=_("case")
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    classicness_snapshot = models.IntegerField(_("classicness when proposed"))
    constant_days_snapshot = models.PositiveIntegerField(_("constant time when proposed (days)"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        verbose_name = _("retirement candidate")
        verbose_name_plural = _("retirement candidates")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["case"], condition=Q(status="pending"), name="retirement_one_pending"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case} ({self.get_status_display()})"


class CaseEvent(models.Model):
    """Audit row for every important change of a case (written by case_event_record)."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Case created")
        REVISED = "revised", _("Case revised")
        RETIRED = "retired", _("Moved to the history library")
        RETIREMENT_PROPOSED = "retirement_proposed", _("Retirement proposed")
        RETIREMENT_DISMISSED = "retirement_dismissed", _("Retirement dismissed")
        EXAM_USE = "exam_use", _("Used in an exam")
        REGRADED = "regraded", _("Level or set changed")

    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices, db_index=True)
    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="events", verbose_name=_("case")
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
    )
    data = models.JSONField(_("data"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("case event")
        verbose_name_plural = _("case events")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} – {self.case_id}"


class CaseExposure(models.Model):
    """``employee`` was shown a case in full outside an exam: a TEST case (or its recording)
    on the history page or the recording view, or a case proposal's content on the proposal
    pages (``proposal``; the case it becomes is its target). Written by
    casebase.services.exam_use.case_exposure_record; casebase.selectors.cases_known_to reads it, so
    an exam never draws a case its examinee has seen in full."""

    employee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="case_exposures",
        verbose_name=_("employee"),
    )
    case = models.ForeignKey(
        Case,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="exposures",
        verbose_name=_("case"),
    )
    proposal = models.ForeignKey(
        "review.Proposal",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="case_exposures",
        verbose_name=_("proposal"),
    )
    first_seen_at = models.DateTimeField(_("first seen at"), default=timezone.now)

    class Meta:
        verbose_name = _("case exposure")
        verbose_name_plural = _("case exposures")
        ordering = ["-first_seen_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(case__isnull=False) | Q(proposal__isnull=False),
                name="caseexposure_case_or_proposal",
            ),
            models.UniqueConstraint(
                fields=["employee", "case"],
                condition=Q(case__isnull=False),
                name="caseexposure_one_per_case",
            ),
            models.UniqueConstraint(
                fields=["employee", "proposal"],
                condition=Q(proposal__isnull=False),
                name="caseexposure_one_per_proposal",
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.employee_id} saw case {self.case_id or '-'} / proposal "
            f"{self.proposal_id or '-'}"
        )


class CallSuggestion(models.Model):
    """A CSR suggests a real call as a voice case by its reference (never the recording: only
    maintainers upload recordings); a maintainer accepts or declines it."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")

    call_ref = models.CharField(
        _("call reference"),
        max_length=100,
        help_text=_(
            "The call's reference in the call-recording system (never a customer's number)."
        ),
    )
    reason = models.TextField(_("why this call"), max_length=2000)
    suggested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="call_suggestions",
        verbose_name=_("suggested by"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    created_at = models.DateTimeField(_("suggested at"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.CharField(_("decision note"), max_length=300, blank=True)
    case = models.ForeignKey(
        Case,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="call_suggestions",
        verbose_name=_("voice case made from it"),
    )

    class Meta:
        verbose_name = _("suggested call")
        verbose_name_plural = _("suggested calls")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["call_ref"],
                condition=Q(status="pending"),
                name="callsuggestion_one_pending_per_call",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.call_ref} ({self.get_status_display()})"


class CaseReflection(models.Model):
    """员工体会: a CSR who studied a voice case writes what they took from it. Moderated
    before anyone else sees it: pending until a maintainer or training manager approves it
    (the text is about a real customer's call), or hidden by them."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting moderation")
        APPROVED = "approved", _("Shown")
        HIDDEN = "hidden", _("Hidden")

    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="reflections", verbose_name=_("case")
    )
    employee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="case_reflections",
        verbose_name=_("employee"),
    )
    text = models.TextField(_("reflection"), max_length=3000)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    created_at = models.DateTimeField(_("written at"), default=timezone.now)
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("moderated by"),
    )
    moderated_at = models.DateTimeField(_("moderated at"), null=True, blank=True)

    class Meta:
        verbose_name = _("reflection")
        verbose_name_plural = _("reflections")
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["employee", "case"], name="casereflection_one_per_employee"
            )
        ]

    def __str__(self) -> str:
        return f"{self.employee} – {self.case_id}"


class CaseCommentary(models.Model):
    """培训师点评: the one current trainer's commentary of a voice case, written by training
    managers or review experts; django-simple-history keeps every earlier text."""

    case = models.OneToOneField(
        Case, on_delete=models.CASCADE, related_name="commentary", verbose_name=_("case")
    )
    text = models.TextField(_("trainer's commentary"), max_length=5000)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("written by"),
    )
    updated_at = models.DateTimeField(_("written at"), default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("trainer's commentary")
        verbose_name_plural = _("trainer's commentaries")

    def __str__(self) -> str:
        return f"{self.case_id}: {self.text[:40]}"


class CaseCitation(models.Model):
    """A case cites a knowledge-base entry: its replies rest on that answer script. When the
    entry changes (knowledgebase.services, EntryChange), the case is flagged for the review
    experts of its category (knowledgebase.models.StaleFlag). Kept in admin and on the case's
    edit page (casebase.services.maintenance.case_citations_set)."""

    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="citations", verbose_name=_("case")
    )
    entry = models.ForeignKey(
        "knowledgebase.Entry",
        on_delete=models.CASCADE,
        related_name="case_citations",
        verbose_name=_("knowledge-base entry"),
    )
    created_at = models.DateTimeField(_("cited since"), default=timezone.now)

    class Meta:
        verbose_name = _("cited entry")
        verbose_name_plural = _("cited entries")
        ordering = ["case", "entry"]
        constraints = [
            models.UniqueConstraint(fields=["case", "entry"], name="casecitation_once_per_entry")
        ]

    def __str__(self) -> str:
        return f"{self.case_id} → {self.entry_id}"
