from allauth.account.forms import LoginForm, ResetPasswordForm, default_token_generator
from allauth.account.internal.flows.password_reset import request_password_reset
from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _


class StaffLoginForm(LoginForm):
    """allauth's login form with the login field presented as the staff ID (工号)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["login"]
        field.label = _("Staff ID")
        field.widget.attrs.update({"placeholder": _("Staff ID"), "autocomplete": "username"})


class StaffPasswordResetForm(ResetPasswordForm):
    """Password reset by staff ID: the mail goes to the one account with that staff ID (when
    it is active and has an address), never to every account sharing an address. The answer
    is the same whether or not the staff ID exists (no enumeration)."""

    email = None
    login = forms.CharField(
        label=_("Staff ID"),
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "username"}),
    )

    def clean(self):
        cleaned = super().clean()
        staff_id = (cleaned.get("login") or "").strip().upper()
        user = (
            get_user_model()
            .objects.filter(staff_id=staff_id, is_active=True)
            .exclude(email="")
            .first()
        )
        self.users = [user] if user else []
        cleaned["email"] = staff_id  # allauth's view rate-limits per cleaned_data["email"]
        return cleaned

    def save(self, request, **kwargs) -> str:
        if self.users:
            user = self.users[0]
            request_password_reset(
                request,
                user.email,
                self.users,
                kwargs.get("token_generator", default_token_generator),
            )
        return self.cleaned_data["email"]


class EmployeeImportForm(forms.Form):
    """The HR system's employee file; the size is checked before the file is read."""

    file = forms.FileField(
        label=_("Employee file (CSV or XLSX)"),
        help_text=_(
            "Columns: staff ID, name, centre, team, position, hire date, education "
            "(English or Chinese headers). At most 2 MB and 5,000 rows."
        ),
    )

    def clean_file(self):
        from accounts.importing import MAX_FILE_BYTES

        upload = self.cleaned_data["file"]
        if upload.size > MAX_FILE_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(mb)s MB.") % {"mb": MAX_FILE_BYTES // (1024 * 1024)}
            )
        if not upload.name.lower().endswith((".csv", ".xlsx", ".txt")):
            raise forms.ValidationError(_("Upload a CSV or XLSX file."))
        return upload
