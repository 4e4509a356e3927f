"""The competency dictionary's filters: one FilterSet for the dictionary page and
/api/competency/items/."""

from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters

from competency.models import KSAO, CompetencyModule


class ItemFilter(filters.FilterSet):
    module = filters.ModelChoiceFilter(
        label=_("Module"),
        queryset=CompetencyModule.objects.all(),
        field_name="module",
        to_field_name="code",
        empty_label=_("All modules"),
    )
    ksao = filters.ChoiceFilter(
        label=_("KSAO section"), choices=KSAO.choices, empty_label=_("All sections")
    )
