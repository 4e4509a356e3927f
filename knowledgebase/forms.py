from django import forms
from django.utils.translation import gettext_lazy as _

from knowledgebase.selectors import CALIBRATION_DEFAULT_DAYS, CALIBRATION_MAX_DAYS, category_choices
from points.forms import RuleAmountField
from points.models import PointRule
from review.forms import ApprovalForm


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Search"), max_length=100, required=False)
    category = forms.TypedChoiceField(
        label=_("Category"), required=False, coerce=int, empty_value=None
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", _("All categories"))] + category_choices()


class SynonymFromMissForm(forms.Form):
    query = forms.CharField(max_length=100, widget=forms.HiddenInput)
    synonyms = forms.CharField(
        label=_("Same meaning as"),
        max_length=200,
        help_text=_("Words of the entries that should be found, separated by spaces."),
    )


class EntryProposalForm(forms.Form):
    category = forms.TypedChoiceField(label=_("Category"), coerce=int)
    title = forms.CharField(label=_("Title"), max_length=200)
    keywords = forms.CharField(label=_("Keywords and aliases"), max_length=500, required=False)
    body = forms.CharField(
        label=_("Answer script"), widget=forms.Textarea(attrs={"rows": 10, "cols": 80})
    )
    reason = forms.CharField(
        label=_("Reason for the change"),
        widget=forms.Textarea(attrs={"rows": 3, "cols": 80}),
        help_text=_(
            "Clearer, more accurate, more complete, removes an ambiguity, separates similar "
            "services…"
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = category_choices()


class RevisionProposalForm(EntryProposalForm):
    base_version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class EntryMaintainForm(EntryProposalForm):
    """A maintainer's new entry: saved at once as version 1."""

    reason = forms.CharField(
        label=_("Reason for the change"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 80}),
        help_text=_("Shown in the entry's history with your name and the changes."),
    )


class EntryReviseForm(EntryMaintainForm):
    """A maintainer's revision: saved at once as a new version, on the version it was opened on."""

    base_version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class EntryRetireForm(forms.Form):
    """Retire (or restore) an entry: the reason, on the version it was opened on."""

    base_version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    reason = forms.CharField(
        label=_("Reason"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 80}),
        help_text=_("Shown in the entry's history with your name."),
    )


class MaintainFilterForm(forms.Form):
    q = forms.CharField(label=_("Title or keyword"), max_length=100, required=False)
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[
            ("current", _("In search")),
            ("retired", _("Retired")),
            ("all", _("All")),
        ],
    )
    category = forms.TypedChoiceField(
        label=_("Category"), required=False, coerce=int, empty_value=None
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", _("All categories"))] + category_choices()


class CalibrationForm(forms.Form):
    days = forms.IntegerField(
        label=_("Results finished in the last (days)"),
        required=False,
        min_value=1,
        max_value=CALIBRATION_MAX_DAYS,
        initial=CALIBRATION_DEFAULT_DAYS,
    )


class KBApprovalForm(ApprovalForm):
    """What an approving committee member decides on a KB revision or new entry (review
    vote_form): the points for the proposer within the rule "kb_revision_accepted" (2–5)."""

    points = RuleAmountField(rule_code=PointRule.KB_REVISION_ACCEPTED)


class StaleResolveForm(forms.Form):
    resolution = forms.ChoiceField(
        label=_("Resolution"),
        choices=[("reviewed", _("Reviewed, still correct")), ("revision", _("Propose a revision"))],
    )
