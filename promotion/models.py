"""The 0–5 promotion ladder (DOMAIN.md §6): levels and their privileges, requirements per
level, exams, mentorships, promotion/demotion events, retention periods (保级), medals and
in-app notifications.

``accounts.User.level`` changes only through promotion.services.levels (employee_promote,
employee_demote, promotion_history_backfill), each of which writes a PromotionEvent.
"""

from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from accounts.levels import LEVEL_VALIDATORS
from casebase.questions import public_question, with_recording_url
from config.models import SingletonSettings
from config.template_filters import localized_value

EXAM_MIN_CASES, EXAM_MAX_CASES = 10, 20
# Seeing exam attempts in full, with the answers (training managers, review committee).
VIEW_EXAM_ANSWERS = "promotion.view_exam_answers"


class Level(models.Model):
    """One rung of the ladder: title, badge colour and privileges (seeded by migration)."""

    number = models.PositiveSmallIntegerField(_("level"), unique=True, validators=LEVEL_VALIDATORS)
    title = models.CharField(_("title"), max_length=40)
    title_en = models.CharField(_("English title"), max_length=40, blank=True)
    badge_colour = models.CharField(
        _("badge colour"),
        max_length=7,
        default="#999999",
        validators=[RegexValidator(r"^#[0-9a-fA-F]{6}$", _("Use a colour like #1a7f37."))],
    )
    can_mentor = models.BooleanField(_("may take apprentices"), default=False)
    privileges = models.TextField(
        _("privileges"), blank=True, help_text=_("One privilege per line.")
    )
    privileges_en = models.TextField(
        _("English privileges"),
        blank=True,
        help_text=_("One privilege per line, for English pages; empty: the lines above."),
    )

    class Meta:
        verbose_name = _("level")
        verbose_name_plural = _("levels")
        ordering = ["number"]

    def __str__(self) -> str:
        return f"{self.number} {localized_value(self, 'title')}"

    def privilege_lines(self) -> list[str]:
        """The privileges text in the current language (the English twin on English pages when
        it is written) split into non-empty lines ([] when none are written)."""
        return [
            line.strip()
            for line in localized_value(self, "privileges").splitlines()
            if line.strip()
        ]

    def badge_text_colour(self) -> str:
        """Black or white, whichever reads better on the badge colour."""
        red, green, blue = (int(self.badge_colour[i : i + 2], 16) for i in (1, 3, 5))
        return "#000000" if (red * 299 + green * 587 + blue * 114) / 1000 > 140 else "#ffffff"


class LevelRequirement(models.Model):
    """What promotion to ``level`` (from level − 1) requires, and the retention rules that
    follow such a promotion (admin-editable, seeded with the DOMAIN.md §6 defaults)."""

    level = models.OneToOneField(
        Level, on_delete=models.CASCADE, related_name="requirement", verbose_name=_("level")
    )
    points_threshold = models.PositiveIntegerField(
        _("points needed"),
        default=800,
        validators=[MaxValueValidator(100_000)],
        help_text=_(
            "Points earned since the employee's last level change (or ever, for a first promotion)."
        ),
    )
    training_cases_required = models.PositiveIntegerField(
        _("training cases to study"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(1000)],
        help_text=_(
            "Level-n training cases the employee must have studied; empty means all of them."
        ),
    )
    exam_case_count = models.PositiveSmallIntegerField(
        _("exam cases"),
        default=10,
        validators=[MinValueValidator(EXAM_MIN_CASES), MaxValueValidator(EXAM_MAX_CASES)],
        help_text=_(
            "Test cases drawn for the exam (10–20): the least drawn first, at random among equals. "
            "The exam starts only when the level has at least this many test cases with questions "
            "(and the minimum test pool of the exam settings)."
        ),
    )
    exam_pass_percent = models.PositiveSmallIntegerField(
        _("exam pass mark (%)"),
        default=80,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
    )
    exam_time_limit_minutes = models.PositiveSmallIntegerField(
        _("exam time limit (minutes)"),
        default=40,
        validators=[MinValueValidator(5), MaxValueValidator(240)],
    )
    query_time_required = models.BooleanField(
        _("query-time result must allow the level"),
        default=True,
    )
    apprentices_required = models.PositiveSmallIntegerField(
        _("apprentices required"),
        default=0,
        validators=[MaxValueValidator(10)],
    )
    apprentice_from_level = models.PositiveSmallIntegerField(
        _("apprentices promoted from level"),
        null=True,
        blank=True,
        validators=LEVEL_VALIDATORS,
        help_text=_(
            "Apprentices count when they were promoted from this level to the next under the "
            "mentor."
        ),
    )
    retention_points = models.PositiveIntegerField(
        _("retention points task"),
        default=200,
        validators=[MaxValueValidator(100_000)],
        help_text=_("Points to earn within the retention period."),
    )
    retention_apprentices = models.PositiveSmallIntegerField(
        _("retention apprentice task"),
        default=0,
        validators=[MaxValueValidator(10)],
        help_text=_(
            "Apprentices to bring up one level (from the same level as for the promotion) within "
            "the retention period. The rule book's default: 1 where the promotion required "
            "apprentices (levels 3 and 4), else 0."
        ),
    )
    retest_opens_after_days = models.PositiveSmallIntegerField(
        _("re-test opens after (days)"),
        default=335,
        validators=[MaxValueValidator(730)],
    )
    retention_days = models.PositiveSmallIntegerField(
        _("retention period (days)"),
        default=365,
        validators=[MinValueValidator(30), MaxValueValidator(730)],
        help_text=_(
            "The rule book's year (365 days); at most two years, so a level cannot be kept without "
            "a re-test for longer."
        ),
    )
    retest_attempts = models.PositiveSmallIntegerField(
        _("re-test attempts"),
        default=2,
        validators=[MinValueValidator(1), MaxValueValidator(3)],
        help_text=_(
            "The re-test plus make-up attempts: the rule book gives one make-up (2); at most 3, so "
            "the re-test cannot turn into practice."
        ),
    )
    reminder_days_before_due = models.PositiveSmallIntegerField(
        _("reminder before the due date (days)"),
        default=14,
        validators=[MaxValueValidator(90)],
    )

    class Meta:
        verbose_name = _("level requirement")
        verbose_name_plural = _("level requirements")
        ordering = ["level__number"]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    exam_case_count__gte=EXAM_MIN_CASES, exam_case_count__lte=EXAM_MAX_CASES
                ),
                name="levelrequirement_exam_10_to_20",
            ),
            models.CheckConstraint(
                condition=Q(exam_pass_percent__gte=1, exam_pass_percent__lte=100),
                name="levelrequirement_pass_mark_percent",
            ),
        ]

    def __str__(self) -> str:
        return gettext("Requirements for level %(level)s") % {"level": self.level.number}

    def clean(self):
        super().clean()
        if self.apprentices_required and self.apprentice_from_level is None:
            raise ValidationError(
                {"apprentice_from_level": _("Say from which level apprentices must be promoted.")}
            )
        if self.retention_apprentices and self.apprentice_from_level is None:
            raise ValidationError(
                {"apprentice_from_level": _("Say from which level apprentices must be promoted.")}
            )
        if self.retest_opens_after_days >= self.retention_days:
            raise ValidationError(
                {"retest_opens_after_days": _("The re-test must open before the period ends.")}
            )


class PromotionSettings(SingletonSettings):
    """Admin-editable promotion policy (one row, pk=1, seeded by migration): retakes and the
    test pool an exam needs (read by promotion.selectors.exam_refusal and exam_start), and
    the mentoring rules (creditable_mentorship, mentorship_create)."""

    retake_wait_hours = models.PositiveSmallIntegerField(
        _("waiting period between attempts (hours)"),
        default=72,
        validators=[MinValueValidator(1), MaxValueValidator(720)],
        help_text=_(
            "Hours from the end of one attempt (submission, or its time limit for an abandoned "
            "attempt) to the start of the next attempt of the same level. Default 72 (3 days): "
            "time to study the level's training cases again, so a retake tests learning rather "
            "than memory of the last draw. Also applies between a retention re-test and its "
            "make-up, but never so long that the make-up could not be finished before the due "
            "date. 1–720."
        ),
    )
    max_attempts_per_period = models.PositiveSmallIntegerField(
        _("attempts allowed per period"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(10)],
        help_text=_(
            "Promotion-exam attempts of one level allowed within the rolling period below; "
            "abandoned and expired attempts count. Default 3: a CSR can still retry about every "
            "ten days, but cannot sit the exam over and over to see more of the test set. "
            "Retention re-tests are limited by the level's re-test attempts instead. 1–10."
        ),
    )
    attempt_period_days = models.PositiveSmallIntegerField(
        _("period for the attempt limit (days)"),
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text=_("Length of the rolling period of the attempt limit. Default 30 days. 1–365."),
    )
    min_test_pool = models.PositiveSmallIntegerField(
        _("minimum test pool"),
        default=10,
        validators=[MinValueValidator(EXAM_MIN_CASES), MaxValueValidator(500)],
        help_text=_(
            "An exam starts only when the level has at least this many active test cases that "
            "yield questions, and at least the level's exam case count; otherwise the start is "
            "refused, never shortened. Default 10, the smallest exam; raise it so that retakes "
            "draw different cases. 10–500."
        ),
    )
    mentorship_min_days = models.PositiveSmallIntegerField(
        _("mentoring before an apprentice's promotion counts (days)"),
        default=30,
        validators=[MaxValueValidator(365)],
        help_text=_(
            "A mentor is paid and credited for an apprentice's promotion only when the pair had "
            "been running at least this many days before it. Default 30: bringing someone up is "
            "weeks of work, and a pair made the day before a promotion must not earn 200 points "
            "and count towards the mentor's own promotion. 0–365."
        ),
    )
    max_active_apprentices = models.PositiveSmallIntegerField(
        _("apprentices per mentor at a time"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(20)],
        help_text=_(
            "The most apprentices one mentor may have at the same time. Default 3, the number a "
            "promotion asks for: enough to meet it in one round, too few to collect apprentices "
            "about to be promoted anyway. 1–20."
        ),
    )
    max_questions_per_case = models.PositiveSmallIntegerField(
        _("questions per case (at most)"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(6)],
        help_text=_(
            "At most this many questions are asked about one drawn case, so a big case cannot "
            "dominate an exam. Default 3. 1–6."
        ),
    )

    exam_exposure_cap = models.PositiveIntegerField(
        _("exam draws per test case (at most)"),
        default=0,
        validators=[MaxValueValidator(100_000)],
        help_text=_(
            "A test case already drawn into this many exams is no longer drawn (it stays in the "
            "library and on the item statistics page, flagged as overexposed, for review experts "
            "to retire or move to training); the pool an exam needs is counted without such cases. "
            "0 = no cap: the draw still takes the least drawn cases first. 0–100000."
        ),
    )
    item_min_responses = models.PositiveSmallIntegerField(
        _("answers before an item is judged"),
        default=20,
        validators=[MinValueValidator(2), MaxValueValidator(1000)],
        help_text=_(
            "Item statistics flag a test case (or question) only after at least this many answers "
            "to its questions in submitted exams; fewer answers say too little. Default 20. 2–1000."
        ),
    )
    item_discrimination_floor = models.DecimalField(
        _("lowest acceptable discrimination"),
        max_digits=3,
        decimal_places=2,
        default=Decimal("0.10"),
        validators=[MinValueValidator(Decimal("0.00")), MaxValueValidator(Decimal("0.50"))],
        help_text=_(
            "A test case whose point-biserial discrimination (correlation of a correct answer with "
            "the attempt's score) is below this value is flagged: strong examinees do no better on "
            "it than weak ones. Default 0.10. 0.00–0.50."
        ),
    )
    pace_days = models.PositiveSmallIntegerField(
        _("forecast pace window (days)"),
        default=90,
        validators=[MinValueValidator(14), MaxValueValidator(365)],
        help_text=_(
            "The promotion forecast projects the pace of the last this many days (points, training "
            "cases and apprentices per week). Default 90. 14–365."
        ),
    )
    retest_horizon_days = models.PositiveSmallIntegerField(
        _("re-tests due within (days)"),
        default=60,
        validators=[MinValueValidator(7), MaxValueValidator(365)],
        help_text=_(
            "The workforce page lists re-tests whose window is open or opens within this many "
            "days. Default 60. 7–365."
        ),
    )
    risk_days_left = models.PositiveSmallIntegerField(
        _("retention risk: days left"),
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text=_(
            "A running retention period is at risk when fewer than this many days are left before "
            "its due date and its points task, apprentice task or query-time result is still "
            "missing. Default 30. 1–365."
        ),
    )
    blueprint_floor_percent = models.PositiveSmallIntegerField(
        _("blueprint weight floor (%)"),
        default=5,
        validators=[MaxValueValidator(50)],
        help_text=_(
            "An exam asks about every competency item of the candidate's position whose Q-sort "
            "weight is above this share (at least one case each, where tagged test cases exist); "
            "lighter items get cases only by their proportional share. Default 5 %. 0–50."
        ),
    )

    class Meta:
        verbose_name = _("exam settings")
        verbose_name_plural = _("exam settings")
        constraints = [
            models.CheckConstraint(
                condition=Q(retake_wait_hours__gte=1, retake_wait_hours__lte=720),
                name="promotionsettings_wait_range",
            ),
            models.CheckConstraint(
                condition=Q(max_attempts_per_period__gte=1, max_attempts_per_period__lte=10),
                name="promotionsettings_attempts_range",
            ),
            models.CheckConstraint(
                condition=Q(attempt_period_days__gte=1, attempt_period_days__lte=365),
                name="promotionsettings_period_range",
            ),
            models.CheckConstraint(
                condition=Q(min_test_pool__gte=EXAM_MIN_CASES, min_test_pool__lte=500),
                name="promotionsettings_pool_range",
            ),
            models.CheckConstraint(
                condition=Q(max_questions_per_case__gte=1, max_questions_per_case__lte=6),
                name="promotionsettings_questions_range",
            ),
            models.CheckConstraint(
                condition=Q(mentorship_min_days__lte=365), name="promotionsettings_mentoring_days"
            ),
            models.CheckConstraint(
                condition=Q(max_active_apprentices__gte=1, max_active_apprentices__lte=20),
                name="promotionsettings_apprentices_range",
            ),
            models.CheckConstraint(
                condition=Q(item_min_responses__gte=2, item_min_responses__lte=1000),
                name="promotionsettings_item_min_responses_range",
            ),
            models.CheckConstraint(
                condition=Q(
                    item_discrimination_floor__gte=0, item_discrimination_floor__lte=Decimal("0.5")
                ),
                name="promotionsettings_discrimination_floor_range",
            ),
            models.CheckConstraint(
                condition=Q(exam_exposure_cap__lte=100_000),
                name="promotionsettings_exposure_cap_range",
            ),
            models.CheckConstraint(
                condition=Q(pace_days__gte=14, pace_days__lte=365),
                name="promotionsettings_pace_range",
            ),
            models.CheckConstraint(
                condition=Q(retest_horizon_days__gte=7, retest_horizon_days__lte=365),
                name="promotionsettings_horizon_range",
            ),
            models.CheckConstraint(
                condition=Q(risk_days_left__gte=1, risk_days_left__lte=365),
                name="promotionsettings_risk_range",
            ),
            models.CheckConstraint(
                condition=Q(blueprint_floor_percent__lte=50),
                name="promotionsettings_blueprint_floor_range",
            ),
        ]

    def __str__(self) -> str:
        return str(_("Exam settings"))

    @property
    def retake_wait(self) -> timedelta:
        return timedelta(hours=self.retake_wait_hours)

    @property
    def attempt_period(self) -> timedelta:
        return timedelta(days=self.attempt_period_days)


def attempt_ended_at(submitted_at: datetime | None, deadline: datetime) -> datetime:
    """When an exam attempt ended for the retake policy: its submission, but never later
    than its deadline (an abandoned attempt ended when its time ran out, even if it was
    closed as expired later)."""
    return min(submitted_at or deadline, deadline)


class ExamAttempt(models.Model):
    """One sitting of a level exam. ``questions`` holds the answers: the examinee sees the
    questions without them while the attempt is open (public_questions) and only the score
    and per-kind feedback after it (promotion.selectors.exam_feedback); the full attempt
    (graded_questions) is for holders of VIEW_EXAM_ANSWERS
    (promotion.selectors.can_view_in_full)."""

    class Purpose(models.TextChoices):
        PROMOTION = "promotion", _("Promotion exam")
        RETENTION = "retention", _("Retention re-test")

    class Status(models.TextChoices):
        OPEN = "open", _("In progress")
        PASSED = "passed", _("Passed")
        FAILED = "failed", _("Failed")
        EXPIRED = "expired", _("Time ran out")

    employee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="promotion_exam_attempts",
        verbose_name=_("employee"),
    )
    level = models.PositiveSmallIntegerField(_("level"), validators=LEVEL_VALIDATORS)
    purpose = models.CharField(
        _("purpose"), max_length=10, choices=Purpose.choices, default=Purpose.PROMOTION
    )
    retention_period = models.ForeignKey(
        "RetentionPeriod",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="exam_attempts",
        verbose_name=_("retention period"),
    )
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    deadline = models.DateTimeField(_("deadline"))
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    case_ids = models.JSONField(_("cases"), default=list)
    questions = models.JSONField(_("questions"), default=list)
    answers = models.JSONField(_("answers given"), default=dict, blank=True)
    correct_count = models.PositiveSmallIntegerField(_("correct answers"), default=0)
    score_percent = models.DecimalField(
        _("score (%)"), max_digits=5, decimal_places=1, null=True, blank=True
    )
    pass_percent = models.PositiveSmallIntegerField(_("pass mark (%)"))

    class Meta:
        verbose_name = _("exam attempt")
        verbose_name_plural = _("exam attempts")
        ordering = ["-started_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["employee"], condition=Q(status="open"), name="exam_one_open_attempt"
            ),
        ]
        indexes = [
            models.Index(
                fields=["employee", "level", "started_at"], name="exam_employee_level_started"
            )
        ]
        # Granted by migration to the Training manager and Reviewer groups.
        permissions = [("view_exam_answers", _("Can see exam attempts in full, with the answers"))]

    def __str__(self) -> str:
        return f"{self.employee} L{self.level} {self.get_status_display()}"

    @property
    def passed(self) -> bool:
        return self.status == self.Status.PASSED

    @property
    def question_count(self) -> int:
        return len(self.questions)

    def is_overdue(self, now: datetime | None = None) -> bool:
        """True when the server-side time limit has passed (submissions then count as expired)."""
        return (now or timezone.now()) > self.deadline

    def seconds_left(self, now: datetime | None = None) -> int:
        """Whole seconds until the deadline; 0 when it has passed."""
        return max(int((self.deadline - (now or timezone.now())).total_seconds()), 0)

    def ended_at(self) -> datetime:
        """When the attempt ended for the retake policy (see attempt_ended_at)."""
        return attempt_ended_at(self.submitted_at, self.deadline)

    def public_questions(self) -> list[dict]:
        """The questions of the OPEN attempt without their answers (what the examinee's
        browser and API may see); [] once submitted: afterwards the examinee sees only the
        score and feedback, never the test cases' options again."""
        if self.status != self.Status.OPEN:
            return []
        return [public_question(q) for q in self.questions]

    def graded_questions(self) -> list[dict]:
        """Questions with the given and the correct option — the full view for staff holding
        VIEW_EXAM_ANSWERS, never the examinee ([] while the attempt is open)."""
        if self.status == self.Status.OPEN:
            return []
        return [
            dict(
                with_recording_url(q),
                given=self.answers.get(q["id"]),
                correct=self.answers.get(q["id"]) == q["answer"],
            )
            for q in self.questions
        ]


class ExamItemResponse(models.Model):
    """One answer of a graded exam attempt, per question (written when the attempt is graded,
    promotion.services.exams._grade): the item statistics (promotion.item_stats) aggregate these
    rows in the database. ``question_key`` identifies the question across attempts: its kind
    and the case turn it was made from ("best_reply:17"; the kind alone for voice cases)."""

    attempt = models.ForeignKey(
        ExamAttempt,
        on_delete=models.CASCADE,
        related_name="item_responses",
        verbose_name=_("exam attempt"),
    )
    case = models.ForeignKey(
        "casebase.Case",
        on_delete=models.CASCADE,
        related_name="exam_responses",
        verbose_name=_("case"),
    )
    question_key = models.CharField(_("question"), max_length=60)
    kind = models.CharField(_("question kind"), max_length=24)
    correct = models.BooleanField(_("answered correctly"))

    class Meta:
        verbose_name = _("exam answer")
        verbose_name_plural = _("exam answers")
        constraints = [
            models.UniqueConstraint(
                fields=["attempt", "case", "question_key"], name="examitemresponse_once_per_attempt"
            )
        ]
        indexes = [
            models.Index(fields=["case", "question_key"], name="examitemresponse_case_question")
        ]

    def __str__(self) -> str:
        return f"{self.attempt_id} {self.case_id} {self.question_key}"


def question_key(question: dict) -> str:
    """The stable identity of an exam question across attempts (see ExamItemResponse)."""
    node = question.get("node_id")
    return (
        f"{question.get('kind', '')}:{node}" if node is not None else str(question.get("kind", ""))
    )


class Mentorship(models.Model):
    """A mentor–apprentice pair (师徒). One active mentor per apprentice."""

    mentor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="mentorships_as_mentor",
        verbose_name=_("mentor"),
    )
    apprentice = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="mentorships_as_apprentice",
        verbose_name=_("apprentice"),
    )
    from_level = models.PositiveSmallIntegerField(
        _("apprentice's level at the start"), validators=LEVEL_VALIDATORS
    )
    started_at = models.DateTimeField(_("started"), default=timezone.now)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("paired by"),
    )

    class Meta:
        verbose_name = _("mentorship")
        verbose_name_plural = _("mentorships")
        ordering = ["-started_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["apprentice"],
                condition=Q(ended_at__isnull=True),
                name="mentorship_one_active_mentor",
            ),
            models.CheckConstraint(
                condition=~Q(mentor=models.F("apprentice")), name="mentorship_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.mentor} → {self.apprentice}"

    @property
    def is_active(self) -> bool:
        return self.ended_at is None


# Why a demotion happened: codes stored on the event, rendered in the reader's language.
REASON_MESSAGES = {
    "points_task": gettext_noop(
        "Points task not met: %(earned)s of %(needed)s points earned within the retention period."
    ),
    "apprentice_task": gettext_noop(
        "Apprentice task not met: %(brought)s of %(needed)s apprentices brought up within the "
        "retention period."
    ),
    "retest_exam": gettext_noop(
        "Re-test not passed: no passed level-%(level)s re-test exam by the due date."
    ),
    "retest_exhausted": gettext_noop(
        "Re-test failed: all %(attempts)s attempts (including the make-up) were used."
    ),
    "retest_query_time": gettext_noop(
        "Re-test not passed: no query-time result allowing level %(level)s in the re-test window."
    ),
    "manual": gettext_noop("Decided by a manager: %(text)s"),
}


def reasons_text(reasons: list[dict], fallback: str = "") -> str:
    """Reason codes (``[{"code": …, "params": {…}}]``, see REASON_MESSAGES) as one sentence
    in the current language; ``fallback`` (a manager's free text) when none is known."""
    parts = []
    for item in reasons or ():
        msgid = REASON_MESSAGES.get(item.get("code"))
        if msgid:
            parts.append(gettext(msgid) % item.get("params", {}))
    return " ".join(parts) or fallback


class PromotionEvent(models.Model):
    """Every level change: who, from, to, when, why and the evidence checked."""

    class Kind(models.TextChoices):
        PROMOTED = "promoted", _("Promoted")
        DEMOTED = "demoted", _("Demoted")

    employee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="promotion_events",
        verbose_name=_("employee"),
    )
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    from_level = models.PositiveSmallIntegerField(_("from level"), validators=LEVEL_VALIDATORS)
    to_level = models.PositiveSmallIntegerField(_("to level"), validators=LEVEL_VALIDATORS)
    at = models.DateTimeField(_("at"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    mentorship = models.ForeignKey(
        Mentorship,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="promotion_events",
        verbose_name=_("mentorship credited"),
    )
    evidence = models.JSONField(_("evidence"), default=dict, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    reasons = models.JSONField(_("reason codes"), default=list, blank=True)
    backfilled = models.BooleanField(
        _("history record"),
        default=False,
        help_text=_("Written as history (e.g. demo data), not decided by the service."),
    )

    class Meta:
        verbose_name = _("promotion event")
        verbose_name_plural = _("promotion events")
        ordering = ["-at", "-pk"]
        indexes = [
            models.Index(fields=["kind", "at"], name="promotion_event_kind_at"),
            models.Index(fields=["employee", "at"], name="promotion_event_employee_at"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(kind="promoted", to_level=models.F("from_level") + 1)
                    | Q(kind="demoted", to_level=models.F("from_level") - 1)
                ),
                name="promotion_event_one_step",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.employee} {self.from_level}→{self.to_level}"

    def reason_display(self) -> str:
        """The demotion reason in the current language ("" for promotions without one)."""
        return reasons_text(self.reasons, self.reason)


class RetentionPeriod(models.Model):
    """The year after a promotion (保级): a points task, an apprentice task where the
    promotion needed apprentices, and a re-test (exam + query time) held between
    retest_opens_at and due_at, with make-up attempts. Dates and tasks are snapshots of the
    level's requirement at promotion time; only evidence dated up to due_at counts."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Running")
        RETEST_OPEN = "retest_open", _("Re-test window open")
        KEPT = "kept", _("Level kept")
        FAILED = "failed", _("Failed – demoted")
        CLOSED = "closed", _("Closed (level changed)")

    OPEN_STATUSES = (Status.ACTIVE, Status.RETEST_OPEN)

    employee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="retention_periods",
        verbose_name=_("employee"),
    )
    promotion = models.OneToOneField(
        PromotionEvent,
        on_delete=models.PROTECT,
        related_name="retention_period",
        verbose_name=_("promotion"),
    )
    level = models.PositiveSmallIntegerField(_("level"), validators=LEVEL_VALIDATORS)
    starts_at = models.DateTimeField(_("starts"))
    retest_opens_at = models.DateTimeField(_("re-test opens"))
    due_at = models.DateTimeField(_("due"))
    points_task = models.PositiveIntegerField(_("points task"))
    apprentices_task = models.PositiveSmallIntegerField(_("apprentice task"), default=0)
    apprentice_from_level = models.PositiveSmallIntegerField(
        _("apprentices promoted from level"),
        null=True,
        blank=True,
        validators=LEVEL_VALIDATORS,
    )
    retest_attempts = models.PositiveSmallIntegerField(_("re-test attempts"), default=2)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.ACTIVE, db_index=True
    )
    retest_opened_at = models.DateTimeField(_("re-test window opened"), null=True, blank=True)
    remind_at = models.DateTimeField(_("due-date reminder from"))
    reminded_at = models.DateTimeField(_("due-date reminder sent"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    class Meta:
        verbose_name = _("retention period")
        verbose_name_plural = _("retention periods")
        ordering = ["due_at", "pk"]
        indexes = [models.Index(fields=["status", "due_at"], name="retention_status_due")]

    def __str__(self) -> str:
        return f"{self.employee} L{self.level} → {self.due_at:%Y-%m-%d}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    def retest_window_open(self, now: datetime | None = None) -> bool:
        """True from retest_opens_at up to and including due_at while the period runs."""
        now = now or timezone.now()
        return self.is_open and self.retest_opens_at <= now <= self.due_at


def retention_dates(
    starts_at: datetime, requirement: LevelRequirement
) -> tuple[datetime, datetime]:
    """(re-test opens, due) for a period starting at ``starts_at``."""
    return (
        starts_at + timedelta(days=requirement.retest_opens_after_days),
        starts_at + timedelta(days=requirement.retention_days),
    )


class Medal(models.Model):
    """A medal for outstanding contributors (awarded by managers)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=60)
    name_en = models.CharField(_("English name"), max_length=60, blank=True)
    description = models.TextField(_("description"), blank=True)
    colour = models.CharField(
        _("colour"),
        max_length=7,
        default="#d4a017",
        validators=[RegexValidator(r"^#[0-9a-fA-F]{6}$", _("Use a colour like #1a7f37."))],
    )

    class Meta:
        verbose_name = _("medal")
        verbose_name_plural = _("medals")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class MedalAward(models.Model):
    medal = models.ForeignKey(
        Medal, on_delete=models.PROTECT, related_name="awards", verbose_name=_("medal")
    )
    employee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="medal_awards",
        verbose_name=_("employee"),
    )
    awarded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("awarded by"),
    )
    reason = models.TextField(_("reason"))
    awarded_at = models.DateTimeField(_("awarded at"), default=timezone.now)

    class Meta:
        verbose_name = _("medal award")
        verbose_name_plural = _("medal awards")
        ordering = ["-awarded_at", "-pk"]
        permissions = [("award_medals", _("Can award medals"))]

    def __str__(self) -> str:
        return f"{self.medal} – {self.employee}"


class Notification(models.Model):
    """An in-app message to one employee. ``key`` makes a scheduled reminder idempotent."""

    class Kind(models.TextChoices):
        PROMOTED = "promoted", _("Promoted")
        RETEST_OPEN = "retest_open", _("Re-test window open")
        RETEST_DUE_SOON = "retest_due", _("Retention due soon")
        KEPT = "kept", _("Level kept")
        DEMOTED = "demoted", _("Demoted")
        MENTOR_PAID = "mentor_paid", _("Apprentice promoted")
        MEDAL = "medal", _("Medal awarded")
        # Sent by the review engine at its decision points (review.services._notify_decision,
        # through review.notices) and written by promotion.review_hooks.
        PROPOSAL_APPLIED = "proposal_applied", _("Proposal accepted")
        PROPOSAL_REJECTED = "proposal_rejected", _("Proposal rejected")
        PROPOSAL_STALE = "proposal_stale", _("Proposal outdated")
        APPLICATION_ACCEPTED = "application_accepted", _("Committee application accepted")
        APPLICATION_DECLINED = "application_declined", _("Committee application declined")
        APPLICATION_LAPSED = "application_lapsed", _("Committee application lapsed")
        POINTS_RECEIVED = "points_received", _("Points received")

    # Parameters whose stored value is an English msgid (a proposal kind's label, why points
    # were paid): translated when the notification is read, like the message itself.
    TRANSLATED_PARAMS = ("what", "reason")

    MESSAGES = {
        Kind.PROMOTED: gettext_noop(
            "Congratulations: you were promoted to level %(level)s (%(title)s)."
        ),
        Kind.RETEST_OPEN: gettext_noop(
            "Your level-%(level)s re-test window is open until %(due)s: pass the re-test exam and "
            "a query-time test."
        ),
        Kind.RETEST_DUE_SOON: gettext_noop(
            "Reminder: your level-%(level)s retention is due on %(due)s. Points: %(earned)s of "
            "%(needed)s; re-test passed: %(passed)s."
        ),
        Kind.KEPT: gettext_noop("You kept level %(level)s: the retention requirements are met."),
        Kind.DEMOTED: gettext_noop("You were moved back to level %(level)s. Reason: %(reason)s"),
        Kind.MENTOR_PAID: gettext_noop(
            "Your apprentice %(name)s was promoted to level %(level)s: %(points)s points for you."
        ),
        Kind.MEDAL: gettext_noop("You were awarded the medal “%(medal)s”."),
        Kind.PROPOSAL_APPLIED: gettext_noop(
            "Your proposal (%(what)s) “%(title)s” was accepted by the committee."
        ),
        Kind.PROPOSAL_REJECTED: gettext_noop(
            "Your proposal (%(what)s) “%(title)s” was rejected by the committee; "
            "the reviewers' comments are on the proposal page."
        ),
        Kind.PROPOSAL_STALE: gettext_noop(
            "Your proposal (%(what)s) “%(title)s” is outdated: its subject changed "
            "meanwhile. Open it to write it again on the current version."
        ),
        Kind.APPLICATION_ACCEPTED: gettext_noop(
            "Your application to join the review committee was accepted: you "
            "are now a committee member."
        ),
        Kind.APPLICATION_DECLINED: gettext_noop(
            "Your application to join the review committee was declined."
        ),
        Kind.APPLICATION_LAPSED: gettext_noop(
            "Your application to join the review committee was closed without a "
            "decision: you joined meanwhile or no longer meet the requirements."
        ),
        Kind.POINTS_RECEIVED: gettext_noop(
            "You received %(points)s points %(reason)s: %(what)s “%(title)s”."
        ),
    }

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("recipient"),
    )
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    data = models.JSONField(_("data"), default=dict, blank=True)
    key = models.CharField(_("key"), max_length=80, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["recipient", "read_at"], name="notification_unread")]
        constraints = [
            models.UniqueConstraint(
                fields=["key"], condition=~Q(key=""), name="notification_unique_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.recipient}: {self.get_kind_display()}"

    def text(self) -> str:
        """The message in the current language (the kind's label when data is incomplete)."""
        msgid = self.MESSAGES.get(self.kind)
        if not isinstance(self.data, dict):
            return str(self.get_kind_display())
        params = {
            name: gettext(value)
            if name in self.TRANSLATED_PARAMS and isinstance(value, str) and value
            else value
            for name, value in self.data.items()
        }
        if "reasons" in params:  # reason codes, rendered now in the reader's language
            params["reason"] = reasons_text(params["reasons"], params.get("reason", ""))
        try:
            return gettext(msgid) % params if msgid else self.get_kind_display()
        except (KeyError, TypeError, ValueError):
            return str(self.get_kind_display())

    def url(self) -> str | None:
        """Where the notification leads: the proposal it is about (review pages), or None."""
        from django.urls import reverse

        proposal = self.data.get("proposal") if isinstance(self.data, dict) else None
        if isinstance(proposal, int) and not isinstance(proposal, bool):
            return reverse("review:proposal_detail", args=[proposal])
        return None
