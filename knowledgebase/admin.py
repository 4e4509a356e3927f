from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin
from treebeard.admin import TreeAdmin
from treebeard.forms import movenodeform_factory

from config.admin import ReadOnlyAdmin
from knowledgebase import services
from knowledgebase.models import (
    Category,
    Entry,
    EntryChange,
    QueryTask,
    QueryTestAnswer,
    QueryTestSession,
    QueryTimeTest,
    QueryTimeThreshold,
    SearchLog,
    SearchSettings,
    StaleFlag,
    SynonymGroup,
)


@admin.register(Category)
class CategoryAdmin(TreeAdmin):
    """The tree as the case categories' admin shows it (treebeard): a node is placed under its
    parent, among its siblings by order then code."""

    form = movenodeform_factory(Category)
    list_display = ["name", "name_en", "code", "order"]
    search_fields = ["name", "name_en", "code"]


class EntryAdminForm(forms.ModelForm):
    """The admin's entry form, with the reason every version needs and the version the form
    was opened on (so an admin cannot overwrite a change made meanwhile unseen)."""

    change_reason = forms.CharField(
        label=_("Reason for the change"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 80}),
        help_text=_("Shown in the entry's history with your name and the changes."),
    )
    base_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Entry
        fields = ["category", "title", "body", "keywords", "effective_from", "effective_to"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The stored row, not the instance: the history's "revert" form edits an old version,
        # and saving it makes a new version on top of the current one.
        self.current = (
            Entry.objects.filter(pk=self.instance.pk).values("version", "retired_at").first()
            if self.instance.pk
            else None
        )
        if self.current is not None:
            self.fields["base_version"].initial = self.current["version"]

    def clean(self):
        cleaned = super().clean()
        if self.current is None:
            return cleaned
        current = (
            Entry.objects.filter(pk=self.instance.pk).values_list("version", flat=True).first()
        )
        base = cleaned.get("base_version")
        if current is not None and base is not None and current != base:
            raise forms.ValidationError(services.maintain_outdated_message(current))
        if self.current["retired_at"] is not None:
            raise forms.ValidationError(_(services.MSG_RETIRED))
        return cleaned


@admin.register(Entry)
class EntryAdmin(SimpleHistoryAdmin):
    """Admin edits go through the maintainers' services (knowledgebase.services.entry_add /
    entry_revise): a new version with the admin's reason and an EntryChange row, re-indexed,
    open proposals marked outdated. Needs the maintain_entries permission; entries are
    retired, never deleted (their history and query-time tasks hang on them)."""

    form = EntryAdminForm
    list_display = [
        "title",
        "category",
        "version",
        "effective_from",
        "effective_to",
        "retired_at",
        "updated_at",
    ]
    list_filter = ["category", "effective_from", ("retired_at", admin.EmptyFieldListFilter)]
    search_fields = ["title", "keywords"]
    list_select_related = ["category"]
    readonly_fields = ["version", "retired_at", "created_at", "updated_at"]
    fields = [
        "category",
        "title",
        "body",
        "keywords",
        "effective_from",
        "effective_to",
        "change_reason",
        "base_version",
        "version",
        "retired_at",
        "created_at",
        "updated_at",
    ]
    CONTENT_FIELDS = {"category", "title", "body", "keywords", "effective_from", "effective_to"}

    def has_add_permission(self, request):
        return services.can_maintain(request.user) and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None):
        return services.can_maintain(request.user) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def _unchanged(self, pk: int, data: dict) -> bool:
        current = Entry.objects.get(pk=pk)
        return all(
            (current.category_id == data["category"].pk)
            if name == "category"
            else getattr(current, name) == data[name]
            for name in self.CONTENT_FIELDS
        )

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if not change:
            write = services.entry_add(
                author=request.user,
                title=data["title"],
                body=data["body"],
                keywords=data["keywords"],
                category_id=data["category"].pk,
                reason=data["change_reason"],
                via=EntryChange.Via.ADMIN,
                effective_from=data["effective_from"],
                effective_to=data["effective_to"],
            )
        elif self._unchanged(
            obj.pk, data
        ):  # compared with the stored row: a revert changes an old version's form
            messages.info(request, _(services.MSG_NOTHING_CHANGED))
            obj.refresh_from_db()
            return
        else:
            write = services.entry_revise(
                author=request.user,
                entry_id=obj.pk,
                base_version=data["base_version"] or obj.version,
                title=data["title"],
                body=data["body"],
                keywords=data["keywords"],
                category_id=data["category"].pk,
                reason=data["change_reason"],
                via=EntryChange.Via.ADMIN,
                effective=(data["effective_from"], data["effective_to"]),
            )
        obj.pk = write.entry.pk
        obj.refresh_from_db()


@admin.register(EntryChange)
class EntryChangeAdmin(admin.ModelAdmin):
    """The audit rows of entry versions: written by the services only."""

    list_display = ["entry", "version", "kind", "via", "author", "proposal", "created_at"]
    list_filter = ["kind", "via"]
    search_fields = ["entry__title", "author__staff_id", "reason"]
    list_select_related = ["entry", "author"]
    raw_id_fields = ["entry", "author", "proposal"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(QueryTimeTest)
class QueryTimeTestAdmin(admin.ModelAdmin):
    """The test's settings; every field's help text gives its default and the reason for it."""

    list_display = [
        "__str__",
        "task_count",
        "wrong_answer_penalty_seconds",
        "retake_wait_hours",
        "time_limit_seconds_per_task",
        "counting_rule",
        "best_window_days",
    ]
    fieldsets = [
        (
            _("Test"),
            {
                "fields": [
                    "task_count",
                    "wrong_answer_penalty_seconds",
                    "time_limit_seconds_per_task",
                ]
            },
        ),
        (_("Retakes"), {"fields": ["retake_wait_hours", "counting_rule", "best_window_days"]}),
        (
            _("Calibration reference"),
            {
                "fields": [
                    "reference_service_months",
                    "reference_level1_percent",
                    "reference_level5_percent",
                ]
            },
        ),
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
    list_display = [
        "employee",
        "started_at",
        "finished_at",
        "task_count",
        "wrong_count",
        "total_seconds",
        "allowed_level",
        "expired",
    ]
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


@admin.register(StaleFlag)
class StaleFlagAdmin(ReadOnlyAdmin):
    """Stale items are opened by the entry changes and resolved on the knowledge-work page."""

    list_display = [
        "pk",
        "entry",
        "base_version",
        "case",
        "query_task",
        "status",
        "created_at",
        "resolved_by",
    ]
    list_filter = ["status"]
    list_select_related = ["entry", "case", "query_task", "resolved_by"]
    raw_id_fields = ["entry", "change", "case", "query_task", "resolved_by"]
