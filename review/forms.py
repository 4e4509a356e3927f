from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from config.trees import path_labels
from config.validators import filter_date
from config.widgets import IsoDateInput
from review import insights
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
    decision = forms.ChoiceField(
        label=_("Decision"), choices=Vote.Decision.choices, widget=forms.RadioSelect
    )
    comment = forms.CharField(
        label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 3, "cols": 60})
    )


class ApplicationForm(forms.Form):
    statement = forms.CharField(
        label=_("Why do you want to join?"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
    )


class AppointForm(forms.Form):
    staff_id = forms.CharField(label=_("Staff ID"), max_length=20)

    def clean_staff_id(self):
        staff_id = self.cleaned_data["staff_id"].strip().upper()
        user = User.objects.filter(staff_id=staff_id, is_active=True).first()
        if user is None:
            raise forms.ValidationError(_("No active employee has this staff ID."))
        return user


def category_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """Both category trees as grouped choices ("kb:<pk>", "case:<pk>"), each category shown
    with its path ("资费 › 套餐变更") so that subcategories are recognisable."""
    from review.models import ReviewExpertise

    groups = []
    for prefix, field_name, label in (
        ("kb", "kb_category", _("Knowledge-base categories")),
        ("case", "case_category", _("Case categories")),
    ):
        model = ReviewExpertise._meta.get_field(field_name).related_model
        choices = [(f"{prefix}:{pk}", path) for pk, path in path_labels(model, " › ")]
        groups.append((label, sorted(choices, key=lambda c: c[1])))
    return groups


class ExpertiseForm(forms.Form):
    """A training manager makes a committee member a review expert of a category."""

    staff_id = forms.CharField(label=_("Staff ID"), max_length=20)
    category = forms.ChoiceField(
        label=_("Category"), help_text=_("Expertise covers the category's subcategories.")
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", "---------"), *category_choices()]

    def clean_staff_id(self):
        staff_id = self.cleaned_data["staff_id"].strip().upper()
        user = User.objects.filter(staff_id=staff_id, is_active=True).first()
        if user is None:
            raise forms.ValidationError(_("No active employee has this staff ID."))
        return user

    def clean_category(self):
        return category_from_choice(self.cleaned_data["category"])


def category_from_choice(value: str):
    """The KB or case category named "kb:<pk>" / "case:<pk>"; ValidationError otherwise."""
    from review.models import ReviewExpertise

    prefix, _sep, pk = (value or "").partition(":")
    field_name = {"kb": "kb_category", "case": "case_category"}.get(prefix)
    category = None
    if field_name and pk.isdigit():
        model = ReviewExpertise._meta.get_field(field_name).related_model
        category = model._base_manager.filter(pk=int(pk)).first()
    if category is None:
        raise forms.ValidationError(_("Choose a knowledge-base or case category."))
    return category


class CalibrationRoundForm(forms.Form):
    """A training or operations manager starts a calibration round (review.calibration)."""

    proposal = forms.IntegerField(label=_("Decided proposal (number)"), min_value=1)
    members = forms.CharField(
        label=_("Committee members (staff IDs)"),
        max_length=2000,
        help_text=_("Separated by spaces or commas."),
    )
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def clean_members(self):
        ids = sorted(
            {
                part.strip().upper()
                for part in self.cleaned_data["members"]
                .replace("，", ",")
                .replace(",", " ")
                .split()
                if part.strip()
            }
        )
        if not ids:
            raise forms.ValidationError(_("Choose at least one committee member."))
        users = list(User.objects.filter(staff_id__in=ids, is_active=True))
        unknown = sorted(set(ids) - {u.staff_id for u in users})
        if unknown:
            raise forms.ValidationError(
                _("Unknown staff ID: %(ids)s.") % {"ids": ", ".join(unknown)}
            )
        return users


class FlagReversalForm(forms.Form):
    """Record the reversal of one ledger entry behind a review flag (a reason is mandatory)."""

    entry = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    reason = forms.CharField(label=_("Reason"), max_length=500)


class InsightsPeriodForm(forms.Form):
    """The reviewer insights' period (local days, both inclusive): the last
    insights.DEFAULT_PERIOD_DAYS days unless chosen; from ≤ to, at most
    insights.MAX_PERIOD_DAYS days (review.insights.period_errors, as the API checks it)."""

    date_from = forms.DateField(
        label=_("From"), required=False, widget=IsoDateInput(), validators=[filter_date]
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=IsoDateInput(), validators=[filter_date]
    )

    def clean(self):
        data = super().clean()
        if not self.errors:
            for field, message in insights.period_errors(
                data.get("date_from"), data.get("date_to")
            ).items():
                self.add_error(field, message)
        return data

    def period(self) -> "insights.Period":
        """The chosen period, or the default one when the form is unbound or invalid."""
        if self.is_bound and self.is_valid():
            return insights.choose_period(
                self.cleaned_data.get("date_from"), self.cleaned_data.get("date_to")
            )
        return insights.default_period()
