"""The points history's filters: one FilterSet for "My points" and /api/points/history/."""

from datetime import timedelta

from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters

from config.validators import filter_date
from config.widgets import IsoDateInput
from points.models import PointRule
from points.selectors import day_start
from points.serializers import MSG_UNKNOWN_RULE


class PointsHistoryFilter(filters.FilterSet):
    """By rule (its code) and by local dates, both inclusive."""

    rule = filters.ModelChoiceFilter(
        label=_("Rule"),
        queryset=PointRule.objects.all(),
        field_name="rule",
        to_field_name="code",
        empty_label=_("All rules"),
        error_messages={"invalid_choice": _(MSG_UNKNOWN_RULE)},
    )
    date_from = filters.DateFilter(
        label=_("From"), method="filter_date_from", widget=IsoDateInput(), validators=[filter_date]
    )
    date_to = filters.DateFilter(
        label=_("To"), method="filter_date_to", widget=IsoDateInput(), validators=[filter_date]
    )

    def filter_date_from(self, queryset, name, value):
        return queryset.filter(created_at__gte=day_start(value)) if value else queryset

    def filter_date_to(self, queryset, name, value):
        return (
            queryset.filter(created_at__lt=day_start(value + timedelta(days=1)))
            if value
            else queryset
        )
