"""Knowledge base (口径) entries, their search columns, and the query-time test."""

from datetime import date
from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from config.models import SingletonSettings


class Category(models.Model):
    """A node of the category tree (a simple parent link: the tree has tens of nodes)."""

    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children", verbose_name=_("parent")
    )
    code = models.SlugField(_("code"), max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["order", "code"]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        node, seen = self.parent, {self.pk}
        while node is not None:
            if node.pk in seen:
                raise ValidationError({"parent": _("A category cannot be its own ancestor.")})
            seen.add(node.pk)
            node = node.parent

    def descendant_ids(self) -> set[int]:
        """Ids of this category and every category below it."""
        children: dict[int | None, list[int]] = {}
        for pk, parent_id in Category.objects.values_list("pk", "parent_id"):
            children.setdefault(parent_id, []).append(pk)
        found, stack = set(), [self.pk]
        while stack:
            pk = stack.pop()
            if pk not in found:
                found.add(pk)
                stack.extend(children.get(pk, []))
        return found


class EntryQuerySet(models.QuerySet):
    def effective(self, on: date | None = None):
        """Entries in force on ``on`` (default today in Asia/Shanghai)."""
        on = on or timezone.localdate()
        return self.filter(Q(effective_from__lte=on) & (Q(effective_to__isnull=True) | Q(effective_to__gte=on)))


class Entry(models.Model):
    """An official answer script (口径). Changes only through applied review proposals,
    each raising ``version`` by one; django-simple-history keeps every version."""

    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="entries", verbose_name=_("category"))
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("answer script"))
    keywords = models.CharField(
        _("keywords and aliases"), max_length=500, blank=True,
        help_text=_("Other words customers and agents use for this topic, separated by spaces or commas."),
    )
    effective_from = models.DateField(_("effective from"), default=date.today)
    effective_to = models.DateField(_("effective to"), null=True, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    # Search columns, filled by knowledgebase.search.index_fields(): space-separated jieba
    # tokens + CJK bigrams. On PostgreSQL search_vector (GIN-indexed, see migration 0002) is
    # built from them with weight A for the title and B for the rest.
    search_title = models.TextField(editable=False, blank=True, default="")
    search_text = models.TextField(editable=False, blank=True, default="")
    search_vector = SearchVectorField(null=True, editable=False)

    objects = EntryQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["search_title", "search_text", "search_vector", "updated_at"])

    class Meta:
        verbose_name = _("knowledge-base entry")
        verbose_name_plural = _("knowledge-base entries")
        ordering = ["category__order", "title"]
        constraints = [
            models.CheckConstraint(
                condition=Q(effective_to__isnull=True) | Q(effective_to__gte=models.F("effective_from")),
                name="entry_effective_range",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def keyword_list(self) -> list[str]:
        return [k for k in self.keywords.replace("，", ",").replace(",", " ").split() if k]


# --- query-time test -----------------------------------------------------------------

class QueryTimeTest(SingletonSettings):
    """Settings of the query-time test (one row, pk=1, seeded by migration)."""

    task_count = models.PositiveSmallIntegerField(
        _("tasks per test (N)"), default=100, validators=[MinValueValidator(1)]
    )
    wrong_answer_penalty_seconds = models.DecimalField(
        _("penalty per wrong answer (s)"), max_digits=6, decimal_places=1, default=Decimal("10.0"),
        validators=[MinValueValidator(0)],
        help_text=_("Each wrong answer adds this many seconds to the total time that decides the level."),
    )

    class Meta:
        verbose_name = _("query-time test settings")
        verbose_name_plural = _("query-time test settings")

    def __str__(self) -> str:
        return str(_("Query-time test settings"))



class QueryTimeThreshold(models.Model):
    """Total time below ``below_seconds`` allows ``allowed_level`` (the first matching row
    in ascending order of below_seconds wins; a row without a bound catches the rest)."""

    below_seconds = models.DecimalField(
        _("total time below (s)"), max_digits=7, decimal_places=1, null=True, blank=True, unique=True,
        help_text=_("Empty: any slower time."),
    )
    allowed_level = models.PositiveSmallIntegerField(_("highest level allowed"), validators=[MaxValueValidator(5)])

    class Meta:
        verbose_name = _("query-time threshold")
        verbose_name_plural = _("query-time thresholds")
        ordering = [models.F("below_seconds").asc(nulls_last=True)]

    def __str__(self) -> str:
        bound = f"< {self.below_seconds} s" if self.below_seconds is not None else "≥"
        return f"{bound} → {self.allowed_level}"

    @classmethod
    def level_for(cls, seconds: Decimal) -> int | None:
        """Highest level allowed for a total of ``seconds``; None when no row matches."""
        for row in cls.objects.all():
            if row.below_seconds is None or seconds < row.below_seconds:
                return row.allowed_level
        return None


class QueryTask(models.Model):
    """A question whose answer is one KB entry."""

    question = models.TextField(_("question"))
    answer = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="query_tasks", verbose_name=_("answer entry"))
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("query task")
        verbose_name_plural = _("query tasks")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.question[:60]


class QueryTestSession(models.Model):
    """One sitting of the query-time test. Times are taken on the server only."""

    employee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="query_test_sessions",
        verbose_name=_("employee"),
    )
    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    task_count = models.PositiveSmallIntegerField(_("tasks"))
    wrong_count = models.PositiveSmallIntegerField(_("wrong answers"), default=0)
    penalty_seconds = models.DecimalField(_("penalty (s)"), max_digits=7, decimal_places=1, default=Decimal("0"))
    elapsed_seconds = models.DecimalField(_("elapsed (s)"), max_digits=9, decimal_places=1, null=True, blank=True)
    total_seconds = models.DecimalField(_("total time (s)"), max_digits=9, decimal_places=1, null=True, blank=True)
    allowed_level = models.PositiveSmallIntegerField(_("highest level allowed"), null=True, blank=True)

    class Meta:
        verbose_name = _("query-time test session")
        verbose_name_plural = _("query-time test sessions")
        ordering = ["-started_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["employee"], condition=Q(finished_at__isnull=True), name="query_session_one_running"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.employee} {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def is_finished(self) -> bool:
        return self.finished_at is not None

    def next_answer(self) -> "QueryTestAnswer | None":
        """The first unanswered task of this session, or None when all are answered."""
        return self.answers.filter(answered_at__isnull=True).select_related("task").order_by("position").first()


class QueryTestAnswer(models.Model):
    session = models.ForeignKey(
        QueryTestSession, on_delete=models.CASCADE, related_name="answers", verbose_name=_("session")
    )
    position = models.PositiveSmallIntegerField(_("position"))
    task = models.ForeignKey(QueryTask, on_delete=models.PROTECT, related_name="+", verbose_name=_("task"))
    chosen = models.ForeignKey(
        Entry, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("chosen entry")
    )
    is_correct = models.BooleanField(_("correct"), null=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("query-time test answer")
        verbose_name_plural = _("query-time test answers")
        ordering = ["session", "position"]
        constraints = [
            models.UniqueConstraint(fields=["session", "position"], name="query_answer_unique_position"),
            models.UniqueConstraint(fields=["session", "task"], name="query_answer_unique_task"),
        ]

    def __str__(self) -> str:
        return f"{self.session_id}#{self.position}"
