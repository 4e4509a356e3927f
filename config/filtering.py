"""One FilterSet per list, used by the web page and the API list alike.

The API lists name it as ``filterset_class`` (django-filter's DRF backend: invalid input is a
400 with a message per field, through config.errors). A web list calls ``filter_list``: the
page renders ``filterset.form`` (its field errors on the page for invalid input, with no
rows) and paginates the rows. Neither side ever turns bad filter input into a 500."""

from django import forms
from django.db.models import QuerySet


def filter_list(filterset_class, request, queryset: QuerySet, **kwargs):
    """(filterset, rows) for a web list: ``queryset`` filtered by the query string through
    ``filterset_class`` exactly as the API's backend does (always bound, so a FilterSet's
    defaults apply to an empty query string too); no rows when the input is invalid
    (``filterset.form`` then carries the field errors)."""
    filterset = filterset_class(request.GET, queryset=queryset, request=request, **kwargs)
    if not filterset.is_valid():
        return filterset, queryset.none()
    return filterset, filterset.qs


class TickFilterWidget(forms.CheckboxInput):
    """A checkbox for a yes/no filter ("priority courses only"): ticked sends "true"; absent
    means no filter (None), not "false". The API's "true" / "false" read as usual."""

    def __init__(self, attrs=None):
        super().__init__({"value": "true", **(attrs or {})})

    def value_from_datadict(self, data, files, name):
        if name not in data:
            return None
        value = data.get(name)
        if isinstance(value, str) and value.lower() == "on":  # a checkbox without a value
            return True
        return super().value_from_datadict(data, files, name)
