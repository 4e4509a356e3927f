from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from review.models import Vote


class ApprovalForm(forms.Form):
    """Base of the kinds' vote forms (ProposalKind.vote_form): the extra fields an APPROVING
    member fills in. Built as ``form_class(data=..., proposal=proposal)``; ``self.proposal``
    is the proposal being voted on (fields may depend on it, e.g. the contributors of a case).
    """

    # The same page submits rejections, which need none of these fields: the server decides.
    use_required_attribute = False

    def __init__(self, *args, proposal=None, **kwargs):
        self.proposal = proposal
        super().__init__(*args, **kwargs)


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
