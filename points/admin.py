"""Admin: rules are editable; the ledger is read-only — corrections go through the
"Add a correction" page and the "Reverse" action, which call the services."""

import uuid

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext_lazy as _

from config.admin import ReadOnlyAdmin
from config.errors import AppError, form_error
from points import services
from points.forms import amount_field
from points.models import (
    PointRule,
    PointsEntry,
    PointsEvent,
    PointsSettings,
    QCGroup,
    QCGroupMember,
    QCTopic,
    RationalisationProposal,
    VolunteerSheet,
    VolunteerSheetRow,
)
from points.roles import CORRECT_ENTRIES


@admin.register(PointRule)
class PointRuleAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "name",
        "name_en",
        "min_amount",
        "max_amount",
        "default_amount",
        "active",
    ]
    list_filter = ["active"]
    search_fields = ["code", "name", "name_en"]
    list_editable = ["min_amount", "max_amount", "default_amount", "active"]

    def get_readonly_fields(self, request, obj=None):
        # The code is what the program refers to; renaming it would silently stop payments.
        return ["code"] if obj else []

    def has_delete_permission(self, request, obj=None):
        return False


class CorrectionForm(forms.Form):
    employee = forms.CharField(label=_("staff ID"), max_length=20)
    amount = amount_field(
        label=_("amount"),
        help_text=_("Negative to deduct; within the manual-correction rule's range."),
    )
    reason = forms.CharField(label=_("reason"), widget=forms.Textarea(attrs={"rows": 3}))
    token = forms.CharField(max_length=64, widget=forms.HiddenInput)

    def clean_employee(self):
        staff_id = self.cleaned_data["employee"].strip().upper()
        employee = get_user_model().objects.filter(staff_id=staff_id).first()
        if employee is None:
            raise ValidationError(_("Unknown staff ID."))
        return employee


@admin.register(PointsEntry)
class PointsEntryAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "employee", "amount", "rule", "source", "granted_by"]
    list_filter = ["rule", "created_at"]
    search_fields = ["employee__staff_id", "employee__name", "source", "note"]
    list_select_related = ["employee", "rule", "granted_by"]
    date_hierarchy = "created_at"
    actions = ["reverse_entries"]
    change_list_template = "admin/points/pointsentry/change_list.html"

    def get_urls(self):
        return [
            path(
                "correction/",
                self.admin_site.admin_view(self.correction_view),
                name="points_pointsentry_correction",
            ),
            *super().get_urls(),
        ]

    def correction_view(self, request):
        if not request.user.has_perm(CORRECT_ENTRIES):
            raise PermissionDenied
        form = CorrectionForm(request.POST or None, initial={"token": uuid.uuid4().hex})
        if request.method == "POST" and form.is_valid():
            try:
                services.points_correct(
                    employee=form.cleaned_data["employee"],
                    amount=form.cleaned_data["amount"],
                    by=request.user,
                    reason=form.cleaned_data["reason"],
                    token=form.cleaned_data["token"],
                )
            except AppError as exc:
                form_error(form, exc)
            else:
                self.message_user(
                    request, _("The correction was added to the ledger."), messages.SUCCESS
                )
                return redirect("admin:points_pointsentry_changelist")
        context = {
            **self.admin_site.each_context(request),
            "form": form,
            "opts": self.model._meta,
            "title": _("Add a correction"),
        }
        return render(request, "admin/points/pointsentry/correction.html", context)

    @admin.action(description=_("Reverse the selected entries"))
    def reverse_entries(self, request, queryset):
        done = 0
        for entry in queryset:
            try:
                services.points_reverse(
                    entry_id=entry.pk,
                    by=request.user,
                    reason=str(_("Reversed in the admin by %(name)s"))
                    % {"name": request.user.name},
                )
                done += 1
            except AppError as exc:
                self.message_user(request, f"{entry}: {exc.message}", messages.ERROR)
        if done:
            self.message_user(
                request, _("%(count)s entries reversed.") % {"count": done}, messages.SUCCESS
            )

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not request.user.has_perm(CORRECT_ENTRIES):
            actions.pop("reverse_entries", None)
        return actions


@admin.register(PointsEvent)
class PointsEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "kind", "actor", "data"]
    list_filter = ["kind"]
    search_fields = ["actor__staff_id", "actor__name"]
    list_select_related = ["actor"]


@admin.register(RationalisationProposal)
class RationalisationProposalAdmin(ReadOnlyAdmin):
    list_display = ["title", "proposer", "status", "amount", "judged_by", "created_at"]
    list_filter = ["status"]
    search_fields = ["title", "proposer__staff_id", "proposer__name"]
    list_select_related = ["proposer", "judged_by"]


class QCGroupMemberInline(admin.TabularInline):
    model = QCGroupMember
    extra = 0
    can_delete = False
    readonly_fields = ["employee", "topic"]

    def has_add_permission(self, request, obj=None):
        return False


class QCGroupInline(admin.TabularInline):
    model = QCGroup
    extra = 0
    can_delete = False
    readonly_fields = ["name", "created_by", "status", "completed_by", "completed_at"]
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(QCTopic)
class QCTopicAdmin(admin.ModelAdmin):
    list_display = [
        "title",
        "points_per_member",
        "max_groups",
        "min_group_size",
        "max_group_size",
        "status",
        "published_by",
        "created_at",
    ]
    list_filter = ["status"]
    search_fields = ["title"]
    readonly_fields = ["published_by", "created_at"]
    inlines = [QCGroupInline]

    def has_add_permission(self, request, obj=None):
        return False  # published from the "Proposals & QC" page (records the event)

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(QCGroup)
class QCGroupAdmin(ReadOnlyAdmin):
    list_display = ["name", "topic", "status", "created_by", "completed_at"]
    list_filter = ["status"]
    search_fields = ["name", "topic__title"]
    inlines = [QCGroupMemberInline]


class VolunteerSheetRowInline(admin.TabularInline):
    model = VolunteerSheetRow
    extra = 0
    can_delete = False
    readonly_fields = ["line", "employee", "hours", "points", "date", "note", "entry"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(VolunteerSheet)
class VolunteerSheetAdmin(ReadOnlyAdmin):
    """Read-only: a pending sheet is confirmed or rejected on the volunteer page (the service
    pays it once and records the event)."""

    list_display = [
        "file_name",
        "status",
        "imported_by",
        "imported_at",
        "row_count",
        "total_points",
        "decided_by",
        "decided_at",
    ]
    list_filter = ["status"]
    list_select_related = ["imported_by", "decided_by"]
    search_fields = ["file_name", "fingerprint", "sha256"]
    inlines = [VolunteerSheetRowInline]


@admin.register(PointsSettings)
class PointsSettingsAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "sheet_confirmation_threshold",
        "correction_limit_30_days",
        "review_points_daily_cap",
    ]

    def has_add_permission(self, request):
        return not PointsSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False
