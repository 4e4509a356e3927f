"""Admin: levels, requirements, exam settings and medals are editable; events, attempts,
retention periods and notifications are records written by the services and read-only here
(an attempt's questions and answers are never shown here: the full view is
/promotion/exam/attempts/)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from config.admin import ReadOnlyAdmin
from promotion.models import (
    ExamAttempt,
    Level,
    LevelRequirement,
    Medal,
    MedalAward,
    Mentorship,
    Notification,
    PromotionEvent,
    PromotionSettings,
    RetentionPeriod,
)


@admin.register(PromotionSettings)
class PromotionSettingsAdmin(admin.ModelAdmin):
    """The one row of exam settings (retake policy, minimum test pool); each field's help
    text gives its default and why."""

    list_display = [
        "__str__",
        "retake_wait_hours",
        "max_attempts_per_period",
        "attempt_period_days",
        "min_test_pool",
        "max_questions_per_case",
    ]

    def has_add_permission(self, request):
        return not PromotionSettings.objects.exists() and super().has_add_permission(request)

    def has_delete_permission(self, request, obj=None):
        return False


class LevelRequirementInline(admin.StackedInline):
    model = LevelRequirement
    extra = 0
    max_num = 1


@admin.register(Level)
class LevelAdmin(admin.ModelAdmin):
    list_display = ["number", "title", "title_en", "badge_colour", "can_mentor"]
    list_editable = ["badge_colour", "can_mentor"]
    search_fields = ["title", "title_en"]
    inlines = [LevelRequirementInline]


@admin.register(LevelRequirement)
class LevelRequirementAdmin(admin.ModelAdmin):
    list_display = [
        "level",
        "points_threshold",
        "training_cases_required",
        "exam_case_count",
        "exam_pass_percent",
        "exam_time_limit_minutes",
        "query_time_required",
        "apprentices_required",
        "retention_points",
        "retention_apprentices",
    ]
    list_select_related = ["level"]
    list_filter = ["query_time_required"]


@admin.register(PromotionEvent)
class PromotionEventAdmin(ReadOnlyAdmin):
    list_display = ["employee", "kind", "from_level", "to_level", "at", "decided_by", "backfilled"]
    list_filter = ["kind", "to_level", "backfilled", "at"]
    search_fields = ["employee__staff_id", "employee__name", "reason"]
    list_select_related = ["employee", "decided_by"]
    date_hierarchy = "at"
    # The reason in the reader's language, not the stored codes or an old row's English text.
    exclude = ["reason", "reasons"]
    readonly_fields = ["reason_in_words"]

    @admin.display(description=_("reason"))
    def reason_in_words(self, obj) -> str:
        return obj.reason_display()


@admin.register(RetentionPeriod)
class RetentionPeriodAdmin(ReadOnlyAdmin):
    list_display = [
        "employee",
        "level",
        "starts_at",
        "retest_opens_at",
        "due_at",
        "points_task",
        "apprentices_task",
        "status",
    ]
    list_filter = ["status", "level"]
    search_fields = ["employee__staff_id", "employee__name"]
    list_select_related = ["employee"]


@admin.register(ExamAttempt)
class ExamAttemptAdmin(ReadOnlyAdmin):
    list_display = [
        "employee",
        "level",
        "purpose",
        "status",
        "score_percent",
        "started_at",
        "submitted_at",
    ]
    list_filter = ["purpose", "status", "level"]
    search_fields = ["employee__staff_id", "employee__name"]
    list_select_related = ["employee"]
    exclude = ["questions", "answers"]


@admin.register(Mentorship)
class MentorshipAdmin(ReadOnlyAdmin):
    """Pairs are made on the Mentoring page (the service checks the mentor's level)."""

    list_display = ["mentor", "apprentice", "from_level", "started_at", "ended_at"]
    list_filter = ["from_level"]
    search_fields = ["mentor__staff_id", "mentor__name", "apprentice__staff_id", "apprentice__name"]
    list_select_related = ["mentor", "apprentice"]


class MedalAwardInline(admin.TabularInline):
    model = MedalAward
    extra = 0
    fields = ["employee", "awarded_by", "reason", "awarded_at"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Medal)
class MedalAdmin(admin.ModelAdmin):
    list_display = ["name", "name_en", "code", "colour"]
    search_fields = ["name", "name_en", "code"]
    inlines = [MedalAwardInline]


@admin.register(MedalAward)
class MedalAwardAdmin(ReadOnlyAdmin):
    list_display = ["medal", "employee", "awarded_by", "awarded_at"]
    list_filter = ["medal"]
    search_fields = ["employee__staff_id", "employee__name"]
    list_select_related = ["medal", "employee", "awarded_by"]


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["recipient", "kind", "created_at", "read_at"]
    list_filter = ["kind"]
    search_fields = ["recipient__staff_id", "recipient__name"]
    list_select_related = ["recipient"]
