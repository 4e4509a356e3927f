"""The project's form renderer writes text-like inputs and selects in Python
(config/widgets.py). It must give the markup Django's own templates give, for every widget of
every form and filter of the project, and for the edge cases a form may hit (escaping, lazy
labels, optgroups, several selected options, booleans in attrs)."""

import datetime
import importlib
import inspect
from pathlib import Path

import django_filters
import pytest
from django import forms
from django.conf import settings
from django.forms.renderers import DjangoTemplates, get_default_renderer
from django.test.html import parse_html
from django.utils.translation import gettext_lazy

from accounts.tests.test_no_upward_imports import UPPER_APPS
from config import widgets
from config.filtering import TickFilterWidget
from config.widgets import QuickWidgetRenderer

DJANGO = DjangoTemplates()
QUICK = QuickWidgetRenderer()
APPS = sorted(UPPER_APPS | {"accounts"})


def _same(widget: forms.Widget, name: str, value, attrs=None):
    expected = widget.render(name, value, attrs, renderer=DJANGO)
    got = widget.render(name, value, attrs, renderer=QUICK)
    assert parse_html(got) == parse_html(expected), (type(widget).__name__, value, got, expected)
    return got


def test_the_project_uses_it():
    assert isinstance(get_default_renderer(), QuickWidgetRenderer)


def test_no_project_template_overrides_a_template_it_bypasses():
    bypassed = widgets.BYPASSED_TEMPLATES
    roots = [Path(d) for d in settings.TEMPLATES[0]["DIRS"]]
    roots += [Path(settings.BASE_DIR) / app / "templates" for app in APPS]
    overridden = [str(root / name) for root in roots for name in bypassed if (root / name).exists()]
    assert overridden == []


def _project_form_classes():
    for app in APPS:
        for module_name in ("forms", "filters"):
            try:
                module = importlib.import_module(f"{app}.{module_name}")
            except ModuleNotFoundError:
                continue
            for _name, cls in inspect.getmembers(module, inspect.isclass):
                if cls.__module__ != module.__name__:
                    continue
                if issubclass(cls, forms.BaseForm):
                    yield cls.__qualname__, dict(cls.base_fields)
                elif issubclass(cls, django_filters.FilterSet):
                    yield cls.__qualname__, {n: f.field for n, f in cls.base_filters.items()}


def _sample(field: forms.Field):
    choices = list(getattr(field, "choices", []) or [])
    values = [None, "", "a<b>&\"c'"]
    if choices:
        first = choices[-1][0]
        values.append(getattr(first, "value", first))
    if isinstance(field, forms.DateField):
        values.append(datetime.date(2026, 11, 28))
    if isinstance(field, forms.MultipleChoiceField) and choices:
        values.append([getattr(c[0], "value", c[0]) for c in choices[:2]])
    return values


@pytest.mark.django_db
def test_every_widget_of_every_project_form_renders_as_with_django_templates():
    checked = 0
    for _form, fields in _project_form_classes():
        for name, field in fields.items():
            if isinstance(field, forms.ModelChoiceField) and field.queryset is None:
                continue  # given its rows by the form's __init__
            for value in _sample(field):
                _same(field.widget, name, value, {"id": f"id_{name}", "required": field.required})
                checked += 1
    assert checked > 300  # the scan found the project's forms


@pytest.mark.parametrize(
    "widget, value",
    [
        (forms.TextInput(attrs={"placeholder": 'x"<y>', "autofocus": True}), "宽带 & <b>"),
        (forms.NumberInput(attrs={"min": 0, "disabled": False}), 0),
        (forms.HiddenInput(), "7"),
        (forms.PasswordInput(), "secret"),
        (forms.PasswordInput(render_value=True), "secret"),
        (forms.EmailInput(), "a@b.cn"),
        (forms.CheckboxInput(), True),
        (forms.CheckboxInput(), False),
        (TickFilterWidget(), True),
        (widgets.IsoDateInput(), datetime.date(2026, 1, 2)),
        (forms.Select(choices=[("", "---"), (1, gettext_lazy("Category")), (2, "<b>")]), 2),
        (
            forms.Select(choices=[("Group <1>", [(1, "a"), (2, "b")]), (3, "c")]),
            1,
        ),
        (forms.SelectMultiple(choices=[(1, "a"), (2, "b"), (3, "c")]), [1, 3]),
        (forms.NullBooleanSelect(), True),
        (forms.Select(choices=[(1, "a")], attrs={"hx-get": "/x/?a=1&b=2"}), None),
        (forms.RadioSelect(choices=[("x", "<X>"), ("y", gettext_lazy("Category"))]), "y"),
        (forms.RadioSelect(choices=[("G", [("x", "a"), ("y", "b")]), ("z", "c")]), "z"),
        (forms.RadioSelect(choices=[("x", "a")], attrs={"class": "inline"}), None),
        (forms.CheckboxSelectMultiple(choices=[(1, "a"), (2, "b"), (3, "c")]), [2, 3]),
    ],
)
def test_edge_cases_render_as_with_django_templates(widget, value):
    _same(widget, "field", value, {"id": "id_field"})


def test_a_select_with_its_own_option_template_goes_through_its_templates():
    class Custom(forms.Select):
        option_template_name = "django/forms/widgets/radio_option.html"

    html = _same(Custom(choices=[(1, "a")]), "f", 1)
    assert "<option" not in html  # its own template rendered the options


def test_labels_and_error_lists_render_as_with_django_templates():
    class Form(forms.Form):
        name = forms.CharField(label="Name <&>", max_length=3)
        level = forms.ChoiceField(choices=[("1", "one")], widget=forms.RadioSelect)
        note = forms.CharField(required=False, help_text="<i>help</i>")

    for data in ({}, {"name": "toolong<", "level": "9"}, {"name": "ok", "level": "1"}):
        outputs = []
        for renderer in (DJANGO, QUICK):
            form = Form(data or None, renderer=renderer)
            form.is_valid() if data else None
            rendered = [form.as_p(), form.as_div(), str(form["name"].errors)]
            rendered += [form["name"].label_tag(), form["level"].legend_tag()]
            rendered.append(form["note"].label_tag(attrs={"class": "x"}, label_suffix="?"))
            outputs.append([parse_html(str(html)) for html in rendered])
        assert outputs[0] == outputs[1]
    assert "errorlist" in str(Form({"name": "toolong"}, renderer=QUICK)["name"].errors)


def test_escapes_what_it_writes():
    html = forms.Select(choices=[('"><script>', "<script>")]).render("f", None, renderer=QUICK)
    assert "<script>" not in html
    assert "&lt;script&gt;" in html and "&quot;&gt;&lt;script&gt;" in html
