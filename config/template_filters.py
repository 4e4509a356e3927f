"""Template filters every app may use (registered as the "choices" library in settings)."""

from django import template
from django.apps import apps
from django.utils.translation import get_language

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


def localized_value(obj, field: str) -> str:
    """``obj.<field>`` in the current language: its ``<field>_en`` twin when English is active
    and that is filled in, else the field itself (the Chinese master data)."""
    if obj is None:
        return ""
    if (get_language() or "").startswith("en"):
        english = getattr(obj, f"{field}_en", "")
        if english:
            return english
    return getattr(obj, field, "")


@register.filter
def localized(obj, field: str = "name") -> str:
    """``course|localized:"title"``, ``rule|localized`` (name): see localized_value."""
    return localized_value(obj, field)
