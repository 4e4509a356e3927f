from django.contrib import admin

from review.models import (
    CommitteeApplication,
    CommitteeMembership,
    Proposal,
    Recusal,
    ReviewEvent,
    ReviewSettings,
    Vote,
)


@admin.register(ReviewSettings)
class ReviewSettingsAdmin(admin.ModelAdmin):
    list_display = ["__str__", "approvals_required", "rejections_to_close", "applicant_min_level",
                    "applicant_min_pass_rate", "review_points_daily_cap"]


class VoteInline(admin.TabularInline):
    model = Vote
    extra = 0
    can_delete = False
    readonly_fields = ["reviewer", "decision", "comment", "extra", "created_at"]

    def has_add_permission(self, request, obj=None):
        return False


class RecusalInline(admin.TabularInline):
    """Who may not vote on the proposal (conflict of interest), written when it was created."""

    model = Recusal
    extra = 0
    can_delete = False
    readonly_fields = ["employee"]

    def has_add_permission(self, request, obj=None):
        return False


class EventInline(admin.TabularInline):
    model = ReviewEvent
    fk_name = "proposal"
    extra = 0
    can_delete = False
    readonly_fields = ["kind", "actor", "subject", "data", "created_at"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Proposal)
class ProposalAdmin(admin.ModelAdmin):
    """Read-only: proposals change state only through the review services (votes)."""

    list_display = ["pk", "kind", "proposer", "status", "base_version", "applied_version", "created_at", "decided_at"]
    list_filter = ["kind", "status"]
    search_fields = ["proposer__staff_id", "proposer__name", "reason"]
    date_hierarchy = "created_at"
    list_select_related = ["proposer"]
    inlines = [VoteInline, RecusalInline, EventInline]
    readonly_fields = [f.name for f in Proposal._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(Vote)
class VoteAdmin(admin.ModelAdmin):
    list_display = ["proposal", "reviewer", "decision", "created_at"]
    list_filter = ["decision"]
    search_fields = ["reviewer__staff_id", "reviewer__name", "comment"]
    list_select_related = ["proposal", "reviewer"]
    readonly_fields = ["proposal", "reviewer", "decision", "comment", "extra", "created_at"]

    def has_add_permission(self, request):
        return False


@admin.register(CommitteeMembership)
class CommitteeMembershipAdmin(admin.ModelAdmin):
    list_display = ["member", "source", "appointed_by", "active", "started_at", "ended_at"]
    list_filter = ["active", "source"]
    search_fields = ["member__staff_id", "member__name"]
    list_select_related = ["member", "appointed_by"]
    readonly_fields = ["member", "source", "appointed_by", "active", "started_at", "ended_at"]

    def has_add_permission(self, request):
        return False  # appoint on the committee page: it writes the event and sets the group


@admin.register(CommitteeApplication)
class CommitteeApplicationAdmin(admin.ModelAdmin):
    list_display = ["applicant", "level_snapshot", "pass_rate_snapshot", "status", "proposal", "created_at",
                    "decided_at"]
    list_filter = ["status"]
    search_fields = ["applicant__staff_id", "applicant__name"]
    list_select_related = ["applicant", "proposal"]
    readonly_fields = [f.name for f in CommitteeApplication._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(ReviewEvent)
class ReviewEventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "kind", "actor", "subject", "proposal"]
    list_filter = ["kind"]
    search_fields = ["actor__staff_id", "subject__staff_id"]
    list_select_related = ["actor", "subject", "proposal"]
    readonly_fields = ["kind", "actor", "subject", "proposal", "data", "created_at"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Recusal)
class RecusalAdmin(admin.ModelAdmin):
    """Read-only: owning apps write recusals when a proposal is created (conflicts of interest)."""

    list_display = ["proposal", "employee"]
    list_filter = ["proposal__kind"]
    search_fields = ["employee__staff_id", "employee__name"]
    list_select_related = ["proposal", "employee"]
    readonly_fields = ["proposal", "employee"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
