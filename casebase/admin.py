import uuid

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin
from treebeard.admin import TreeAdmin
from treebeard.forms import movenodeform_factory

from casebase import services
from casebase.models import (
    Case,
    CaseCategory,
    CaseEvent,
    CaseLibrarySettings,
    CaseNode,
    CaseRating,
    CaseStudy,
    LevelCap,
    RetirementCandidate,
)
from casebase.selectors import case_tree
from casebase.tree import TreeError, parse_tree_text, tree_to_text


@admin.register(CaseCategory)
class CaseCategoryAdmin(TreeAdmin):
    form = movenodeform_factory(CaseCategory)
    list_display = ["name", "code", "name_en"]
    search_fields = ["name", "code", "name_en"]


@admin.register(CaseLibrarySettings)
class CaseLibrarySettingsAdmin(admin.ModelAdmin):
    list_display = ["__str__", "default_cap", "target_per_level", "prune_mode", "audio_max_bytes", "audio_max_seconds"]


@admin.register(LevelCap)
class LevelCapAdmin(admin.ModelAdmin):
    list_display = ["level", "category", "cap"]
    list_filter = ["level", "category"]
    list_editable = ["cap"]


class _RecordingLink:
    """The stored recording as ClearableFileInput shows it: its name, linked to the
    permission-checked view instead of the storage's /media/ URL."""

    def __init__(self, file, url: str):
        self.file, self.url = file, url

    def __str__(self) -> str:
        return str(self.file)


class RecordingInput(forms.ClearableFileInput):
    recording_url = ""

    def is_initial(self, value) -> bool:
        return bool(value)

    def format_value(self, value):
        if self.is_initial(value):
            return _RecordingLink(value, self.recording_url)
        return None


class CaseAdminForm(forms.ModelForm):
    """The tree is edited in the same structured text format as the web form, so admin
    goes through the same validation (casebase.tree)."""

    tree_text = forms.CharField(
        label=_("Dialogue tree"), required=False,
        widget=forms.Textarea(attrs={"rows": 20, "cols": 110, "spellcheck": "false"}),
        help_text=_("Text cases: one turn per line, two spaces per level; 客户: customer, 客服: reply, "
                    "客服*: the best reply; attributes after | (情绪, 想法, 出发点 a; b, 结果, 最终状态)."),
    )

    class Meta:
        model = Case
        fields = ["kind", "title", "category", "level", "split", "status", "background", "audio",
                  "duration_seconds", "premise", "emotion_grade", "transcript", "author"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["audio"].widget = RecordingInput()
        self.fields["audio"].widget.recording_url = self.instance.recording_url() if self.instance.pk else ""
        if self.instance.pk and self.instance.is_text:
            self.fields["tree_text"].initial = tree_to_text(case_tree(self.instance))

    def clean(self):
        data = super().clean()
        self.parsed_tree = None
        if data.get("kind") == Case.Kind.TEXT:
            try:
                self.parsed_tree = parse_tree_text(data.get("tree_text", ""))
            except TreeError as exc:
                self.add_error("tree_text", exc.messages)
        if data.get("kind") in Case.Kind.values and "audio" in data:
            # THE recording rule of the proposal forms (services.case_recording_check): a voice
            # case has a validated recording, a text case none.
            try:
                info = services.case_recording_check(kind=data["kind"], audio=data.get("audio"))
            except services.AudioInvalid as exc:
                self.add_error("audio", exc.message)
            else:
                if info is not None:
                    data["duration_seconds"] = info.duration_seconds
                    # stored under an opaque name, like proposal uploads (the original name may be
                    # a customer's phone number)
                    data["audio"].name = f"{uuid.uuid4().hex}.{info.extension}"
        return data


class CaseNodeInline(admin.TabularInline):
    model = CaseNode
    fields = ["parent", "role", "text", "emotion", "rationales", "is_best", "outcome", "final_state"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Case)
class CaseAdmin(SimpleHistoryAdmin):
    form = CaseAdminForm
    list_display = ["title", "kind", "level", "category", "split", "status", "version", "exam_uses", "created_at",
                    "revised_at"]
    list_filter = ["kind", "level", "split", "status", "category"]
    search_fields = ["title", "background", "transcript"]
    list_select_related = ["category"]
    readonly_fields = ["version", "exam_uses", "created_at", "revised_at", "retired_at"]
    inlines = [CaseNodeInline]
    actions = ["move_to_history"]

    def save_model(self, request, obj, form, change):
        obj._history_user = request.user
        super().save_model(request, obj, form, change)
        if form.parsed_tree is not None:
            services.case_tree_set(case=obj, tree=form.parsed_tree, actor=request.user, new_case=not change)
        if not change:
            services.case_event_record(kind="created", case=obj, actor=request.user, data={"via": "admin"})

    @admin.action(description=_("Move to the history library"))
    def move_to_history(self, request, queryset):
        from django.utils import timezone

        moved = sum(services._retire(pk, actor=request.user, now=timezone.now(), data={"by": "admin"})
                    for pk in queryset.values_list("pk", flat=True))
        self.message_user(request, _("%(n)s cases moved to the history library.") % {"n": moved}, messages.SUCCESS)


@admin.register(CaseNode)
class CaseNodeAdmin(SimpleHistoryAdmin):
    list_display = ["case", "role", "text", "is_best", "outcome"]
    list_filter = ["role", "is_best"]
    search_fields = ["text", "case__title"]
    list_select_related = ["case"]
    readonly_fields = ["case", "parent", "role"]


@admin.register(CaseStudy)
class CaseStudyAdmin(admin.ModelAdmin):
    list_display = ["employee", "case", "studied_at"]
    list_filter = ["case__level"]
    search_fields = ["employee__staff_id", "employee__name", "case__title"]
    list_select_related = ["employee", "case"]
    raw_id_fields = ["employee", "case"]


@admin.register(CaseRating)
class CaseRatingAdmin(admin.ModelAdmin):
    """Read-only: each employee rates a case once on the study page and nobody changes it."""

    list_display = ["employee", "case", "value", "rated_at"]
    list_filter = ["value"]
    search_fields = ["employee__staff_id", "case__title"]
    list_select_related = ["employee", "case"]
    readonly_fields = ["employee", "case", "value", "rated_at"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(RetirementCandidate)
class RetirementCandidateAdmin(admin.ModelAdmin):
    list_display = ["case", "status", "classicness_snapshot", "constant_days_snapshot", "created_at", "decided_by"]
    list_filter = ["status"]
    search_fields = ["case__title"]
    list_select_related = ["case", "decided_by"]
    raw_id_fields = ["case", "decided_by"]


@admin.register(CaseEvent)
class CaseEventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "kind", "case", "actor"]
    list_filter = ["kind"]
    search_fields = ["case__title"]
    list_select_related = ["case", "actor"]

    def has_change_permission(self, request, obj=None):
        return False
