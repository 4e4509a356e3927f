"""Curriculum: call steps, ability elements and topics, the course catalogue, learning maps,
enrolments, the two-level evaluation (reaction survey, exam), behaviour ratings,
improvement plans and the curriculum event log.

Business rules that change state live in curriculum/services.py; reads in selectors.py.
"""

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from config.models import SingletonSettings

SCORE_VALIDATORS = [MinValueValidator(1), MaxValueValidator(5)]
PERCENT_BAND_VALIDATORS = [MinValueValidator(1), MaxValueValidator(100)]
EXAM_EVIDENCE_MAX_QUESTIONS = 20
EXAM_EVIDENCE_MAX_WINDOW_DAYS = 730
MAX_EXAM_DELAY_DAYS = 365


class CurriculumSettings(SingletonSettings):
    """Admin-editable numbers of the curriculum (one row, pk=1, seeded by migration)."""

    low_survey_score = models.PositiveSmallIntegerField(
        _("low survey score"),
        default=2,
        validators=SCORE_VALIDATORS,
        help_text=_(
            "A course survey with any score (content, format or usefulness, of 5) at or below this "
            "asks for a look: the training manager's home counts them (1–5, default 2)."
        ),
    )

    # Exam evidence in the gap analysis (curriculum.gaps): a promotion exam or re-test scores
    # each competency item its cases are tagged with; the score is read as a 1–5 level by
    # these bands and stands in for the behaviour rating where the item has none.
    exam_level_2_percent = models.PositiveSmallIntegerField(
        _("exam evidence: level 2 from (%)"),
        default=40,
        validators=PERCENT_BAND_VALIDATORS,
        help_text=_(
            "Exam evidence in the gap analysis: an employee's promotion exam or re-test scores "
            "each competency item its cases test, and the score is read as a level of the 1–5 "
            "behaviour scale — below this percentage level 1, from it level 2. Default 40. 1–100, "
            "below the level 3 threshold."
        ),
    )
    exam_level_3_percent = models.PositiveSmallIntegerField(
        _("exam evidence: level 3 from (%)"),
        default=60,
        validators=PERCENT_BAND_VALIDATORS,
        help_text=_(
            "An exam score per competency item from this percentage reads as level 3. Default 60. "
            "1–100, between the level 2 and level 4 thresholds."
        ),
    )
    exam_level_4_percent = models.PositiveSmallIntegerField(
        _("exam evidence: level 4 from (%)"),
        default=75,
        validators=PERCENT_BAND_VALIDATORS,
        help_text=_(
            "An exam score per competency item from this percentage reads as level 4. Default 75. "
            "1–100, between the level 3 and level 5 thresholds."
        ),
    )
    exam_level_5_percent = models.PositiveSmallIntegerField(
        _("exam evidence: level 5 from (%)"),
        default=90,
        validators=PERCENT_BAND_VALIDATORS,
        help_text=_(
            "An exam score per competency item from this percentage reads as level 5. Default 90. "
            "1–100, above the level 4 threshold."
        ),
    )
    exam_evidence_min_questions = models.PositiveSmallIntegerField(
        _("exam evidence: questions needed per item"),
        default=2,
        validators=[MinValueValidator(1), MaxValueValidator(EXAM_EVIDENCE_MAX_QUESTIONS)],
        help_text=_(
            "An exam counts as evidence for a competency item only when it asked at least this "
            "many questions about the item, so that one lucky or unlucky answer does not move the "
            "gap. Default 2. 1–20."
        ),
    )
    exam_evidence_window_days = models.PositiveSmallIntegerField(
        _("exam evidence: window (days)"),
        default=365,
        validators=[MinValueValidator(1), MaxValueValidator(EXAM_EVIDENCE_MAX_WINDOW_DAYS)],
        help_text=_(
            "Only exams submitted within this many days count. Per competency item the gap "
            "analysis shows the employee's latest submitted exam (time not run out) that asked "
            "enough about it, in its own column with the date. The gap itself is taken from the "
            "latest behaviour rating; the exam level is used only for items nobody has rated yet, "
            "and the page marks those gaps as coming from the exam. Default 365. 1–730."
        ),
    )

    class Meta:
        verbose_name = _("curriculum settings")
        verbose_name_plural = _("curriculum settings")
        constraints = [
            models.CheckConstraint(
                condition=Q(low_survey_score__gte=1) & Q(low_survey_score__lte=5),
                name="curriculum_settings_low_survey_score_1_to_5",
            ),
            models.CheckConstraint(
                condition=Q(exam_level_2_percent__gte=1)
                & Q(exam_level_3_percent__gt=models.F("exam_level_2_percent"))
                & Q(exam_level_4_percent__gt=models.F("exam_level_3_percent"))
                & Q(exam_level_5_percent__gt=models.F("exam_level_4_percent"))
                & Q(exam_level_5_percent__lte=100),
                name="curriculum_settings_exam_bands_rise",
            ),
            models.CheckConstraint(
                condition=Q(exam_evidence_min_questions__gte=1)
                & Q(exam_evidence_min_questions__lte=EXAM_EVIDENCE_MAX_QUESTIONS),
                name="curriculum_settings_exam_min_questions_range",
            ),
            models.CheckConstraint(
                condition=Q(exam_evidence_window_days__gte=1)
                & Q(exam_evidence_window_days__lte=EXAM_EVIDENCE_MAX_WINDOW_DAYS),
                name="curriculum_settings_exam_window_range",
            ),
        ]

    def __str__(self) -> str:
        return str(_("Curriculum settings"))

    def clean(self):
        super().clean()
        bands = [
            ("exam_level_2_percent", self.exam_level_2_percent),
            ("exam_level_3_percent", self.exam_level_3_percent),
            ("exam_level_4_percent", self.exam_level_4_percent),
            ("exam_level_5_percent", self.exam_level_5_percent),
        ]
        for (_lower_name, lower), (name, value) in zip(bands, bands[1:], strict=False):
            if lower is not None and value is not None and value <= lower:
                raise ValidationError(
                    {name: _("Each level's threshold must be above the one of the level below.")}
                )

    def exam_level(self, percent) -> int:
        """The 1–5 level an exam score per competency item (a percentage) reads as: the highest
        level whose threshold the score reaches; 1 below the level 2 threshold."""
        thresholds = (
            (5, self.exam_level_5_percent),
            (4, self.exam_level_4_percent),
            (3, self.exam_level_3_percent),
            (2, self.exam_level_2_percent),
        )
        return next((level for level, bar in thresholds if percent >= bar), 1)


class CallStep(models.Model):
    """One of the six service steps of a call (一通电话的六大服务步骤); the list is data."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("call step")
        verbose_name_plural = _("call steps")
        ordering = ["order", "code"]

    def __str__(self) -> str:
        return self.name


class AbilityElement(models.Model):
    """An ability element of a call step: general (通用, every position) or position-specific
    (专属, one position family)."""

    class Scope(models.TextChoices):
        GENERAL = "general", _("General")
        SPECIFIC = "specific", _("Position-specific")

    call_step = models.ForeignKey(
        CallStep,
        on_delete=models.PROTECT,
        related_name="ability_elements",
        verbose_name=_("call step"),
    )
    scope = models.CharField(
        _("scope"), max_length=10, choices=Scope.choices, default=Scope.GENERAL
    )
    position_family = models.ForeignKey(
        "accounts.PositionFamily",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ability_elements",
        verbose_name=_("position family"),
        help_text=_("Required for position-specific elements, empty for general ones."),
    )
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    description = models.TextField(_("description"), blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("ability element")
        verbose_name_plural = _("ability elements")
        ordering = ["call_step__order", "scope", "order", "name"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(scope="general") & Q(position_family__isnull=True))
                | (Q(scope="specific") & Q(position_family__isnull=False)),
                name="ability_element_family_iff_specific",
            )
        ]

    def __str__(self) -> str:
        return f"{self.call_step} · {self.name}"


class Topic(models.Model):
    """A learning topic (学习主题); belongs to an ability element and groups courses on a map."""

    ability_element = models.ForeignKey(
        AbilityElement,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="topics",
        verbose_name=_("ability element"),
    )
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    description = models.TextField(_("description"), blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("topic")
        verbose_name_plural = _("topics")
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return self.name


class Course(models.Model):
    """A course of the catalogue. Exam settings (questions per exam, pass mark) are data."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    title = models.CharField(_("title"), max_length=150)
    title_en = models.CharField(_("English title"), max_length=150, blank=True)
    description = models.TextField(_("description"), blank=True)
    competency_items = models.ManyToManyField(
        "competency.CompetencyItem",
        blank=True,
        related_name="courses",
        verbose_name=_("competency items"),
    )
    call_steps = models.ManyToManyField(
        CallStep, blank=True, related_name="courses", verbose_name=_("call steps")
    )
    topics = models.ManyToManyField(
        Topic, blank=True, related_name="courses", verbose_name=_("topics")
    )
    is_priority = models.BooleanField(
        _("priority course (精品)"),
        default=False,
        help_text=_("Flag courses that address current shortcomings."),
    )
    duration_hours = models.DecimalField(
        _("duration (hours)"),
        max_digits=5,
        decimal_places=1,
        default=Decimal("2.0"),
        validators=[MinValueValidator(Decimal("0.1"))],
    )
    exam_question_count = models.PositiveSmallIntegerField(
        _("questions per exam"),
        default=10,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
    )
    pass_mark_percent = models.PositiveSmallIntegerField(
        _("pass mark (%)"), default=60, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("course")
        verbose_name_plural = _("courses")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(pass_mark_percent__gte=1) & Q(pass_mark_percent__lte=100),
                name="course_pass_mark_1_100",
            ),
            models.CheckConstraint(
                condition=Q(exam_question_count__gte=1), name="course_exam_question_count_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class CourseRun(models.Model):
    """One delivery of a course (班次) with its dates; surveys are answered per run."""

    course = models.ForeignKey(
        Course, on_delete=models.CASCADE, related_name="runs", verbose_name=_("course")
    )
    name = models.CharField(_("name"), max_length=100, blank=True)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    exam_opens_after_days = models.PositiveSmallIntegerField(
        _("exam opens (days after the run ends)"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(MAX_EXAM_DELAY_DAYS)],
        help_text=_(
            "Empty: the learning exam is open during the whole run. 0: it opens on the run's last "
            "day; N: N days after the last day (an exam some time after the course). At most 365."
        ),
    )

    class Meta:
        verbose_name = _("course run")
        verbose_name_plural = _("course runs")
        ordering = ["course", "-starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="course_run_dates_ordered"
            ),
            models.CheckConstraint(
                condition=Q(exam_opens_after_days__isnull=True)
                | Q(exam_opens_after_days__lte=MAX_EXAM_DELAY_DAYS),
                name="course_run_exam_delay_at_most_a_year",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.course.title} · {self.starts_on:%Y-%m-%d}"

    def survey_opens_on(self):
        """The first day the reaction survey may be answered: the run's last day (the
        course has been delivered), never before."""
        return self.ends_on

    def exam_opens_on(self):
        """The first day the learning exam may be started: None when it is open during the
        whole run (no delay set), else the last day + exam_opens_after_days."""
        if self.exam_opens_after_days is None:
            return None
        return self.ends_on + dt.timedelta(days=self.exam_opens_after_days)


class LearningMap(models.Model):
    """The learning map (学习地图) of one position family."""

    position_family = models.OneToOneField(
        "accounts.PositionFamily",
        on_delete=models.CASCADE,
        related_name="learning_map",
        verbose_name=_("position family"),
    )
    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("learning map")
        verbose_name_plural = _("learning maps")
        ordering = ["position_family__code"]

    def __str__(self) -> str:
        return self.name


class StageLevel(models.TextChoices):
    JUNIOR = "junior", _("Junior (初级)")
    INTERMEDIATE = "intermediate", _("Intermediate (中级)")
    SENIOR = "senior", _("Senior (高级)")


class MapStage(models.Model):
    """A stage of a learning map; stages are taken in ``order``."""

    learning_map = models.ForeignKey(
        LearningMap, on_delete=models.CASCADE, related_name="stages", verbose_name=_("learning map")
    )
    level = models.CharField(_("level"), max_length=20, choices=StageLevel.choices)
    name = models.CharField(
        _("name"), max_length=100, help_text=_("Shown to employees, e.g. 初级.")
    )
    name_en = models.CharField(
        _("English name"),
        max_length=100,
        blank=True,
        help_text=_("Shown on English pages, e.g. Junior; empty: the name above."),
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("map stage")
        verbose_name_plural = _("map stages")
        ordering = ["learning_map", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["learning_map", "level"], name="map_stage_unique_level")
        ]

    def __str__(self) -> str:
        return f"{self.learning_map} · {self.name}"


class MapTopic(models.Model):
    """A topic placed on a stage, in order."""

    stage = models.ForeignKey(
        MapStage, on_delete=models.CASCADE, related_name="map_topics", verbose_name=_("stage")
    )
    topic = models.ForeignKey(
        Topic, on_delete=models.PROTECT, related_name="map_placements", verbose_name=_("topic")
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("stage topic")
        verbose_name_plural = _("stage topics")
        ordering = ["stage", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["stage", "topic"], name="map_topic_unique_per_stage")
        ]

    def __str__(self) -> str:
        return f"{self.stage} · {self.topic}"


class MapCourse(models.Model):
    """A course placed under a topic of a stage, in order."""

    map_topic = models.ForeignKey(
        MapTopic,
        on_delete=models.CASCADE,
        related_name="map_courses",
        verbose_name=_("stage topic"),
    )
    course = models.ForeignKey(
        Course, on_delete=models.PROTECT, related_name="map_placements", verbose_name=_("course")
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    added_at = models.DateTimeField(
        _("added at"),
        default=timezone.now,
        editable=False,
        help_text=_(
            "When the course was placed on the stage: employees who had finished the stage before "
            "see it as new; their stage stays finished."
        ),
    )

    class Meta:
        verbose_name = _("stage course")
        verbose_name_plural = _("stage courses")
        ordering = ["map_topic", "order", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["map_topic", "course"], name="map_course_unique_per_topic"
            )
        ]

    def __str__(self) -> str:
        return f"{self.map_topic} · {self.course.title}"


class StageCompletion(models.Model):
    """An employee finished a stage of their learning map (学习晋级 record). Written once by
    curriculum.services when the stage's last course is completed; a course added to the
    stage later never takes it back (the stage stays finished, the course shows as new)."""

    employee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="stage_completions",
        verbose_name=_("employee"),
    )
    stage = models.ForeignKey(
        MapStage, on_delete=models.CASCADE, related_name="completions", verbose_name=_("stage")
    )
    completed_at = models.DateTimeField(_("completed at"), default=timezone.now)

    class Meta:
        verbose_name = _("stage completion")
        verbose_name_plural = _("stage completions")
        ordering = ["-completed_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["employee", "stage"], name="stage_completion_once_per_employee"
            )
        ]

    def __str__(self) -> str:
        return f"{self.employee} · {self.stage}"


class Enrolment(models.Model):
    """An employee's enrolment in a course (one per employee and course)."""

    class Status(models.TextChoices):
        ENROLLED = "enrolled", _("In progress")
        COMPLETED = "completed", _("Completed")

    class CompletedBy(models.TextChoices):
        ATTENDANCE = "attendance", _("Attendance recorded")
        EXAM = "exam", _("Exam passed")

    employee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="enrolments",
        verbose_name=_("employee"),
    )
    course = models.ForeignKey(
        Course, on_delete=models.PROTECT, related_name="enrolments", verbose_name=_("course")
    )
    run = models.ForeignKey(
        CourseRun,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="enrolments",
        verbose_name=_("course run"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ENROLLED, db_index=True
    )
    enrolled_at = models.DateTimeField(_("enrolled at"), default=timezone.now)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    completed_by = models.CharField(
        _("completed by"), max_length=12, choices=CompletedBy.choices, blank=True
    )

    class Meta:
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")
        ordering = ["-enrolled_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["employee", "course"], name="enrolment_unique_course_per_employee"
            ),
            models.CheckConstraint(
                condition=(Q(status="completed") & Q(completed_at__isnull=False))
                | (Q(status="enrolled") & Q(completed_at__isnull=True)),
                name="enrolment_completed_at_iff_completed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.employee} · {self.course.title}"

    @property
    def is_completed(self) -> bool:
        return self.status == self.Status.COMPLETED


class SurveyResponse(models.Model):
    """Level-1 (reaction) evaluation: content / format / usefulness 1–5 and a comment.

    Exactly one per employee, course and run (a run-less enrolment counts as one run).
    """

    employee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="survey_responses",
        verbose_name=_("employee"),
    )
    course = models.ForeignKey(
        Course, on_delete=models.CASCADE, related_name="survey_responses", verbose_name=_("course")
    )
    run = models.ForeignKey(
        CourseRun,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="survey_responses",
        verbose_name=_("course run"),
    )
    content_score = models.PositiveSmallIntegerField(_("content"), validators=SCORE_VALIDATORS)
    format_score = models.PositiveSmallIntegerField(_("format"), validators=SCORE_VALIDATORS)
    usefulness_score = models.PositiveSmallIntegerField(
        _("usefulness"), validators=SCORE_VALIDATORS
    )
    comment = models.TextField(_("comment"), blank=True, max_length=2000)
    submitted_at = models.DateTimeField(_("submitted at"), default=timezone.now)

    class Meta:
        verbose_name = _("survey response")
        verbose_name_plural = _("survey responses")
        ordering = ["-submitted_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["employee", "course", "run"],
                condition=Q(run__isnull=False),
                name="survey_one_response_per_run",
            ),
            # A run-less (self-paced) enrolment counts as one run; partial index instead of
            # NULLS NOT DISTINCT so SQLite (the embedded default) enforces it too.
            models.UniqueConstraint(
                fields=["employee", "course"],
                condition=Q(run__isnull=True),
                name="survey_one_response_without_run",
            ),
            models.CheckConstraint(
                condition=Q(content_score__gte=1)
                & Q(content_score__lte=5)
                & Q(format_score__gte=1)
                & Q(format_score__lte=5)
                & Q(usefulness_score__gte=1)
                & Q(usefulness_score__lte=5),
                name="survey_scores_1_to_5",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.employee} · {self.course.title}"

    def average(self) -> Decimal:
        """Mean of the three scores, rounded to 2 places."""
        return (
            Decimal(self.content_score + self.format_score + self.usefulness_score) / 3
        ).quantize(Decimal("0.01"))


class Question(models.Model):
    """A question of a course's bank (level-2 evaluation)."""

    class Kind(models.TextChoices):
        SINGLE = "single", _("Single choice")
        MULTIPLE = "multiple", _("Multiple choice")

    course = models.ForeignKey(
        Course, on_delete=models.CASCADE, related_name="questions", verbose_name=_("course")
    )
    text = models.TextField(_("question"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.SINGLE)
    is_active = models.BooleanField(_("in use"), default=True)
    # What the question tests; empty: the course's competency items (curriculum.exam_items).
    competency_items = models.ManyToManyField(
        "competency.CompetencyItem",
        blank=True,
        related_name="course_questions",
        verbose_name=_("competency items"),
        help_text=_(
            "The competency items this question tests. Leave empty when it tests all of the "
            "course's items: the exam result per competency item and the gap analysis then "
            "count it for each of the course's items."
        ),
    )

    class Meta:
        verbose_name = _("exam question")
        verbose_name_plural = _("exam questions")
        ordering = ["course", "id"]

    def __str__(self) -> str:
        return self.text[:60]


class Option(models.Model):
    question = models.ForeignKey(
        Question, on_delete=models.CASCADE, related_name="options", verbose_name=_("question")
    )
    text = models.CharField(_("option"), max_length=300)
    is_correct = models.BooleanField(_("correct"), default=False)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("option")
        verbose_name_plural = _("options")
        ordering = ["question", "order", "id"]

    def __str__(self) -> str:
        return self.text


class ExamAttempt(models.Model):
    """One sitting of a course exam; at most one open attempt per employee and course."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        SUBMITTED = "submitted", _("Submitted")

    employee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="exam_attempts",
        verbose_name=_("employee"),
    )
    course = models.ForeignKey(
        Course, on_delete=models.CASCADE, related_name="exam_attempts", verbose_name=_("course")
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    pass_mark_percent = models.PositiveSmallIntegerField(_("pass mark (%)"))
    correct_count = models.PositiveSmallIntegerField(_("correct answers"), null=True, blank=True)
    score_percent = models.DecimalField(
        _("score (%)"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    passed = models.BooleanField(_("passed"), null=True, blank=True)

    class Meta:
        verbose_name = _("exam attempt")
        verbose_name_plural = _("exam attempts")
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["employee", "course"],
                condition=Q(status="open"),
                name="exam_one_open_attempt_per_course",
            )
        ]

    def __str__(self) -> str:
        return f"{self.employee} · {self.course.title} · {self.started_at:%Y-%m-%d}"


class AttemptQuestion(models.Model):
    """A question drawn for an attempt, the options chosen and whether it was right."""

    attempt = models.ForeignKey(
        ExamAttempt, on_delete=models.CASCADE, related_name="items", verbose_name=_("attempt")
    )
    question = models.ForeignKey(
        Question, on_delete=models.PROTECT, related_name="+", verbose_name=_("question")
    )
    order = models.PositiveSmallIntegerField(_("order"))
    selected_options = models.ManyToManyField(
        Option, blank=True, related_name="+", verbose_name=_("selected options")
    )
    is_correct = models.BooleanField(_("correct"), null=True, blank=True)

    class Meta:
        verbose_name = _("attempt question")
        verbose_name_plural = _("attempt questions")
        ordering = ["attempt", "order"]
        constraints = [
            models.UniqueConstraint(fields=["attempt", "question"], name="attempt_question_unique")
        ]

    def __str__(self) -> str:
        return f"{self.attempt} · {self.order}"


class BehaviourRating(models.Model):
    """A supervisor's rating (1–5) of an employee's observed behaviour on one competency
    item, before or after training (行为量表)."""

    class Phase(models.TextChoices):
        BEFORE = "before", _("Before training")
        AFTER = "after", _("After training")

    employee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="behaviour_ratings",
        verbose_name=_("employee"),
    )
    item = models.ForeignKey(
        "competency.CompetencyItem",
        on_delete=models.PROTECT,
        related_name="behaviour_ratings",
        verbose_name=_("competency item"),
    )
    rater = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="behaviour_ratings_given",
        verbose_name=_("rater"),
    )
    phase = models.CharField(_("phase"), max_length=10, choices=Phase.choices)
    score = models.PositiveSmallIntegerField(_("score"), validators=SCORE_VALIDATORS)
    observed_on = models.DateField(_("observed on"))
    note = models.TextField(_("note"), blank=True, max_length=2000)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("behaviour rating")
        verbose_name_plural = _("behaviour ratings")
        ordering = ["-observed_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(score__gte=1) & Q(score__lte=5), name="behaviour_rating_score_1_to_5"
            )
        ]

    def __str__(self) -> str:
        return f"{self.employee} · {self.item} · {self.get_phase_display()} {self.score}"


class ImprovementPlanItem(models.Model):
    """One line of an employee's ability-improvement plan (能力提升计划)."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        DONE = "done", _("Done")

    employee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="improvement_plan_items",
        verbose_name=_("employee"),
    )
    item = models.ForeignKey(
        "competency.CompetencyItem",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("competency item"),
    )
    course = models.ForeignKey(
        Course,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("course"),
    )
    action = models.CharField(_("planned action"), max_length=300)
    due_on = models.DateField(_("due on"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("improvement plan item")
        verbose_name_plural = _("improvement plan items")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.action


class CurriculumEvent(models.Model):
    """Audit row for every important curriculum state change; written only by
    services.event_record."""

    class Kind(models.TextChoices):
        ENROLLED = "enrolled", _("Enrolled")
        COMPLETED = "completed", _("Course completed")
        STAGE_COMPLETED = "stage_completed", _("Stage completed")
        SURVEY_SUBMITTED = "survey_submitted", _("Survey submitted")
        EXAM_STARTED = "exam_started", _("Exam started")
        EXAM_SUBMITTED = "exam_submitted", _("Exam submitted")
        RATING_RECORDED = "rating_recorded", _("Behaviour rated")
        PLAN_ITEM_ADDED = "plan_item_added", _("Improvement plan item added")

    employee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="curriculum_events",
        verbose_name=_("employee"),
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    course = models.ForeignKey(
        Course,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("course"),
    )
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("curriculum event")
        verbose_name_plural = _("curriculum events")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.get_kind_display()} · {self.employee}"
