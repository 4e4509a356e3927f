"""Template filters every app may use (registered as the "choices" library in settings)."""

from django import template
from django.apps import apps

register = template.Library()


@register.filter
def choice_label(value, field_path: str):
    """A stored choice value as its label in the current language: ``value|choice_label:
    "app_label.Model.field"``. Unknown values come back unchanged; None/"" as ""."""
    if value in (None, ""):
        return ""
    app_label, model_name, field_name = field_path.split(".")
    field = apps.get_model(app_label, model_name)._meta.get_field(field_name)
    return dict(field.flatchoices).get(value, value)
