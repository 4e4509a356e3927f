"""Knowledge base (口径) entries, their search columns, and the query-time test."""

from datetime import date
from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Length
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop
from simple_history.models import HistoricalRecords
from treebeard.mp_tree import MP_Node

from accounts.levels import MAX_LEVEL, MIN_CASE_LEVEL
from config.cache_versions import CacheVersion
from config.models import SingletonSettings
from config.trees import subtree_ids


class Category(MP_Node):
    """A node of the category tree (django-treebeard materialised path, like the case
    library's CaseCategory): siblings in ``order`` then ``code``; a subtree is one indexed
    ``path`` prefix query (config.trees)."""

    code = models.SlugField(_("code"), max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    node_order_by = ["order", "code"]

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self) -> str:
        return self.name

    def descendant_ids(self) -> set[int]:
        """Ids of this category and every category below it (one path-prefix query)."""
        return subtree_ids(self)


class EntryQuerySet(models.QuerySet):
    def effective(self, on: date | None = None):
        """Entries in force on ``on`` (default today in Asia/Shanghai)."""
        on = on or timezone.localdate()
        return self.filter(
            Q(effective_from__lte=on) & (Q(effective_to__isnull=True) | Q(effective_to__gte=on))
        )

    def not_retired(self):
        """Entries a maintainer has not retired (the only ones search shows)."""
        return self.filter(retired_at__isnull=True)


class Entry(models.Model):
    """An official answer script (口径). Changes through applied review proposals and through
    the direct changes of maintainers (operations managers: the ``maintain_entries``
    permission, in the web UI, the API and admin), all written by knowledgebase.services,
    each raising ``version`` by one with an EntryChange row; django-simple-history keeps
    every version. A retired entry is hidden from search and keeps its history."""

    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="entries", verbose_name=_("category")
    )
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("answer script"))
    keywords = models.CharField(
        _("keywords and aliases"),
        max_length=500,
        blank=True,
        help_text=_(
            "Other words customers and agents use for this topic, separated by spaces or commas."
        ),
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
    # The title's tokens alone: small, so ranking thousands of matches by their title is cheap
    # (knowledgebase.search ranks on it; GIN-indexed on PostgreSQL, migration 0006).
    search_title_vector = SearchVectorField(null=True, editable=False)
    # Toneless pinyin of the same tokens (宽带 → kuandai), position for position, so a
    # homophone typo of a pinyin input method (宽代) still finds the entry on the embedded
    # SQLite default (PostgreSQL corrects typos from the vocabulary instead: SearchToken).
    search_pinyin = models.TextField(editable=False, blank=True, default="")
    # Clicks from search results (F() increments): popular entries first among equal matches,
    # and the stable order of the candidate cap for broad prefixes.
    click_count = models.PositiveIntegerField(_("clicks from search"), default=0, editable=False)
    retired_at = models.DateTimeField(
        _("retired at"),
        null=True,
        blank=True,
        editable=False,
        help_text=_(
            "Set when a maintainer retires the entry: it no longer appears in search; its history "
            "stays."
        ),
    )

    objects = EntryQuerySet.as_manager()
    history = HistoricalRecords(
        excluded_fields=[
            "search_title",
            "search_text",
            "search_vector",
            "search_title_vector",
            "search_pinyin",
            "click_count",
            "updated_at",
        ]
    )

    class Meta:
        verbose_name = _("knowledge-base entry")
        verbose_name_plural = _("knowledge-base entries")
        ordering = ["category__order", "title"]
        permissions = [("maintain_entries", _("Can create, revise and retire entries directly"))]
        constraints = [
            models.CheckConstraint(
                condition=Q(effective_to__isnull=True)
                | Q(effective_to__gte=models.F("effective_from")),
                name="entry_effective_range",
            ),
        ]
        indexes = [
            models.Index(fields=["-click_count", "-id"], name="kb_entry_popularity"),
            # The candidate order of a broad search (knowledgebase.search.CANDIDATE_CAP): short
            # titles first — the ones the length-normalised rank puts first — then popular.
            models.Index(
                Length("title"),
                F("click_count").desc(),
                F("id").desc(),
                name="kb_entry_title_length",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def keyword_list(self) -> list[str]:
        return [k for k in self.keywords.replace("，", ",").replace(",", " ").split() if k]

    @property
    def is_retired(self) -> bool:
        return self.retired_at is not None


class EntryChange(models.Model):
    """Why a version of an entry exists: one row per version, written with it by
    knowledgebase.services (the audit row of every change: committee-applied, a
    maintainer's direct change in the web UI or API, an admin correction). The reason is
    what the author typed; what kind of change it was is ``kind``, rendered in the reader's
    language."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Created")
        REVISED = "revised", _("Revised")
        RETIRED = "retired", _("Retired")
        RESTORED = "restored", _("Restored")

    class Via(models.TextChoices):
        COMMITTEE = "committee", _("Review committee")
        WEB = "web", _("Maintainer (web)")
        API = "api", _("Maintainer (API)")
        ADMIN = "admin", _("Admin")
        LOADER = "loader", _("Data loader")

    entry = models.ForeignKey(
        Entry, on_delete=models.CASCADE, related_name="changes", verbose_name=_("entry")
    )
    version = models.PositiveIntegerField(_("version"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    via = models.CharField(_("made through"), max_length=20, choices=Via.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("author"),
    )
    reason = models.TextField(_("reason"), blank=True)
    proposal = models.ForeignKey(
        "review.Proposal",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("proposal"),
    )
    created_at = models.DateTimeField(_("changed at"), default=timezone.now)

    class Meta:
        verbose_name = _("entry change")
        verbose_name_plural = _("entry changes")
        ordering = ["entry", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["entry", "version"], name="kb_entry_change_one_per_version"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.entry_id} v{self.version} {self.kind}"


# --- query-time test -----------------------------------------------------------------

# Bounds of the settings (code, not data: an admin must not be able to lift them).
MIN_TASK_COUNT = 10
MAX_TASK_COUNT = 500
MAX_SECONDS_PER_TASK = Decimal("10.00")


class QueryTimeTest(SingletonSettings):
    """Settings of the query-time test (one row, pk=1, seeded by migration): how long a test
    is, how a result is timed, how often it may be taken and which result counts."""

    class CountingRule(models.TextChoices):
        LATEST = "latest", _("Latest finished result")
        BEST_RECENT = "best_recent", _("Best result within N days before the latest one")

    task_count = models.PositiveSmallIntegerField(
        _("tasks per test (N)"),
        default=100,
        validators=[MinValueValidator(MIN_TASK_COUNT), MaxValueValidator(MAX_TASK_COUNT)],
        help_text=_(
            "Default 100 (DOMAIN.md §4). At least 10: the result is the average time per task, and "
            "with fewer tasks one lucky query moves that average by a whole band (one query 1 s "
            "faster on a 10-task test is already 0.1 s per task). A finished test keeps the task "
            "count it was taken with."
        ),
    )
    task_pool_multiple = models.PositiveSmallIntegerField(
        _("task pool (times N)"),
        default=2,
        validators=[MinValueValidator(2), MaxValueValidator(20)],
        help_text=_(
            "A test starts only when there are at least this many times N active tasks. Default 2: "
            "a retake then shares on average half its tasks with the last one, so knowing the "
            "answers of a past test is not what makes someone fast. At least 2, at most 20."
        ),
    )
    wrong_answer_penalty_seconds = models.DecimalField(
        _("penalty per wrong answer (s)"),
        max_digits=6,
        decimal_places=1,
        default=Decimal("10.0"),
        validators=[MinValueValidator(0), MaxValueValidator(60)],
        help_text=_(
            "Each wrong answer adds this many seconds to the total time that decides the level. "
            "Default 10 s, at most 60 s: picking any entry fast must cost more than searching."
        ),
    )
    retake_wait_hours = models.PositiveSmallIntegerField(
        _("waiting period between starts (hours)"),
        default=24,
        validators=[MinValueValidator(1), MaxValueValidator(720)],
        help_text=_(
            "Default 24 h: one attempt per working day is enough to recover from a bad day, but "
            "too few for a series of quick retakes hoping for one lucky fast run. Every start "
            "counts, also a test that was abandoned. 1 to 720 hours."
        ),
    )
    time_limit_seconds_per_task = models.DecimalField(
        _("time limit per task (s)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("6.00"),
        validators=[MinValueValidator(Decimal("1.00")), MaxValueValidator(Decimal("60.00"))],
        help_text=_(
            "A test not finished within N × this time is closed as abandoned: it counts as a "
            "result that allows level 0, so abandoning a bad run is never better than finishing "
            "it. Default 6 s per task (10 minutes for 100 tasks, four times the slowest band); it "
            "must be slower than every band."
        ),
    )
    counting_rule = models.CharField(
        _("result that counts"),
        max_length=20,
        choices=CountingRule.choices,
        default=CountingRule.LATEST,
        help_text=_(
            "Which finished result decides the level the employee may hold. Default “latest”: "
            "every retake replaces the previous result, so retaking hoping for a lucky run is a "
            "gamble, not a free try. “Best within N days” keeps the best of the results finished "
            "on the day of the latest one or in the N calendar days before it (highest level, then "
            "fastest time per task)."
        ),
    )
    best_window_days = models.PositiveSmallIntegerField(
        _("N days for “best within N days”"),
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text=_("Used only by the “best within N days” rule. Default 30 days, 1 to 365."),
    )
    reference_service_months = models.PositiveSmallIntegerField(
        _("calibration: months of service of the reference group"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
        help_text=_(
            "The calibration page compares employees with at least this many months of service "
            "(hire date) against the reference shares below. Default 3 months (DOMAIN.md §4)."
        ),
    )
    reference_level1_percent = models.PositiveSmallIntegerField(
        _("calibration: share within the level-1 band (%)"),
        default=70,
        validators=[MinValueValidator(1), MaxValueValidator(99)],
        help_text=_(
            "Default 70 %: the share of the reference group that finishes within the level-1 time."
        ),
    )
    reference_level5_percent = models.PositiveSmallIntegerField(
        _("calibration: share within the level-5 band (%)"),
        default=15,
        validators=[MinValueValidator(1), MaxValueValidator(99)],
        help_text=_(
            "Default 15 %: the share of the reference group that finishes within the level-5 time. "
            "Must be smaller than the level-1 share."
        ),
    )

    class Meta:
        verbose_name = _("query-time test settings")
        verbose_name_plural = _("query-time test settings")
        constraints = [
            models.CheckConstraint(
                condition=Q(task_count__gte=MIN_TASK_COUNT) & Q(task_count__lte=MAX_TASK_COUNT),
                name="query_test_task_count_range",
            ),
            models.CheckConstraint(
                condition=Q(retake_wait_hours__gte=1), name="query_test_wait_at_least_1h"
            ),
            models.CheckConstraint(
                condition=Q(task_pool_multiple__gte=2, task_pool_multiple__lte=20),
                name="query_test_task_pool_multiple_range",
            ),
        ]

    def __str__(self) -> str:
        return str(_("Query-time test settings"))

    def clean(self):
        errors = {}
        if (
            self.reference_level5_percent is not None
            and self.reference_level1_percent is not None
            and self.reference_level5_percent >= self.reference_level1_percent
        ):
            errors["reference_level5_percent"] = _(MSG_REFERENCE_ORDER)
        slowest = QueryTimeThreshold.objects.aggregate(m=models.Max("seconds_per_task"))["m"]
        if (
            slowest is not None
            and self.time_limit_seconds_per_task is not None
            and self.time_limit_seconds_per_task <= slowest
        ):
            errors["time_limit_seconds_per_task"] = _(MSG_LIMIT_TOO_SHORT) % {"slowest": slowest}
        if errors:
            raise ValidationError(errors)


MSG_REFERENCE_ORDER = gettext_noop("The level-5 share must be smaller than the level-1 share.")
MSG_LIMIT_TOO_SHORT = gettext_noop(
    "The time limit must be slower than every band (the slowest band is %(slowest)s s per task)."
)
MSG_THRESHOLD_RANGE = gettext_noop("Enter a time per task above 0 and at most %(max)s s.")
MSG_BANDS_NOT_MONOTONIC = gettext_noop(
    "A faster band must never allow a lower level: %(faster)s s per task allows level "
    "%(faster_level)s, %(slower)s s per task allows level %(slower_level)s."
)


def validate_seconds_per_task(value: Decimal) -> None:
    if value is None or value <= 0 or value > MAX_SECONDS_PER_TASK:
        raise ValidationError(_(MSG_THRESHOLD_RANGE) % {"max": MAX_SECONDS_PER_TASK}, code="range")


class QueryTimeThresholdQuerySet(models.QuerySet):
    def bands(self) -> list["QueryTimeThreshold"]:
        """The bands, fastest first (the order in which the first match wins)."""
        return list(self.order_by("seconds_per_task"))


class QueryTimeThreshold(models.Model):
    """A band of the query-time test: a result of at most ``seconds_per_task`` per task (total
    time ≤ seconds_per_task × the test's task count) allows ``allowed_level``. The fastest
    matching band wins; a result slower than every band allows level 0. Bands are monotonic:
    a faster band never allows a lower level (checked in clean())."""

    seconds_per_task = models.DecimalField(
        _("time per task at most (s)"),
        max_digits=4,
        decimal_places=2,
        unique=True,
        validators=[validate_seconds_per_task],
        help_text=_(
            "Seconds per task; a test of N tasks is within the band when its total time (with the "
            "wrong-answer penalty) is at most N × this value. Defaults (DOMAIN.md §4, 100 tasks): "
            "1.50 → level 1 (150 s), 1.40 → level 2, 1.30 → levels 3–4 (stored as 4), 1.20 → level "
            "5 (120 s). Above 0, at most 10 s. Tighten them as employees get faster: the "
            "calibration page suggests values."
        ),
    )
    allowed_level = models.PositiveSmallIntegerField(
        _("highest level allowed"),
        validators=[MinValueValidator(MIN_CASE_LEVEL), MaxValueValidator(MAX_LEVEL)],
        help_text=_("1 to 5; slower results than every band allow level 0."),
    )

    objects = QueryTimeThresholdQuerySet.as_manager()

    class Meta:
        verbose_name = _("query-time threshold")
        verbose_name_plural = _("query-time thresholds")
        ordering = ["seconds_per_task"]
        constraints = [
            models.CheckConstraint(
                condition=Q(seconds_per_task__gt=0) & Q(seconds_per_task__lte=MAX_SECONDS_PER_TASK),
                name="query_threshold_seconds_range",
            ),
            models.CheckConstraint(
                condition=Q(allowed_level__gte=MIN_CASE_LEVEL) & Q(allowed_level__lte=MAX_LEVEL),
                name="query_threshold_level_1_to_5",
            ),
        ]

    def __str__(self) -> str:
        return f"≤ {self.seconds_per_task} s/task → {self.allowed_level}"

    def clean(self):
        """Refuse a band that breaks monotonicity with the other saved bands."""
        if self.seconds_per_task is None or self.allowed_level is None:
            return
        others = QueryTimeThreshold.objects.exclude(pk=self.pk)
        for other in sorted(
            others, key=lambda o: abs(o.seconds_per_task - self.seconds_per_task)
        ):  # nearest first
            if other.seconds_per_task == self.seconds_per_task:
                continue  # the unique check reports it
            faster, slower = (
                (other, self) if other.seconds_per_task < self.seconds_per_task else (self, other)
            )
            if faster.allowed_level < slower.allowed_level:
                raise ValidationError(
                    {
                        "allowed_level": _(MSG_BANDS_NOT_MONOTONIC)
                        % {
                            "faster": faster.seconds_per_task,
                            "faster_level": faster.allowed_level,
                            "slower": slower.seconds_per_task,
                            "slower_level": slower.allowed_level,
                        }
                    }
                )

    @staticmethod
    def level_in(
        bands: list["QueryTimeThreshold"], *, total_seconds: Decimal, task_count: int
    ) -> int:
        """Highest level ``bands`` (fastest first) allow for ``total_seconds`` over
        ``task_count`` tasks: the first band with total ≤ seconds_per_task × task_count;
        0 when the result is slower than every band."""
        for band in bands:
            if total_seconds <= band.seconds_per_task * task_count:
                return band.allowed_level
        return 0

    @classmethod
    def level_for(cls, *, total_seconds: Decimal, task_count: int) -> int:
        """Highest level the saved bands allow for ``total_seconds`` over ``task_count`` tasks
        (0 when slower than every band)."""
        return cls.level_in(cls.objects.bands(), total_seconds=total_seconds, task_count=task_count)


class QueryTask(models.Model):
    """A question whose answer is one KB entry."""

    question = models.TextField(_("question"))
    answer = models.ForeignKey(
        Entry, on_delete=models.CASCADE, related_name="query_tasks", verbose_name=_("answer entry")
    )
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
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="query_test_sessions",
        verbose_name=_("employee"),
    )
    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    task_count = models.PositiveSmallIntegerField(_("tasks"))
    wrong_count = models.PositiveSmallIntegerField(_("wrong answers"), default=0)
    penalty_seconds = models.DecimalField(
        _("penalty (s)"), max_digits=7, decimal_places=1, default=Decimal("0")
    )
    elapsed_seconds = models.DecimalField(
        _("elapsed (s)"), max_digits=9, decimal_places=1, null=True, blank=True
    )
    total_seconds = models.DecimalField(
        _("total time (s)"), max_digits=9, decimal_places=1, null=True, blank=True
    )
    allowed_level = models.PositiveSmallIntegerField(
        _("highest level allowed"), null=True, blank=True
    )
    deadline_at = models.DateTimeField(
        _("deadline"),
        null=True,
        blank=True,
        help_text=_("Start + task count × the time limit per task, fixed when the test starts."),
    )
    expired = models.BooleanField(
        _("abandoned"),
        default=False,
        help_text=_(
            "Not finished by its deadline: closed then, unanswered tasks counted as wrong, level 0."
        ),
    )

    class Meta:
        verbose_name = _("query-time test session")
        verbose_name_plural = _("query-time test sessions")
        ordering = ["-started_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["employee"],
                condition=Q(finished_at__isnull=True),
                name="query_session_one_running",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.employee} {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def is_finished(self) -> bool:
        return self.finished_at is not None

    def is_overdue(self, now=None) -> bool:
        """True when the test is still open but its deadline has passed (it will be closed as
        abandoned by the next answer, start or the scheduled job)."""
        now = now or timezone.now()
        return self.finished_at is None and self.deadline_at is not None and now > self.deadline_at

    @property
    def seconds_per_task(self) -> Decimal | None:
        """Total time (with penalties) divided by the task count, to 0.001 s; None while
        unfinished."""
        if self.total_seconds is None or not self.task_count:
            return None
        return (self.total_seconds / self.task_count).quantize(Decimal("0.001"))

    def next_answer(self) -> "QueryTestAnswer | None":
        """The first unanswered task of this session, or None when all are answered."""
        return (
            self.answers.filter(answered_at__isnull=True)
            .select_related("task")
            .order_by("position")
            .first()
        )


class QueryTestAnswer(models.Model):
    session = models.ForeignKey(
        QueryTestSession,
        on_delete=models.CASCADE,
        related_name="answers",
        verbose_name=_("session"),
    )
    position = models.PositiveSmallIntegerField(_("position"))
    task = models.ForeignKey(
        QueryTask, on_delete=models.PROTECT, related_name="+", verbose_name=_("task")
    )
    chosen = models.ForeignKey(
        Entry,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("chosen entry"),
    )
    is_correct = models.BooleanField(_("correct"), null=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("query-time test answer")
        verbose_name_plural = _("query-time test answers")
        ordering = ["session", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "position"], name="query_answer_unique_position"
            ),
            models.UniqueConstraint(fields=["session", "task"], name="query_answer_unique_task"),
        ]

    def __str__(self) -> str:
        return f"{self.session_id}#{self.position}"


# --- search: synonyms, settings, log --------------------------------------------------

SYNONYMS_VERSION = CacheVersion("kb:synonyms:version")
MAX_SEARCH_LOG_RETENTION_DAYS = 730


def _bump_synonyms_version() -> None:
    """Tell every process its cached synonym table, and the cached results, are stale
    (knowledgebase.search)."""
    from knowledgebase.search import results_stale

    SYNONYMS_VERSION.bump()
    results_stale()


class SynonymGroup(models.Model):
    """Words customers and agents use for the same thing (退款 退费 返还). A search for any of
    them also searches the others."""

    terms = models.CharField(
        _("terms"),
        max_length=300,
        help_text=_(
            "Two or more words with the same meaning, separated by spaces or commas, e.g. 退款 "
            "退费 返还."
        ),
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("synonym group")
        verbose_name_plural = _("synonym groups")
        ordering = ["terms"]

    def __str__(self) -> str:
        return " / ".join(self.term_list())

    # The in-process synonym cache is invalidated through the version key on every write
    # (admin and services go through save/delete; a bulk update() would not, nor would a data
    # migration's historical model — but a deploy restarts the processes, which start with no
    # cache).
    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        _bump_synonyms_version()

    def delete(self, *args, **kwargs):
        result = super().delete(*args, **kwargs)
        _bump_synonyms_version()
        return result

    def term_list(self) -> list[str]:
        """The group's distinct terms, lower-cased, in the order typed."""
        out: list[str] = []
        for term in (
            self.terms.replace("，", ",").replace("、", ",").replace(",", " ").lower().split()
        ):
            if term not in out:
                out.append(term)
        return out

    def clean(self):
        if len(self.term_list()) < 2:
            raise ValidationError(
                {"terms": _("A synonym group needs at least two different terms.")}
            )


class SearchToken(models.Model):
    """The search vocabulary: every two-character CJK token of the entries with its toneless
    pinyin (PostgreSQL only). A query's bigram the vocabulary lacks but whose pinyin it knows
    is a homophone typo of a pinyin input method (宽代 → 宽带): knowledgebase.search corrects
    it before searching. Tokens are added when an entry is indexed; the nightly rebuild
    (knowledgebase.search.vocabulary_rebuild) drops tokens no entry holds any more and
    recounts ``entries``."""

    token = models.CharField(_("token"), max_length=2, primary_key=True)
    pinyin = models.CharField(_("pinyin"), max_length=16, db_index=True)
    entries = models.PositiveIntegerField(_("entries holding it"), default=1)

    class Meta:
        verbose_name = _("search vocabulary token")
        verbose_name_plural = _("search vocabulary")

    def __str__(self) -> str:
        return self.token


class SearchSettings(SingletonSettings):
    """Settings of the KB search log (one row, pk=1)."""

    log_retention_days = models.PositiveSmallIntegerField(
        _("keep the search log (days)"),
        default=180,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_SEARCH_LOG_RETENTION_DAYS)],
        help_text=_(
            "Searches older than this are deleted every night. Default 180 days: two quarters of "
            "misses to review; at most 730. The log holds who searched what."
        ),
    )

    class Meta:
        verbose_name = _("search settings")
        verbose_name_plural = _("search settings")

    def __str__(self) -> str:
        return str(self._meta.verbose_name)


class SearchLog(models.Model):
    """One search as typed (results as you type update the same row while the query grows),
    how many results the first page had, whether only the fallback found them, and the entry
    the searcher opened from the results."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="kb_searches",
        verbose_name=_("user"),
    )
    query = models.CharField(_("normalised query"), max_length=100)
    result_count = models.PositiveSmallIntegerField(_("results"))
    fallback = models.BooleanField(_("found only by the fallback"), default=False)
    clicked_entry = models.ForeignKey(
        Entry,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("opened entry"),
    )
    created_at = models.DateTimeField(_("searched at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("search log entry")
        verbose_name_plural = _("search log")
        indexes = [models.Index(fields=["user", "-id"], name="kb_searchlog_user_recent")]

    def __str__(self) -> str:
        return self.query

    @property
    def is_miss(self) -> bool:
        """True when the strict search found nothing (no result, or only the fallback's)."""
        return self.result_count == 0 or self.fallback


class StaleFlag(models.Model):
    """A case (casebase.CaseCitation) or a query-time-test task (its answer entry) rests on a
    KB entry that changed since it was last reviewed: it waits for the review experts of its
    category (or an operations manager). One open flag per item and entry: a later change of
    the entry moves ``change`` on and keeps ``base_version``, so the diff shown spans every
    unreviewed change. Written by knowledgebase.services.stale_flags_raise with each change."""

    class Status(models.TextChoices):
        OPEN = "open", _("Waiting for review")
        REVIEWED = "reviewed", _("Reviewed, still correct")
        REVISION = "revision", _("Revision proposed")

    entry = models.ForeignKey(
        Entry, on_delete=models.CASCADE, related_name="stale_flags", verbose_name=_("entry")
    )
    base_version = models.PositiveIntegerField(_("entry version last reviewed"))
    change = models.ForeignKey(
        EntryChange,
        on_delete=models.CASCADE,
        related_name="stale_flags",
        verbose_name=_("latest change"),
    )
    case = models.ForeignKey(
        "casebase.Case",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="stale_flags",
        verbose_name=_("case"),
    )
    query_task = models.ForeignKey(
        QueryTask,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="stale_flags",
        verbose_name=_("query task"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    created_at = models.DateTimeField(_("flagged at"), default=timezone.now)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("resolved by"),
    )
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)

    class Meta:
        verbose_name = _("stale item")
        verbose_name_plural = _("stale items")
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["status", "created_at"], name="kb_staleflag_status")]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(case__isnull=False, query_task__isnull=True)
                    | Q(case__isnull=True, query_task__isnull=False)
                ),
                name="kb_staleflag_one_item",
            ),
            models.UniqueConstraint(
                fields=["entry", "case"],
                condition=Q(status="open", case__isnull=False),
                name="kb_staleflag_one_open_per_case",
            ),
            models.UniqueConstraint(
                fields=["entry", "query_task"],
                condition=Q(status="open", query_task__isnull=False),
                name="kb_staleflag_one_open_per_task",
            ),
        ]

    def __str__(self) -> str:
        item = f"case {self.case_id}" if self.case_id else f"task {self.query_task_id}"
        return f"{item} ← entry {self.entry_id} v{self.base_version}"
