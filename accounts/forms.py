from allauth.account.forms import LoginForm
from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import MAX_LEVEL, Centre, Team


class StaffLoginForm(LoginForm):
    """allauth's login form with the login field presented as the staff ID (工号)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["login"]
        field.label = _("Staff ID")
        field.widget.attrs.update({"placeholder": _("Staff ID"), "autocomplete": "username"})


class EmployeeFilterForm(forms.Form):
    q = forms.CharField(label=_("Staff ID or name"), required=False, max_length=64)
    centre = forms.ModelChoiceField(label=_("Centre"), queryset=Centre.objects.all(), required=False)
    team = forms.ModelChoiceField(label=_("Team"), queryset=Team.objects.select_related("centre"), required=False)
    level = forms.TypedChoiceField(
        label=_("Level"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", "—")] + [(n, str(n)) for n in range(MAX_LEVEL + 1)],
    )
