from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import UserChangeForm, UserCreationForm
from django.utils.translation import gettext_lazy as _
from import_export.admin import ImportMixin
from import_export.formats import base_formats

from accounts import roles
from accounts.importing import EmployeeResource
from accounts.models import Centre, OnboardingProgress, Team, User


class TeamInline(admin.TabularInline):
    model = Team
    extra = 0


@admin.register(Centre)
class CentreAdmin(admin.ModelAdmin):
    list_display = ("code", "name")
    search_fields = ("code", "name")
    inlines = [TeamInline]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "centre")
    list_filter = ("centre",)
    search_fields = ("name",)
    list_select_related = ("centre",)


class EmployeeCreationForm(UserCreationForm):
    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("staff_id", "name")


class EmployeeChangeForm(UserChangeForm):
    class Meta(UserChangeForm.Meta):
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(ImportMixin, BaseUserAdmin):
    # Bulk import from the HR system's file with import-export's dry-run preview; the same
    # resource (and its refusals) as the HR page accounts:employee_import.
    resource_classes = [EmployeeResource]
    import_formats = [base_formats.CSV, base_formats.XLSX]

    def has_import_permission(self, request):
        return request.user.has_perm(roles.IMPORT_EMPLOYEES)

    form = EmployeeChangeForm
    add_form = EmployeeCreationForm
    list_display = ("staff_id", "name", "centre", "team", "position", "level", "is_active")
    list_filter = ("centre", "level", "groups", "is_active", "is_staff")
    list_select_related = ("centre", "team", "position")
    search_fields = ("staff_id", "name", "email")
    ordering = ("staff_id",)
    autocomplete_fields = ("team",)
    # The level changes only through the promotion services, which record an event each time.
    readonly_fields = ("level", "last_login", "date_joined")
    fieldsets = (
        (None, {"fields": ("staff_id", "password")}),
        (
            _("Employee"),
            {"fields": ("name", "email", "centre", "team", "position", "hire_date", "level")},
        ),
        (_("Other characteristics (KSAO)"), {"fields": ("education", "performance_rating")}),
        (
            _("Roles and permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("staff_id", "name", "password1", "password2")}),
    )


@admin.register(OnboardingProgress)
class OnboardingProgressAdmin(admin.ModelAdmin):
    """Read-only: only the employee themself ticks steps (accounts.onboarding)."""

    list_display = ("user", "read_guide_at", "practised_kb_at", "practised_case_at", "completed_at")
    list_filter = (("completed_at", admin.EmptyFieldListFilter),)
    search_fields = ("user__staff_id", "user__name")
    list_select_related = ("user",)
    readonly_fields = list_display

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
