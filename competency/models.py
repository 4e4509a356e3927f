from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class PositionFamily(models.Model):
    """A family of related positions (岗位族), e.g. hotline service, complaint handling."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("position family")
        verbose_name_plural = _("position families")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Position(models.Model):
    """A position (岗位) an employee holds; its competency model is attached to it."""

    family = models.ForeignKey(
        PositionFamily, on_delete=models.PROTECT, related_name="positions", verbose_name=_("family")
    )
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("position")
        verbose_name_plural = _("positions")
        ordering = ["family__code", "code"]

    def __str__(self) -> str:
        return self.name


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
        CompetencyItem, on_delete=models.PROTECT, related_name="position_models", verbose_name=_("competency item")
    )
    behavioural_indicators = models.TextField(
        _("behavioural indicators"), blank=True, help_text=_("Observable behaviours in this position's context, one per line.")
    )
    weight = models.DecimalField(_("weight"), max_digits=7, decimal_places=5, default=0)
    target_score = models.PositiveSmallIntegerField(
        _("target score"),
        default=4,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
        help_text=_("Behaviour-scale score (1-5) the position expects; gaps are measured against it."),
    )

    class Meta:
        verbose_name = _("position competency")
        verbose_name_plural = _("position competency model")
        ordering = ["position", "-weight", "item__code"]
        constraints = [
            models.UniqueConstraint(fields=["position", "item"], name="position_competency_unique_item"),
            models.CheckConstraint(
                condition=models.Q(weight__gte=0) & models.Q(weight__lte=1), name="position_competency_weight_0_1"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.position} · {self.item}"
