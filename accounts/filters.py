"""The employee list's filters: one FilterSet for the directory page and /api/employees/."""

from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters

from accounts.levels import level_choices
from accounts.models import Centre, Team
from accounts.selectors import employee_search_q


class EmployeeFilter(filters.FilterSet):
    q = filters.CharFilter(label=_("Staff ID or name"), method="filter_q", max_length=64)
    centre = filters.ModelChoiceFilter(
        label=_("Centre"), queryset=Centre.objects.all(), field_name="centre"
    )
    team = filters.ModelChoiceFilter(
        label=_("Team"), queryset=Team.objects.select_related("centre"), field_name="team"
    )
    level = filters.ChoiceFilter(
        label=_("Level"), field_name="level", empty_label="—", choices=level_choices()
    )

    def filter_q(self, queryset, name, value):
        return queryset.filter(employee_search_q(value)) if value else queryset
