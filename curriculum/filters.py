"""The course catalogue's filters: one FilterSet for the catalogue page and
/api/curriculum/courses/."""

from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters

from competency.models import CompetencyItem
from config.filtering import TickFilterWidget
from curriculum.models import CallStep


class CourseFilter(filters.FilterSet):
    q = filters.CharFilter(label=_("Title or code"), method="filter_q")
    priority = filters.BooleanFilter(
        label=_("Priority courses only"), field_name="is_priority", widget=TickFilterWidget
    )
    item = filters.ModelChoiceFilter(
        label=_("Competency item"),
        queryset=CompetencyItem.objects.all(),
        field_name="competency_items",
        distinct=True,
    )
    call_step = filters.ModelChoiceFilter(
        label=_("Call step"),
        queryset=CallStep.objects.all(),
        field_name="call_steps",
        to_field_name="code",
        distinct=True,
    )

    def filter_q(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(
            Q(title__icontains=value) | Q(code__icontains=value) | Q(title_en__icontains=value)
        )
