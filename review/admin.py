from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from config.admin import ReadOnlyAdmin
from config.errors import AppError
from review import services
from review.models import (
    CalibrationAssignment,
    CalibrationRound,
    CommitteeApplication,
    CommitteeMembership,
    Proposal,
    Recusal,
    ReviewEvent,
    ReviewExpertise,
    ReviewSettings,
    Vote,
)


@admin.register(ReviewSettings)
class ReviewSettingsAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "approvals_required",
        "rejections_to_close",
        "applicant_min_level",
        "applicant_min_pass_rate",
        "reciprocal_min_approvals",
        "reciprocal_rate_factor",
        "serial_votes_per_day",
    ]


class CalibrationAssignmentInline(admin.TabularInline):
    model = CalibrationAssignment
    extra = 0
    can_delete = False
    fields = readonly_fields = ["member", "decision", "comment", "created_at", "answered_at"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(CalibrationRound)
class CalibrationRoundAdmin(ReadOnlyAdmin):
    """Rounds are started on /review/calibration/ (review.calibration); listed here only."""

    list_display = ["pk", "proposal", "expected", "created_by", "created_at"]
    list_select_related = ["proposal", "created_by"]
    inlines = [CalibrationAssignmentInline]


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

    list_display = [
        "pk",
        "kind",
        "proposer",
        "status",
        "base_version",
        "applied_version",
        "created_at",
        "decided_at",
    ]
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
    list_display = [
        "applicant",
        "level_snapshot",
        "pass_rate_snapshot",
        "status",
        "proposal",
        "created_at",
        "decided_at",
    ]
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


class ReviewExpertiseForm(forms.ModelForm):
    """Checks the assignment with the service's rules (a training manager or superuser, not
    oneself, an active member, one category, not twice) so a refusal shows on the form."""

    class Meta:
        model = ReviewExpertise
        fields = ["member", "kb_category", "case_category"]

    def clean(self):
        cleaned = super().clean()
        kb, case = cleaned.get("kb_category"), cleaned.get("case_category")
        if bool(kb) == bool(case):
            raise ValidationError(services.MSG_NOT_A_CATEGORY)
        if cleaned.get("member") is not None:
            try:
                services.expertise_check(
                    member=cleaned["member"], category=kb or case, assigned_by=self.request_user
                )
            except AppError as exc:
                raise ValidationError(exc.message) from None
        return cleaned


@admin.register(ReviewExpertise)
class ReviewExpertiseAdmin(admin.ModelAdmin):
    """Assign or remove review experts (written through review.services, with their event);
    an assignment is never edited: remove it and assign another."""

    form = ReviewExpertiseForm
    list_display = ["member", "kb_category", "case_category", "assigned_by", "assigned_at"]
    list_filter = ["kb_category", "case_category"]
    search_fields = ["member__staff_id", "member__name"]
    list_select_related = ["member", "kb_category", "case_category", "assigned_by"]
    autocomplete_fields = ["member"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.request_user = request.user
        return form

    def has_add_permission(self, request):
        return services.may_assign_experts(request.user)

    def has_delete_permission(self, request, obj=None):
        return services.may_assign_experts(request.user)

    def has_change_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and (
            services.may_assign_experts(request.user) or super().has_view_permission(request, obj)
        )

    def save_model(self, request, obj, form, change):
        saved = services.expertise_assign(
            member=obj.member,
            category=obj.kb_category or obj.case_category,
            assigned_by=request.user,
        )
        obj.pk = saved.pk

    def delete_model(self, request, obj):
        services.expertise_remove(expertise_id=obj.pk, removed_by=request.user)

    def delete_queryset(self, request, queryset):
        for pk in queryset.order_by("pk").values_list("pk", flat=True):
            services.expertise_remove(expertise_id=pk, removed_by=request.user)
