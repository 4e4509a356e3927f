from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from knowledgebase import search, services
from knowledgebase.models import (
    Category,
    Entry,
    QueryTask,
    QueryTestAnswer,
    QueryTestSession,
    QueryTimeTest,
    QueryTimeThreshold,
    SearchLog,
    SearchSettings,
    SynonymGroup,
)


class ChildCategoryInline(admin.TabularInline):
    model = Category
    fk_name = "parent"
    extra = 0
    fields = ["code", "name", "name_en", "order"]


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "name_en", "code", "parent", "order"]
    list_filter = ["parent"]
    search_fields = ["name", "name_en", "code"]
    list_select_related = ["parent"]
    inlines = [ChildCategoryInline]


@admin.register(Entry)
class EntryAdmin(SimpleHistoryAdmin):
    """Editing here is an administrative correction (kept in the history); ordinary changes
    go through revision proposals and the committee."""

    list_display = ["title", "category", "version", "effective_from", "effective_to", "updated_at"]
    list_filter = ["category", "effective_from"]
    search_fields = ["title", "keywords"]
    list_select_related = ["category"]
    readonly_fields = ["version", "created_at", "updated_at"]
    fields = ["category", "title", "body", "keywords", "effective_from", "effective_to", "version",
              "created_at", "updated_at"]

    def save_model(self, request, obj, form, change):
        for name, value in search.index_fields(title=obj.title, body=obj.body, keywords=obj.keywords).items():
            setattr(obj, name, value)
        if change and form.changed_data:
            obj.version += 1
        super().save_model(request, obj, form, change)
        services.entry_reindex(entry_ids=[obj.pk])


@admin.register(QueryTimeTest)
class QueryTimeTestAdmin(admin.ModelAdmin):
    """The test's settings; every field's help text gives its default and the reason for it."""

    list_display = ["__str__", "task_count", "wrong_answer_penalty_seconds", "retake_wait_hours",
                    "time_limit_seconds_per_task", "counting_rule", "best_window_days"]
    fieldsets = [
        (_("Test"), {"fields": ["task_count", "wrong_answer_penalty_seconds", "time_limit_seconds_per_task"]}),
        (_("Retakes"), {"fields": ["retake_wait_hours", "counting_rule", "best_window_days"]}),
        (_("Calibration reference"), {"fields": ["reference_service_months", "reference_level1_percent",
                                                 "reference_level5_percent"]}),
    ]


@admin.register(QueryTimeThreshold)
class QueryTimeThresholdAdmin(admin.ModelAdmin):
    """Bands in seconds per task; the model's clean() refuses a band that would let a faster
    result allow a lower level than a slower one."""

    list_display = ["seconds_per_task", "allowed_level"]


@admin.register(QueryTask)
class QueryTaskAdmin(admin.ModelAdmin):
    list_display = ["question", "answer", "active"]
    list_filter = ["active", "answer__category"]
    search_fields = ["question", "answer__title"]
    list_select_related = ["answer"]
    raw_id_fields = ["answer"]


class AnswerInline(admin.TabularInline):
    model = QueryTestAnswer
    extra = 0
    can_delete = False
    readonly_fields = ["position", "task", "chosen", "is_correct", "answered_at"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(QueryTestSession)
class QueryTestSessionAdmin(admin.ModelAdmin):
    list_display = ["employee", "started_at", "finished_at", "task_count", "wrong_count", "total_seconds",
                    "allowed_level", "expired"]
    list_filter = ["allowed_level", "expired"]
    search_fields = ["employee__staff_id", "employee__name"]
    list_select_related = ["employee"]
    readonly_fields = [f.name for f in QueryTestSession._meta.fields]
    inlines = [AnswerInline]

    def has_add_permission(self, request):
        return False


@admin.register(SynonymGroup)
class SynonymGroupAdmin(admin.ModelAdmin):
    """Words searched together (退款 退费 返还); a saved change applies to the next search in
    every process (the synonym cache's version key is bumped on save and delete)."""

    list_display = ["__str__", "note", "updated_at"]
    search_fields = ["terms", "note"]
    actions = None  # the bulk delete action bypasses delete() and so the cache invalidation


@admin.register(SearchSettings)
class SearchSettingsAdmin(admin.ModelAdmin):
    list_display = ["__str__", "log_retention_days"]

    def has_add_permission(self, request):
        return not SearchSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(SearchLog)
class SearchLogAdmin(admin.ModelAdmin):
    list_display = ["query", "result_count", "fallback", "clicked_entry", "user", "created_at"]
    list_filter = ["fallback", "created_at"]
    search_fields = ["query"]
    list_select_related = ["clicked_entry", "user"]
    readonly_fields = [f.name for f in SearchLog._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
