"""The case lists' filters: one FilterSet per list for its web page and its API list."""

from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters

from casebase.forms import CategoryChoiceField
from casebase.models import LEVEL_CHOICES, CallSuggestion, Case, CaseCategory
from casebase.serializers import MSG_LEVEL_RANGE, MSG_UNKNOWN_CATEGORY


class CategoryFilter(filters.ModelChoiceFilter):
    """A case category (its id) with its sub-categories, shown as the indented tree."""

    field_class = CategoryChoiceField

    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Category"))
        kwargs.setdefault("queryset", CaseCategory.objects.get_tree())
        kwargs.setdefault("error_messages", {"invalid_choice": _(MSG_UNKNOWN_CATEGORY)})
        super().__init__(**kwargs)

    def filter(self, qs, value):
        return qs.filter(category__path__startswith=value.path) if value else qs


class StudyFilter(filters.FilterSet):
    """The study list (the library page and /api/cases/study/): the caller's next level, or
    a level they choose from 1 to next; a category with its sub-categories."""

    level = filters.ChoiceFilter(label=_("Level"), choices=LEVEL_CHOICES, empty_label=None)
    category = CategoryFilter()

    def __init__(self, data=None, *args, request=None, **kwargs):
        from casebase.selectors import next_level

        self.next_level = next_level(request.user)
        data = data.copy() if data is not None else {}
        if not data.get("level"):
            data["level"] = str(self.next_level)  # shown selected on the page, and applied
        super().__init__(data, *args, request=request, **kwargs)
        # A filter of this caller's own: editing the copied filter's options is not enough once
        # its form field was built (the schema generator builds it on the class's filter, and
        # the copy carries that field along), and then any level 1–5 would pass.
        level = filters.ChoiceFilter(
            field_name="level",
            label=_("Level"),
            empty_label=None,
            choices=[(n, str(n)) for n in range(1, self.next_level + 1)],
            error_messages={"invalid_choice": _(MSG_LEVEL_RANGE) % {"max": self.next_level}},
        )
        level.parent, level.model = self, self.filters["level"].model
        self.filters["level"] = level


class CatalogueFilter(filters.FilterSet):
    """The catalogue (the case page and /api/cases/catalogue/): active cases unless the
    status asks for the history library."""

    level = filters.ChoiceFilter(label=_("Level"), choices=LEVEL_CHOICES, empty_label="—")
    category = CategoryFilter()
    split = filters.ChoiceFilter(label=_("Set"), choices=Case.Split.choices, empty_label="—")
    kind = filters.ChoiceFilter(label=_("Kind"), choices=Case.Kind.choices, empty_label="—")
    status = filters.ChoiceFilter(
        label=_("Status"), choices=Case.Status.choices, empty_label=None, method="filter_status"
    )
    q = filters.CharFilter(
        label=_("Title contains"), field_name="title", lookup_expr="icontains", max_length=100
    )

    def filter_queryset(self, queryset):
        status = self.form.cleaned_data.get("status") or Case.Status.ACTIVE
        return super().filter_queryset(queryset.filter(status=status))

    def filter_status(self, queryset, name, value):
        return queryset  # applied by filter_queryset, with its default (active)


class CallSuggestionFilter(filters.FilterSet):
    """Suggested calls (the maintainers' page and /api/cases/calls/): pending unless the
    status asks for accepted or declined ones."""

    status = filters.ChoiceFilter(
        label=_("Status"),
        choices=CallSuggestion.Status.choices,
        empty_label=None,
        method="filter_status",
    )

    def filter_queryset(self, queryset):
        from casebase.selectors import call_suggestions_of_status

        status = self.form.cleaned_data.get("status") or CallSuggestion.Status.PENDING
        return super().filter_queryset(call_suggestions_of_status(queryset, status))

    def filter_status(self, queryset, name, value):
        return queryset  # applied by filter_queryset, with its default (pending)
