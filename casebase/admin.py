import uuid

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin
from treebeard.admin import TreeAdmin
from treebeard.forms import movenodeform_factory

from casebase.models import (
    MAINTAIN_CASES,
    CallSuggestion,
    Case,
    CaseCategory,
    CaseCitation,
    CaseCommentary,
    CaseEvent,
    CaseLibrarySettings,
    CaseNode,
    CaseRating,
    CaseReflection,
    CaseStudy,
    LevelCap,
    RetirementCandidate,
)
from casebase.selectors import case_tree
from casebase.services.audio import case_recording_check
from casebase.services.errors import AudioInvalid, CaseError
from casebase.services.maintenance import (
    NOTHING_CHANGED,
    case_competencies_set,
    case_maintain_create,
    case_maintain_retire,
    case_maintain_revise,
)
from casebase.tree import TreeError, parse_tree_text, tree_to_text, validate_tree
from config.admin import ReadOnlyAdmin, ReadOnlyMixin


@admin.register(CaseCategory)
class CaseCategoryAdmin(TreeAdmin):
    form = movenodeform_factory(CaseCategory)
    list_display = ["name", "code", "name_en"]
    search_fields = ["name", "code", "name_en"]


@admin.register(CaseLibrarySettings)
class CaseLibrarySettingsAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "default_cap",
        "target_per_level",
        "prune_mode",
        "audio_max_bytes",
        "audio_max_seconds",
    ]


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
    goes through the same validation (casebase.tree); the case is then written by the
    maintainers' services (CaseAdmin.save_model), never by the form."""

    change_reason = forms.CharField(
        label=_("Reason for the change"),
        max_length=300,
        help_text=_("Kept in the case's history with your name."),
    )

    tree_text = forms.CharField(
        label=_("Dialogue tree"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 20, "cols": 110, "spellcheck": "false"}),
        help_text=_(
            "Text cases: one turn per line, two spaces per level; 客户: customer, 客服: reply, "
            "客服*: the best reply; attributes after | (情绪, 想法, 出发点 a; b, 结果, 最终状态)."
        ),
    )

    class Meta:
        model = Case
        fields = [
            "kind",
            "title",
            "category",
            "level",
            "split",
            "background",
            "audio",
            "premise",
            "emotion_grade",
            "transcript",
            "competencies",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["audio"].widget = RecordingInput()
        self.fields["audio"].widget.recording_url = (
            self.instance.recording_url() if self.instance.pk else ""
        )
        if self.instance.pk and self.instance.is_text:
            self.fields["tree_text"].initial = tree_to_text(case_tree(self.instance))

    def clean(self):
        data = super().clean()
        self.parsed_tree = None
        kind = data.get("kind") or (
            self.instance.kind if self.instance.pk else None
        )  # read-only once created
        if kind == Case.Kind.TEXT:
            try:
                self.parsed_tree = validate_tree(parse_tree_text(data.get("tree_text", "")))
            except TreeError as exc:
                self.add_error("tree_text", exc.messages)
        if kind in Case.Kind.values and "audio" in data:
            # THE recording rule of the proposal forms (services.audio.case_recording_check): a
            # voice case has a validated recording, a text case none.
            try:
                info = case_recording_check(kind=kind, audio=data.get("audio"))
            except AudioInvalid as exc:
                self.add_error("audio", exc.message)
            else:
                if info is not None:
                    # stored under an opaque name, like proposal uploads (the original name may be
                    # a customer's phone number)
                    data["audio"].name = f"{uuid.uuid4().hex}.{info.extension}"
        return data


class CaseNodeInline(admin.TabularInline):
    model = CaseNode
    fields = [
        "parent",
        "role",
        "text",
        "emotion",
        "rationales",
        "is_best",
        "outcome",
        "final_state",
    ]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(CaseCitation)
class CaseCitationAdmin(admin.ModelAdmin):
    """The KB entries cases cite (a change of one flags the case for its review experts):
    kept by case maintainers, like the cases themselves (and on the case's edit page)."""

    list_display = ["case", "entry", "created_at"]
    list_select_related = ["case", "entry"]
    search_fields = ["case__title", "entry__title"]
    raw_id_fields = ["case", "entry"]
    readonly_fields = ["created_at"]

    def _may(self, request) -> bool:
        return request.user.has_perm(MAINTAIN_CASES)

    def has_add_permission(self, request, obj=None):
        return self._may(request)

    def has_change_permission(self, request, obj=None):
        return self._may(request)

    def has_delete_permission(self, request, obj=None):
        return self._may(request)

    def has_view_permission(self, request, obj=None):
        return self._may(request) or super().has_view_permission(request, obj)

    def has_module_permission(self, request):
        return self._may(request) or super().has_module_permission(request)


@admin.register(Case)
class CaseAdmin(SimpleHistoryAdmin):
    """Cases are written here through the same services as the maintainers' web pages (one
    writer per entity): case_maintain_create / case_maintain_revise / case_maintain_retire,
    so an admin change is a new version with its reason in the history and marks the open
    proposals on the case stale. Changing needs the maintain_cases permission; a case is
    never deleted here (retire it: its history stays)."""

    form = CaseAdminForm
    list_display = [
        "title",
        "kind",
        "level",
        "category",
        "split",
        "status",
        "version",
        "exam_uses",
        "created_at",
        "revised_at",
    ]
    list_filter = ["kind", "level", "split", "status", "category"]
    search_fields = ["title", "background", "transcript"]
    list_select_related = ["category"]
    readonly_fields = [
        "status",
        "author",
        "duration_seconds",
        "version",
        "exam_uses",
        "created_at",
        "revised_at",
        "retired_at",
    ]
    inlines = [CaseNodeInline]
    actions = ["move_to_history"]
    filter_horizontal = ["competencies"]

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "kind"] if obj is not None else self.readonly_fields

    def has_add_permission(self, request):
        return super().has_add_permission(request) and request.user.has_perm(MAINTAIN_CASES)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and request.user.has_perm(MAINTAIN_CASES)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        upload = data.get("audio") if hasattr(data.get("audio"), "content_type") else None
        common = {
            "user": request.user,
            "title": data["title"],
            "category_id": data["category"].pk,
            "level": data["level"],
            "split": data["split"],
            "background": data.get("background") or "",
            "reason": data["change_reason"],
            "premise": data.get("premise") or "",
            "emotion_grade": data.get("emotion_grade"),
            "transcript": data.get("transcript") or "",
            "via": "admin",
        }
        if change:
            try:
                case = case_maintain_revise(
                    case_id=obj.pk,
                    base_version=Case.objects.values_list("version", flat=True).get(pk=obj.pk),
                    tree=form.parsed_tree,
                    audio=upload,
                    scope=Case.objects.all(),
                    **common,
                )
            except CaseError as exc:
                # only the competency tags changed: no new version, save_related writes them
                if exc.code != NOTHING_CHANGED or "competencies" not in form.changed_data:
                    raise
                return
        else:
            case = case_maintain_create(
                kind=data["kind"], tree=form.parsed_tree, audio=upload, **common
            )
        obj.pk, obj._state.adding = case.pk, False
        obj.refresh_from_db()

    def save_related(self, request, form, formsets, change):
        """The competency tags through their service (never form.save_m2m); the node inline
        is read-only."""
        case_competencies_set(
            user=request.user,
            case_id=form.instance.pk,
            scope=Case.objects.all(),
            item_ids=[item.pk for item in form.cleaned_data.get("competencies") or ()],
        )
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    @admin.action(description=_("Move to the history library"))
    def move_to_history(self, request, queryset):
        moved = 0
        for pk in queryset.filter(status=Case.Status.ACTIVE).values_list("pk", flat=True):
            case_maintain_retire(
                user=request.user,
                case_id=pk,
                scope=Case.objects.all(),
                via="admin",
                reason=str(_("Moved to the history library in admin")),
            )
            moved += 1
        self.message_user(
            request, _("%(n)s cases moved to the history library.") % {"n": moved}, messages.SUCCESS
        )


@admin.register(CaseNode)
class CaseNodeAdmin(ReadOnlyMixin, SimpleHistoryAdmin):
    """Read-only: a tree is changed as a whole on its case (its dialogue tree field), which
    raises the case's version through the services."""

    list_display = ["case", "role", "text", "is_best", "outcome"]
    list_filter = ["role", "is_best"]
    search_fields = ["text", "case__title"]
    list_select_related = ["case"]


@admin.register(CaseStudy)
class CaseStudyAdmin(admin.ModelAdmin):
    list_display = ["employee", "case", "studied_at"]
    list_filter = ["case__level"]
    search_fields = ["employee__staff_id", "employee__name", "case__title"]
    list_select_related = ["employee", "case"]
    raw_id_fields = ["employee", "case"]


@admin.register(CaseRating)
class CaseRatingAdmin(ReadOnlyAdmin):
    """Read-only: each employee rates a case once on the study page and nobody changes it."""

    list_display = ["employee", "case", "value", "rated_at"]
    list_filter = ["value"]
    search_fields = ["employee__staff_id", "case__title"]
    list_select_related = ["employee", "case"]
    readonly_fields = ["employee", "case", "value", "rated_at"]


@admin.register(RetirementCandidate)
class RetirementCandidateAdmin(ReadOnlyAdmin):
    """Read-only: review experts decide on the retirements page
    (services.retirement.retirement_decide)."""

    list_display = [
        "case",
        "status",
        "classicness_snapshot",
        "constant_days_snapshot",
        "created_at",
        "decided_by",
    ]
    list_filter = ["status"]
    search_fields = ["case__title"]
    list_select_related = ["case", "decided_by"]


@admin.register(CaseEvent)
class CaseEventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "kind", "case", "actor"]
    list_filter = ["kind"]
    search_fields = ["case__title"]
    list_select_related = ["case", "actor"]

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(CallSuggestion)
class CallSuggestionAdmin(ReadOnlyAdmin):
    """Read-only: maintainers decide on the suggested-calls page."""

    list_display = ["call_ref", "suggested_by", "status", "created_at", "decided_by", "case"]
    list_filter = ["status"]
    search_fields = ["call_ref", "suggested_by__staff_id"]
    list_select_related = ["suggested_by", "decided_by", "case"]


@admin.register(CaseReflection)
class CaseReflectionAdmin(ReadOnlyAdmin):
    """Read-only: moderated on the reflections page."""

    list_display = ["case", "employee", "status", "created_at", "moderated_by"]
    list_filter = ["status"]
    search_fields = ["case__title", "employee__staff_id"]
    list_select_related = ["case", "employee", "moderated_by"]


@admin.register(CaseCommentary)
class CaseCommentaryAdmin(ReadOnlyMixin, SimpleHistoryAdmin):
    """Read-only here (with its history): written on the case's page."""

    list_display = ["case", "author", "updated_at"]
    list_select_related = ["case", "author"]
    search_fields = ["case__title"]
