"""Form widgets shared by every app."""

from django import forms


class IsoDateInput(forms.DateInput):
    """`<input type="date">` whose value is always ISO 8601 (YYYY-MM-DD).

    A browser's date picker accepts nothing else; Django's DateInput would render the active
    language's first DATE_INPUT_FORMATS entry (2026/11/28 in Chinese), which the browser shows
    as empty and refuses to submit. Every date field of the project uses this widget
    (tests/test_date_inputs.py scans the forms)."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")
