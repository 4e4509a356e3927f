"""Every `<input type="date">` renders its value in ISO 8601, whatever the language: a browser's
date picker shows a localised value (2026/11/28 in Chinese) as empty and will not submit it."""

import datetime
import importlib
import inspect

import django_filters
import pytest
from django import forms
from django.apps import apps
from django.conf import settings
from django.utils import translation

from config.widgets import IsoDateInput


def _project_forms() -> list[tuple[str, type[forms.BaseForm]]]:
    found = []
    for config in apps.get_app_configs():
        if not config.path.startswith(str(settings.BASE_DIR)):
            continue
        try:
            module = importlib.import_module(f"{config.name}.forms")
        except ModuleNotFoundError:
            continue
        for name, obj in inspect.getmembers(module, inspect.isclass):
            if issubclass(obj, forms.BaseForm) and obj.__module__ == module.__name__:
                found.append((f"{module.__name__}.{name}", obj))
    return found


def _project_filtersets() -> list[tuple[str, type[django_filters.FilterSet]]]:
    """The lists' FilterSets (<app>.filters): their forms are the web lists' filter forms."""
    found = []
    for config in apps.get_app_configs():
        if not config.path.startswith(str(settings.BASE_DIR)):
            continue
        try:
            module = importlib.import_module(f"{config.name}.filters")
        except ModuleNotFoundError:
            continue
        for name, obj in inspect.getmembers(module, inspect.isclass):
            if issubclass(obj, django_filters.FilterSet) and obj.__module__ == module.__name__:
                found.append((f"{module.__name__}.{name}", obj))
    return found


def _date_fields() -> list[tuple[str, forms.Field]]:
    fields = []
    for label, form_class in _project_forms():
        for name, field in form_class.base_fields.items():
            if isinstance(field, forms.DateField) and not isinstance(field, forms.DateTimeField):
                fields.append((f"{label}.{name}", field))
    for label, filterset_class in _project_filtersets():
        for name, date_filter in filterset_class.base_filters.items():
            if isinstance(date_filter, django_filters.DateFilter):
                fields.append((f"{label}.{name}", date_filter.field))
    return fields


def test_the_scan_finds_the_date_fields_it_is_meant_to_check():
    names = {label for label, _field in _date_fields()}
    assert {
        "curriculum.forms.RatingForm.observed_on",
        "points.filters.PointsHistoryFilter.date_from",
        "promotion.forms.RosterFilterForm.date_to",
    } <= names


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize(
    "label,field", _date_fields(), ids=lambda v: v if isinstance(v, str) else ""
)
def test_every_date_field_renders_an_iso_value_for_the_browser_date_picker(label, field, language):
    # given a date field with a value, in a language whose date format is not ISO
    with translation.override(language):
        # when its widget is rendered
        html = field.widget.render("d", datetime.date(2026, 11, 28))
    # then it is a date picker with the ISO value the browser can show and submit
    assert isinstance(field.widget, IsoDateInput), label
    assert 'type="date"' in html and 'value="2026-11-28"' in html, (label, html)
