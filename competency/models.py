from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Position


class CompetencyKind(models.TextChoices):
    """Spencer & Spencer (1993) kinds of competency."""

    MOTIVE = "motive", _("Motive")
    TRAIT = "trait", _("Trait")
    SELF_CONCEPT = "self_concept", _("Self-concept")
    KNOWLEDGE = "knowledge", _("Knowledge")
    SKILL = "skill", _("Skill")


class KSAO(models.TextChoices):
    """Dictionary sections. "Other characteristics" are employee attributes (accounts.User)."""

    KNOWLEDGE = "K", _("Knowledge")
    SKILL = "S", _("Skills")
    ATTITUDE = "A", _("Attitude")


class CompetencyModule(models.Model):
    """A core competency module (核心素质模块): service, marketing, management."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("competency module")
        verbose_name_plural = _("competency modules")
        ordering = ["order", "code"]

    def __str__(self) -> str:
        return self.name


class CompetencyItem(models.Model):
    """An entry of the competency dictionary (素质模型辞典)."""

    module = models.ForeignKey(
        CompetencyModule, on_delete=models.PROTECT, related_name="items", verbose_name=_("module")
    )
    code = models.SlugField(_("code"), max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    description = models.TextField(_("description"), blank=True)
    ksao = models.CharField(_("KSAO section"), max_length=1, choices=KSAO.choices)
    kind = models.CharField(_("competency kind"), max_length=20, choices=CompetencyKind.choices)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("competency item")
        verbose_name_plural = _("competency items")
        ordering = ["module__order", "order", "code"]

    def __str__(self) -> str:
        return self.name


class PositionCompetency(models.Model):
    """One item of a position competency model, with behavioural indicators and its weight.

    Weights are published from a Q-sort round; the weights of one position sum to 1.
    """

    position = models.ForeignKey(
        Position, on_delete=models.CASCADE, related_name="competencies", verbose_name=_("position")
    )
    item = models.ForeignKey(
        CompetencyItem,
        on_delete=models.PROTECT,
        related_name="position_models",
        verbose_name=_("competency item"),
    )
    behavioural_indicators = models.TextField(
        _("behavioural indicators"),
        blank=True,
        help_text=_("Observable behaviours in this position's context, one per line."),
    )
    weight = models.DecimalField(_("weight"), max_digits=7, decimal_places=5, default=0)
    target_score = models.PositiveSmallIntegerField(
        _("target score"),
        default=4,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
        help_text=_(
            "Behaviour-scale score (1-5) the position expects; gaps are measured against it."
        ),
    )
    source_round = models.ForeignKey(
        "QSortRound",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("published from round"),
        help_text=_("The Q-sort round whose result set this weight; empty when entered by hand."),
    )

    class Meta:
        verbose_name = _("position competency")
        verbose_name_plural = _("position competency model")
        ordering = ["position", "-weight", "item__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["position", "item"], name="position_competency_unique_item"
            ),
            models.CheckConstraint(
                condition=models.Q(weight__gte=0) & models.Q(weight__lte=1),
                name="position_competency_weight_0_1",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.position} · {self.item}"


class QSortRound(models.Model):
    """A Q-sort weighting round (Q 方法) for one position over a benchmark draft of items.

    Draft → open (invited raters sort) → closed (rankings aggregated into ``result``) →
    published (weights written into the position competency model). Pile sizes and the
    maximum column score are data of the round, not constants.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")
        PUBLISHED = "published", _("Published")

    position = models.ForeignKey(
        Position, on_delete=models.PROTECT, related_name="qsort_rounds", verbose_name=_("position")
    )
    title = models.CharField(_("title"), max_length=200, blank=True)
    items = models.ManyToManyField(
        CompetencyItem,
        related_name="qsort_rounds",
        verbose_name=_("benchmark items"),
        help_text=_("The benchmark draft: the competency items the raters sort."),
    )
    raters = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        related_name="qsort_invitations",
        blank=True,
        verbose_name=_("raters"),
    )
    important_count = models.PositiveSmallIntegerField(_("important pile size"))
    neutral_count = models.PositiveSmallIntegerField(_("neutral pile size"))
    unimportant_count = models.PositiveSmallIntegerField(_("unimportant pile size"))
    max_score = models.PositiveSmallIntegerField(
        _("maximum column score"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(6)],
        help_text=_(
            "The forced distribution uses columns -k..+k; k is lowered when a column would stay "
            "empty."
        ),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    result = models.JSONField(_("result"), null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    opened_at = models.DateTimeField(_("opened at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)

    class Meta:
        verbose_name = _("Q-sort round")
        verbose_name_plural = _("Q-sort rounds")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title or f"Q-sort #{self.pk} · {self.position}"

    # Words of their own for the round's states: the catalogue's "Open" is a proposal under
    # review (审核中), which an open Q-sort round is not. Not the choices' labels, so no
    # migration; status values are unchanged.
    STATUS_WORDS = {
        Status.DRAFT: _("Draft"),
        Status.OPEN: _("Open for sorting"),
        Status.CLOSED: _("Closed, not yet published"),
        Status.PUBLISHED: _("Published"),
    }

    def get_status_display(self) -> str:
        return str(self.STATUS_WORDS.get(self.status, self.status))

    def score_half_width(self, item_count: int) -> int:
        """The k of the columns -k..+k the result uses (or will use) with ``item_count`` items:
        the aggregation's own when closed, else max_score lowered until no column is empty."""
        if self.result and "half_width" in self.result:
            return self.result["half_width"]
        from competency.qsort import effective_half_width

        return effective_half_width(item_count, self.max_score)

    def pile_sizes(self) -> dict[str, int]:
        """The fixed pile sizes as {"important": n, "neutral": n, "unimportant": n}."""
        return {
            "important": self.important_count,
            "neutral": self.neutral_count,
            "unimportant": self.unimportant_count,
        }

    def result_rows(self) -> list[dict]:
        """The aggregated rows stored at close (combined order), [] before the round is closed."""
        return list((self.result or {}).get("rows", []))


class QSortSubmission(models.Model):
    """One rater's sort in a round: ``placements`` is a list of {"item", "pile", "rank"};
    ``ranking`` the resulting full order of item ids (most important first). Saved only after
    competency.qsort.validate_sort accepted it; a rater may resubmit until the round closes."""

    round = models.ForeignKey(
        QSortRound, on_delete=models.CASCADE, related_name="submissions", verbose_name=_("round")
    )
    rater = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="qsort_submissions",
        verbose_name=_("rater"),
    )
    placements = models.JSONField(_("placements"))
    ranking = models.JSONField(_("ranking"))
    submitted_at = models.DateTimeField(_("submitted at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("Q-sort submission")
        verbose_name_plural = _("Q-sort submissions")
        ordering = ["round", "rater__staff_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["round", "rater"], name="qsort_submission_one_per_rater"
            )
        ]

    def __str__(self) -> str:
        return f"{self.round} · {self.rater}"


class QSortRoundEvent(models.Model):
    """Audit row for every state change of a round (who, when, what)."""

    class Action(models.TextChoices):
        CREATED = "created", _("Created")
        OPENED = "opened", _("Opened")
        CLOSED = "closed", _("Closed")
        PUBLISHED = "published", _("Published")

    round = models.ForeignKey(
        QSortRound, on_delete=models.CASCADE, related_name="events", verbose_name=_("round")
    )
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("actor"),
    )
    at = models.DateTimeField(_("at"), default=timezone.now)
    details = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("Q-sort round event")
        verbose_name_plural = _("Q-sort round events")
        ordering = ["round", "at", "id"]

    def __str__(self) -> str:
        return f"{self.round} · {self.get_action_display()}"

    # "Created" alone is translated as 提交时间 (a proposal's submission time) in the catalogue.
    ACTION_WORDS = {
        Action.CREATED: _("Round created"),
        Action.OPENED: _("Round opened"),
        Action.CLOSED: _("Round closed"),
        Action.PUBLISHED: _("Weights published"),
    }

    def get_action_display(self) -> str:
        return str(self.ACTION_WORDS.get(self.action, self.action))
