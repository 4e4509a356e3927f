"""Form widgets shared by every app, and the form renderer."""

import html

from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.safestring import mark_safe


class IsoDateInput(forms.DateInput):
    """`<input type="date">` whose value is always ISO 8601 (YYYY-MM-DD).

    A browser's date picker accepts nothing else; Django's DateInput would render the active
    language's first DATE_INPUT_FORMATS entry (2026/11/28 in Chinese), which the browser shows
    as empty and refuses to submit. Every date field of the project uses this widget
    (tests/test_date_inputs.py scans the forms)."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


# --- the form renderer ------------------------------------------------------------------------

_INPUT_TEMPLATES = frozenset(
    f"django/forms/widgets/{name}.html"
    for name in (
        "input",
        "text",
        "number",
        "email",
        "url",
        "password",
        "hidden",
        "date",
        "datetime",
        "time",
        "search",
        "tel",
        "color",
        "checkbox",
    )
)
_SELECT_TEMPLATE = "django/forms/widgets/select.html"
_OPTION_TEMPLATE = "django/forms/widgets/select_option.html"
_MULTIPLE_INPUT_TEMPLATES = frozenset(
    f"django/forms/widgets/{name}.html" for name in ("radio", "checkbox_select", "multiple_input")
)
_INPUT_OPTION_TEMPLATES = frozenset(
    f"django/forms/widgets/{name}.html"
    for name in ("radio_option", "checkbox_option", "input_option")
)
_LABEL_TEMPLATE = "django/forms/label.html"
_ERROR_LIST_TEMPLATES = frozenset(
    ("django/forms/errors/list/default.html", "django/forms/errors/list/ul.html")
)
# Every Django template the renderer writes itself (a project override of one would be ignored).
BYPASSED_TEMPLATES = (
    _INPUT_TEMPLATES
    | _MULTIPLE_INPUT_TEMPLATES
    | _INPUT_OPTION_TEMPLATES
    | {_SELECT_TEMPLATE, _OPTION_TEMPLATE, _LABEL_TEMPLATE}
    | _ERROR_LIST_TEMPLATES
)


def _escape(value) -> str:
    """Django's conditional_escape without its lazy-string wrapper (called per attribute)."""
    if hasattr(value, "__html__"):
        return value.__html__()
    return html.escape(str(value))


def _attrs(attrs: dict | None) -> str:
    """Django's attrs.html in Python: ``True`` writes the bare name, ``False`` nothing."""
    return "".join(
        f" {name}" if value is True else f' {name}="{_escape(value)}"'
        for name, value in (attrs or {}).items()
        if value is not False
    )


def _input(widget: dict) -> str:
    value = "" if widget["value"] is None else f' value="{_escape(widget["value"])}"'
    return (
        f'<input type="{_escape(widget["type"])}" name="{_escape(widget["name"])}"'
        f"{value}{_attrs(widget['attrs'])}>"
    )


def _select(widget: dict) -> str | None:
    parts = [f'<select name="{_escape(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, options, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{_escape(group_name)}">')
        for option in options:
            if option["template_name"] != _OPTION_TEMPLATE:
                return None  # a widget with its own option template: rendered by its template
            parts.append(
                f'\n  <option value="{_escape(option["value"])}"{_attrs(option["attrs"])}>'
                f"{_escape(option['label'])}</option>"
            )
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


def _multiple_input(widget: dict) -> str | None:
    """radio.html / checkbox_select.html (multiple_input.html with input_option.html)."""
    id_, css = widget["attrs"].get("id"), widget["attrs"].get("class")
    parts = [
        "<div",
        f' id="{_escape(id_)}"' if id_ else "",
        f' class="{_escape(css)}"' if css else "",
        ">",
    ]
    for group, options, _index in widget["optgroups"]:
        if group:
            parts.append(f"\n  <div><label>{_escape(group)}</label>")
        for option in options:
            if option["template_name"] not in _INPUT_OPTION_TEMPLATES:
                return None  # a widget with its own option template: rendered by its template
            html = _input(option)
            if option["wrap_label"]:
                for_id = option["attrs"].get("id")
                label_for = f' for="{_escape(for_id)}"' if for_id else ""
                html = f"<label{label_for}>{html} {_escape(option['label'])}</label>"
            parts.append(f"<div>\n    {html}</div>")
        if group:
            parts.append("\n  </div>")
    parts.append("\n</div>")
    return "".join(parts)


def _label(context: dict) -> str:
    if not context["use_tag"]:
        return _escape(context["label"])
    tag = _escape(context["tag"])
    return f"<{tag}{_attrs(context['attrs'])}>{_escape(context['label'])}</{tag}>"


def _error_list(context: dict) -> str:
    errors = context["errors"]
    if not errors:
        return ""
    field_id = getattr(errors, "field_id", None)
    id_attr = f' id="{_escape(field_id)}_error"' if field_id else ""
    items = "".join(f"<li>{_escape(error)}</li>" for error in errors)
    return f'<ul class="{_escape(context["error_class"])}"{id_attr}>{items}</ul>'


class QuickWidgetRenderer(DjangoTemplates):
    """Django's template form renderer, except that the most common pieces — text-like inputs,
    selects, radio and checkbox lists, labels and error lists — are written in Python with the
    same markup their templates give.

    A profile of the CSR pages found Django rendering one template (plus an attrs include) per
    option: the knowledge-base search form's category select alone, ~40 options, cost more CPU
    than the whole search. Everything else (the form and field layouts, widgets with their own
    templates) goes through the templates as before. A project template that
    overrides one of these Django templates would be bypassed, so tests/test_form_renderer.py
    fails if one appears and compares both renderers' output over the project's forms."""

    def render(self, template_name, context, request=None):
        html = None
        if template_name in BYPASSED_TEMPLATES and isinstance(context, dict):
            if template_name in _INPUT_TEMPLATES:
                html = _input(context["widget"])
            elif template_name == _SELECT_TEMPLATE:
                html = _select(context["widget"])
            elif template_name in _MULTIPLE_INPUT_TEMPLATES:
                html = _multiple_input(context["widget"])
            elif template_name == _LABEL_TEMPLATE:
                html = _label(context)
            elif template_name in _ERROR_LIST_TEMPLATES:
                html = _error_list(context)
        if html is None:
            return super().render(template_name, context, request)
        return mark_safe(html)  # noqa: S308 - every value escaped by _escape
