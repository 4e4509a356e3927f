from django import forms
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from points.models import AMOUNT_LIMIT, PointRule, QCTopic, RationalisationProposal


def amount_field(**kwargs) -> forms.IntegerField:
    """A whole number within ±AMOUNT_LIMIT (a form error otherwise); the rule's own range is
    checked by the service."""
    return forms.IntegerField(min_value=-AMOUNT_LIMIT, max_value=AMOUNT_LIMIT, **kwargs)


# Exact messages of RuleAmountField (tests and API clients assert them).
MSG_AMOUNT_REQUIRED = gettext_noop("Choose the points: %(min)s to %(max)s.")
MSG_AMOUNT_OUTSIDE = gettext_noop(
    "Choose the points from %(min)s to %(max)s; %(amount)s is outside the range of “%(rule)s”."
)
MSG_AMOUNT_HELP = gettext_noop(
    "%(min)s to %(max)s points (point rule “%(rule)s”). The award is the lower median "
    "of the approving members' choices."
)
MSG_RULE_OFF = gettext_noop("The point rule “%(rule)s” is switched off: nothing is paid.")
# Upper bound when a rule has none: a typo must not pay millions.
MAX_CHOSEN_AMOUNT = 10_000

PERIOD_CHOICES = [
    ("all", _("All time")),
    ("7d", _("Last 7 days")),
    ("30d", _("Last 30 days")),
    ("90d", _("Last 90 days")),
    ("365d", _("Last 12 months")),
]


class LeaderboardFilterForm(forms.Form):
    period = forms.ChoiceField(label=_("Period"), choices=PERIOD_CHOICES, required=False)


class RationalisationForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 4}))


class JudgeForm(forms.Form):
    verdict = forms.ChoiceField(
        label=_("Verdict"),
        choices=[
            (RationalisationProposal.Status.REJECTED, _("Rejected")),
            (RationalisationProposal.Status.REASONABLE, _("Reasonable")),
            (RationalisationProposal.Status.FEASIBLE, _("Feasible")),
        ],
    )
    amount = amount_field(
        label=_("Points"),
        required=False,
        help_text=_("Within the rule's range; empty for its default."),
    )
    comment = forms.CharField(
        label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class TopicForm(forms.ModelForm):
    class Meta:
        model = QCTopic
        fields = [
            "title",
            "description",
            "points_per_member",
            "max_groups",
            "min_group_size",
            "max_group_size",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}


class ClaimForm(forms.Form):
    name = forms.CharField(label=_("Group name"), max_length=100, required=False)
    members = forms.CharField(
        label=_("Members' staff IDs"),
        max_length=200,
        help_text=_("Separated by spaces or commas; you are included automatically."),
    )


class VolunteerUploadForm(forms.Form):
    file = forms.FileField(label=_("Sheet (CSV or XLSX)"))


class DecisionReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=2000,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("Why reject it?")}),
    )


class RuleAmountField(forms.IntegerField):
    """The amount an approving committee member chooses for a reward, within the CURRENT
    range of the point rule ``rule_code``: the rule's row is read every time a form is built
    (Django deep-copies a form's fields per instance), so an admin's edit applies to the next
    vote. Required while the rule is active (MSG_AMOUNT_REQUIRED / MSG_AMOUNT_OUTSIDE); an
    empty bound counts as 1 and MAX_CHOSEN_AMOUNT. When the rule is switched off (or missing)
    nothing will be paid: the field is optional and cleans to None.

    The one field every review kind with a reviewer-chosen reward uses (KB revisions and new
    entries, new cases, case revisions, quality-case contributors)."""

    widget = forms.NumberInput

    def __init__(self, *, rule_code: str, **kwargs):
        self.rule_code = rule_code
        self.rule: PointRule | None = None
        self.bounds: tuple[int, int] | None = None
        kwargs.setdefault("label", _("Points for the proposer"))
        super().__init__(**kwargs)

    def __deepcopy__(self, memo):
        result = super().__deepcopy__(memo)
        result.load_rule()
        return result

    def load_rule(self) -> None:
        """Read the rule's current range (or learn that it is switched off)."""
        self.rule = PointRule.objects.filter(code=self.rule_code).first()
        if self.rule is None or not self.rule.active:
            self.required, self.bounds = False, None
            self.help_text = gettext(MSG_RULE_OFF) % {
                "rule": self.rule.name if self.rule else self.rule_code
            }
            return
        low = self.rule.min_amount if self.rule.min_amount is not None else 1
        high = self.rule.max_amount if self.rule.max_amount is not None else MAX_CHOSEN_AMOUNT
        self.required, self.bounds = True, (low, high)
        self.error_messages = {
            **self.error_messages,
            "required": gettext(MSG_AMOUNT_REQUIRED) % {"min": low, "max": high},
        }
        self.widget.attrs.update({"min": low, "max": high})
        self.help_text = gettext(MSG_AMOUNT_HELP) % {
            "min": low,
            "max": high,
            "rule": self.rule.name,
        }

    def clean(self, value):
        if self.bounds is None:
            return None
        amount = super().clean(value)
        low, high = self.bounds
        if not low <= amount <= high:
            raise forms.ValidationError(
                gettext(MSG_AMOUNT_OUTSIDE)
                % {"min": low, "max": high, "amount": amount, "rule": self.rule.name},
                code="outside",
            )
        return amount
