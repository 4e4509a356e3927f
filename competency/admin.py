from django.contrib import admin

from accounts.models import Position, PositionFamily

from .models import (
    CompetencyItem,
    CompetencyModule,
    PositionCompetency,
    QSortRound,
    QSortRoundEvent,
    QSortSubmission,
)


class PositionInline(admin.TabularInline):
    model = Position
    extra = 0


@admin.register(PositionFamily)
class PositionFamilyAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "name_en")
    search_fields = ("code", "name", "name_en")
    inlines = [PositionInline]


class PositionCompetencyInline(admin.TabularInline):
    model = PositionCompetency
    extra = 0
    fields = ("item", "weight", "target_score", "behavioural_indicators", "source_round")
    autocomplete_fields = ("item",)
    readonly_fields = ("source_round",)

    def get_readonly_fields(self, request, obj=None):
        # Weights published from a Q-sort are the round's result: change them by a new round.
        if obj is not None and obj.competencies.filter(source_round__isnull=False).exists():
            return ("weight", "source_round")
        return self.readonly_fields


@admin.register(Position)
class PositionAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "name_en", "family")
    list_filter = ("family",)
    search_fields = ("code", "name", "name_en")
    inlines = [PositionCompetencyInline]


class CompetencyItemInline(admin.TabularInline):
    model = CompetencyItem
    extra = 0
    fields = ("code", "name", "name_en", "ksao", "kind", "order")


@admin.register(CompetencyModule)
class CompetencyModuleAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "name_en", "order")
    search_fields = ("code", "name", "name_en")
    inlines = [CompetencyItemInline]


@admin.register(CompetencyItem)
class CompetencyItemAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "name_en", "module", "ksao", "kind", "order")
    list_filter = ("module", "ksao", "kind")
    search_fields = ("code", "name", "name_en", "description")
    list_select_related = ("module",)


@admin.register(PositionCompetency)
class PositionCompetencyAdmin(admin.ModelAdmin):
    list_display = ("position", "item", "weight", "target_score", "source_round")
    list_filter = ("position__family", "position", "item__module")
    search_fields = ("position__name", "item__name", "item__code")
    list_select_related = ("position", "item", "source_round")
    autocomplete_fields = ("item",)
    readonly_fields = ("source_round",)


class QSortSubmissionInline(admin.TabularInline):
    model = QSortSubmission
    extra = 0
    fields = ("rater", "ranking", "submitted_at", "updated_at")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class QSortRoundEventInline(admin.TabularInline):
    model = QSortRoundEvent
    extra = 0
    fields = ("at", "action", "actor", "details")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(QSortRound)
class QSortRoundAdmin(admin.ModelAdmin):
    """Rounds are created and moved through their states on the Q-sort pages (which run the
    validation and write audit events); admin shows them and allows fixing a draft."""

    list_display = ("__str__", "position", "status", "created_by", "created_at", "published_at")
    list_filter = ("status", "position")
    search_fields = ("title", "position__name")
    list_select_related = ("position", "created_by")
    filter_horizontal = ("items",)
    autocomplete_fields = ("raters",)
    readonly_fields = (
        "status",
        "created_by",
        "created_at",
        "opened_at",
        "closed_at",
        "published_at",
        "result",
    )
    inlines = [QSortSubmissionInline, QSortRoundEventInline]

    def has_add_permission(self, request):
        return False

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.status != QSortRound.Status.DRAFT:
            return [f.name for f in obj._meta.fields] + ["items", "raters"]
        return self.readonly_fields


@admin.register(QSortRoundEvent)
class QSortRoundEventAdmin(admin.ModelAdmin):
    list_display = ("round", "action", "actor", "at")
    list_filter = ("action",)
    list_select_related = ("round", "round__position", "actor")
    readonly_fields = ("round", "action", "actor", "at", "details")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
