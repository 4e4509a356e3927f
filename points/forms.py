from django import forms
from django.utils.translation import gettext_lazy as _

from points.models import AMOUNT_LIMIT, PointRule, QCTopic, RationalisationProposal


def amount_field(**kwargs) -> forms.IntegerField:
    """A whole number within ±AMOUNT_LIMIT (a form error otherwise); the rule's own range is
    checked by the service."""
    return forms.IntegerField(min_value=-AMOUNT_LIMIT, max_value=AMOUNT_LIMIT, **kwargs)

PERIOD_CHOICES = [
    ("all", _("All time")), ("7d", _("Last 7 days")), ("30d", _("Last 30 days")), ("90d", _("Last 90 days")),
    ("365d", _("Last 12 months")),
]


class HistoryFilterForm(forms.Form):
    rule = forms.ModelChoiceField(label=_("rule"), queryset=PointRule.objects.all(), required=False,
                                  empty_label=_("All rules"))
    date_from = forms.DateField(label=_("from"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("to"), required=False, widget=forms.DateInput(attrs={"type": "date"}))


class LeaderboardFilterForm(forms.Form):
    period = forms.ChoiceField(label=_("period"), choices=PERIOD_CHOICES, required=False)


class RationalisationForm(forms.Form):
    title = forms.CharField(label=_("title"), max_length=200)
    description = forms.CharField(label=_("description"), widget=forms.Textarea(attrs={"rows": 4}))


class JudgeForm(forms.Form):
    verdict = forms.ChoiceField(label=_("verdict"), choices=[
        (RationalisationProposal.Status.REJECTED, _("Rejected")),
        (RationalisationProposal.Status.REASONABLE, _("Reasonable")),
        (RationalisationProposal.Status.FEASIBLE, _("Feasible")),
    ])
    amount = amount_field(label=_("points"), required=False,
                          help_text=_("Within the rule's range; empty for its default."))
    comment = forms.CharField(label=_("comment"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class TopicForm(forms.ModelForm):
    class Meta:
        model = QCTopic
        fields = ["title", "description", "points_per_member", "max_groups", "min_group_size", "max_group_size"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}


class ClaimForm(forms.Form):
    name = forms.CharField(label=_("group name"), max_length=100, required=False)
    members = forms.CharField(label=_("members' staff IDs"), max_length=200,
                              help_text=_("Separated by spaces or commas; you are included automatically."))


class VolunteerUploadForm(forms.Form):
    file = forms.FileField(label=_("sheet (CSV or XLSX)"))
