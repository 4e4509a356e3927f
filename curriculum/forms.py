from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from competency.models import CompetencyItem
from config.widgets import IsoDateInput
from curriculum.models import BehaviourRating

SCORE_CHOICES = [(i, str(i)) for i in range(1, 6)]


class PeopleSearchForm(forms.Form):
    """The people page's search (a Django CharField refuses NUL characters, which PostgreSQL
    cannot store or compare in text)."""

    q = forms.CharField(label=_("Staff ID or name"), required=False, max_length=100)


class SurveyForm(forms.Form):
    content_score = forms.TypedChoiceField(
        label=_("Content"), choices=SCORE_CHOICES, coerce=int, widget=forms.RadioSelect
    )
    format_score = forms.TypedChoiceField(
        label=_("Format"), choices=SCORE_CHOICES, coerce=int, widget=forms.RadioSelect
    )
    usefulness_score = forms.TypedChoiceField(
        label=_("Usefulness"), choices=SCORE_CHOICES, coerce=int, widget=forms.RadioSelect
    )
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class RatingForm(forms.Form):
    item = forms.ModelChoiceField(
        label=_("Competency item"), queryset=CompetencyItem.objects.none()
    )
    phase = forms.ChoiceField(label=_("Phase"), choices=BehaviourRating.Phase.choices)
    score = forms.TypedChoiceField(label=_("Score"), choices=SCORE_CHOICES, coerce=int)
    observed_on = forms.DateField(label=_("Observed on"), widget=IsoDateInput())
    note = forms.CharField(
        label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, employee, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item"].queryset = CompetencyItem.objects.filter(
            position_models__position_id=employee.position_id
        ).order_by("code")
        self.fields["observed_on"].initial = timezone.localdate()


class PlanItemForm(forms.Form):
    action = forms.CharField(label=_("Action"), max_length=300)
    course = forms.IntegerField(widget=forms.HiddenInput, required=False)
    due_on = forms.DateField(label=_("Due on"), required=False, widget=IsoDateInput())
