from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from review.models import Vote


class VoteForm(forms.Form):
    decision = forms.ChoiceField(label=_("Decision"), choices=Vote.Decision.choices, widget=forms.RadioSelect)
    comment = forms.CharField(label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 3, "cols": 60}))


class ApplicationForm(forms.Form):
    statement = forms.CharField(
        label=_("Why do you want to join?"), required=False, widget=forms.Textarea(attrs={"rows": 3, "cols": 60})
    )


class AppointForm(forms.Form):
    staff_id = forms.CharField(label=_("Staff ID"), max_length=20)

    def clean_staff_id(self):
        staff_id = self.cleaned_data["staff_id"].strip().upper()
        user = User.objects.filter(staff_id=staff_id, is_active=True).first()
        if user is None:
            raise forms.ValidationError(_("No active employee has this staff ID."))
        return user


class DecideForm(forms.Form):
    accept = forms.TypedChoiceField(
        choices=[("1", _("Accept")), ("0", _("Decline"))], coerce=lambda v: v == "1"
    )
    comment = forms.CharField(required=False, max_length=1000)
