from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from curriculum import services
from curriculum.models import (
    AbilityElement,
    BehaviourRating,
    CallStep,
    Course,
    CourseRun,
    CurriculumEvent,
    CurriculumSettings,
    Enrolment,
    ExamAttempt,
    ImprovementPlanItem,
    LearningMap,
    MapCourse,
    MapStage,
    MapTopic,
    Option,
    Question,
    StageCompletion,
    SurveyResponse,
    Topic,
)


@admin.register(CurriculumSettings)
class CurriculumSettingsAdmin(admin.ModelAdmin):
    """The one row of curriculum settings; each field's help text gives its default."""

    list_display = ["__str__", "low_survey_score"]

    def has_add_permission(self, request):
        return not CurriculumSettings.objects.exists() and super().has_add_permission(request)

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CallStep)
class CallStepAdmin(admin.ModelAdmin):
    list_display = ("order", "code", "name", "name_en")
    list_display_links = ("code",)
    list_editable = ("order",)
    search_fields = ("code", "name", "name_en")


class TopicInline(admin.TabularInline):
    model = Topic
    extra = 0
    fields = ("order", "name", "name_en")


@admin.register(AbilityElement)
class AbilityElementAdmin(admin.ModelAdmin):
    list_display = ("name", "call_step", "scope", "position_family", "order")
    list_filter = ("call_step", "scope", "position_family")
    search_fields = ("name", "name_en")
    inlines = [TopicInline]


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ("name", "name_en", "ability_element", "order")
    list_filter = ("ability_element__call_step", "ability_element__scope")
    search_fields = ("name", "name_en")


class CourseRunInline(admin.TabularInline):
    model = CourseRun
    extra = 0


class OptionInline(admin.TabularInline):
    model = Option
    extra = 4
    fields = ("order", "text", "is_correct")


@admin.register(Course)
class CourseAdmin(admin.ModelAdmin):
    list_display = (
        "code",
        "title",
        "is_priority",
        "duration_hours",
        "exam_question_count",
        "pass_mark_percent",
        "is_active",
    )
    list_filter = ("is_priority", "is_active", "call_steps", "competency_items__module")
    search_fields = ("code", "title", "title_en")
    filter_horizontal = ("competency_items", "call_steps", "topics")
    inlines = [CourseRunInline]


@admin.register(CourseRun)
class CourseRunAdmin(admin.ModelAdmin):
    list_display = ("course", "name", "starts_on", "ends_on", "exam_opens_after_days")
    list_filter = ("starts_on",)
    search_fields = ("course__code", "course__title", "name")
    autocomplete_fields = ("course",)


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    list_display = ("__str__", "course", "kind", "is_active")
    list_filter = ("kind", "is_active", "course", "competency_items__module")
    search_fields = ("text", "course__code", "course__title")
    autocomplete_fields = ("course",)
    filter_horizontal = ("competency_items",)
    inlines = [OptionInline]


class MapStageInline(admin.TabularInline):
    model = MapStage
    extra = 0
    fields = ("order", "level", "name", "name_en")
    show_change_link = True


@admin.register(LearningMap)
class LearningMapAdmin(admin.ModelAdmin):
    list_display = ("name", "position_family")
    search_fields = ("name", "position_family__name")
    inlines = [MapStageInline]


class MapTopicInline(admin.TabularInline):
    model = MapTopic
    extra = 0
    fields = ("order", "topic")
    autocomplete_fields = ("topic",)
    show_change_link = True


@admin.register(MapStage)
class MapStageAdmin(admin.ModelAdmin):
    list_display = ("name", "name_en", "learning_map", "level", "order")
    list_filter = ("learning_map", "level")
    inlines = [MapTopicInline]


class MapCourseInline(admin.TabularInline):
    model = MapCourse
    extra = 0
    fields = ("order", "course", "added_at")
    readonly_fields = ("added_at",)
    autocomplete_fields = ("course",)


@admin.register(MapTopic)
class MapTopicAdmin(admin.ModelAdmin):
    list_display = ("topic", "stage", "order")
    list_filter = ("stage__learning_map", "stage__level")
    search_fields = ("topic__name",)
    inlines = [MapCourseInline]


@admin.action(description=_("Record attendance: mark selected enrolments completed"))
def complete_enrolments(modeladmin, request, queryset):
    done = 0
    for enrolment in queryset.filter(status=Enrolment.Status.ENROLLED):
        services.enrolment_complete(enrolment=enrolment, actor=request.user)
        done += 1
    modeladmin.message_user(
        request, _("%(count)d enrolment(s) completed.") % {"count": done}, messages.SUCCESS
    )


@admin.register(Enrolment)
class EnrolmentAdmin(admin.ModelAdmin):
    list_display = (
        "employee",
        "course",
        "run",
        "status",
        "enrolled_at",
        "completed_at",
        "completed_by",
    )
    list_filter = ("status", "completed_by", "course")
    search_fields = ("employee__staff_id", "employee__name", "course__code", "course__title")
    list_select_related = ("employee", "course", "run")
    readonly_fields = ("status", "completed_at", "completed_by")
    raw_id_fields = ("employee",)
    actions = [complete_enrolments]


@admin.register(SurveyResponse)
class SurveyResponseAdmin(admin.ModelAdmin):
    list_display = (
        "employee",
        "course",
        "run",
        "content_score",
        "format_score",
        "usefulness_score",
        "submitted_at",
    )
    list_filter = ("course",)
    search_fields = ("employee__staff_id", "employee__name", "comment")
    list_select_related = ("employee", "course", "run")
    raw_id_fields = ("employee",)


@admin.register(ExamAttempt)
class ExamAttemptAdmin(admin.ModelAdmin):
    list_display = (
        "employee",
        "course",
        "status",
        "score_percent",
        "passed",
        "started_at",
        "submitted_at",
    )
    list_filter = ("status", "passed", "course")
    search_fields = ("employee__staff_id", "employee__name", "course__code")
    list_select_related = ("employee", "course")
    readonly_fields = [f.name for f in ExamAttempt._meta.fields]


@admin.register(BehaviourRating)
class BehaviourRatingAdmin(admin.ModelAdmin):
    list_display = ("employee", "item", "phase", "score", "observed_on", "rater")
    list_filter = ("phase", "score", "item__module")
    search_fields = ("employee__staff_id", "employee__name", "item__name")
    list_select_related = ("employee", "item", "rater")
    raw_id_fields = ("employee", "rater")


@admin.register(ImprovementPlanItem)
class ImprovementPlanItemAdmin(admin.ModelAdmin):
    list_display = ("employee", "action", "item", "course", "due_on", "status")
    list_filter = ("status",)
    search_fields = ("employee__staff_id", "employee__name", "action")
    list_select_related = ("employee", "item", "course")
    raw_id_fields = ("employee", "created_by")


@admin.register(CurriculumEvent)
class CurriculumEventAdmin(admin.ModelAdmin):
    list_display = ("created_at", "kind", "employee", "course", "actor")
    list_filter = ("kind",)
    search_fields = ("employee__staff_id", "employee__name")
    list_select_related = ("employee", "course", "actor")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(StageCompletion)
class StageCompletionAdmin(admin.ModelAdmin):
    """Read-only: written by curriculum.services when an employee finishes a stage."""

    list_display = ("completed_at", "employee", "stage")
    list_filter = ("stage__learning_map", "stage__level")
    search_fields = ("employee__staff_id", "employee__name")
    list_select_related = ("employee", "stage__learning_map")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
