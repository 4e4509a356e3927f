from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from accounts.levels import MAX_LEVEL, MIN_CASE_LEVEL
from accounts.staff_ids import staff_ids_parse
from casebase.models import LEVEL_CHOICES, Case, CaseCategory, CaseRating
from casebase.tree import TreeError, parse_tree_text
from points.forms import RuleAmountField
from points.models import PointRule
from review.forms import ApprovalForm


class CaseGradingForm(ApprovalForm):
    """What an approving committee member decides for a new case (review vote_form)."""

    level = forms.TypedChoiceField(label=_("Level"), choices=LEVEL_CHOICES, coerce=int)
    split = forms.ChoiceField(label=_("Set"), choices=Case.Split.choices)
    points = RuleAmountField(rule_code=PointRule.CASE_CREATED)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.is_bound:
            return
        # Shown to the approver: which set each level is short of; the defaults are the
        # proposer's suggested level and the set that level is further short of.
        from casebase.selectors import split_counts, split_shortfall_text

        counts = split_counts()
        self.fields["split"].help_text = split_shortfall_text(counts)
        try:
            level = int(
                (self.proposal.payload if self.proposal else {}).get("suggested_level")
                or MIN_CASE_LEVEL
            )
        except (TypeError, ValueError):
            level = MIN_CASE_LEVEL
        level = min(max(level, MIN_CASE_LEVEL), MAX_LEVEL)
        self.initial.setdefault("level", level)
        self.initial.setdefault("split", counts[level].suggested_split)


class CaseRevisionVoteForm(ApprovalForm):
    """What an approving committee member decides for a case revision (review vote_form)."""

    points = RuleAmountField(rule_code=PointRule.CASE_REVISED)


class QualityCaseVoteForm(ApprovalForm):
    """What an approving committee member decides on a quality-case application (review
    vote_form): the extra points each contributor gets (rule "quality_case_participant",
    5–10) and the ONE outstanding contributor, chosen among the application's contributors."""

    points = RuleAmountField(
        rule_code=PointRule.QUALITY_CASE_PARTICIPANT, label=_("Points for each contributor")
    )
    outstanding = forms.TypedChoiceField(
        label=_("The outstanding contributor"),
        coerce=int,
        help_text=_(
            "The contributor named by most approving members gets the outstanding-contributor "
            "points."
        ),
        error_messages={"required": _("Name the one outstanding contributor.")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        pks = list(
            (self.proposal.payload.get("contributors") if self.proposal is not None else None) or []
        )
        users = get_user_model().objects.in_bulk(pks)
        self.fields["outstanding"].choices = [("", "---------")] + [
            (pk, f"{users[pk].name} ({users[pk].staff_id})") for pk in pks if pk in users
        ]


class QualityCaseApplicationForm(forms.Form):
    statement = forms.CharField(
        label=_("Why is this a quality case?"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 80}),
        help_text=_("What makes the case exemplary and who contributed what."),
    )


class ParticipantsField(forms.CharField):
    """Staff IDs of the colleagues who worked on the case with the proposer, split into a
    list; casebase.services.proposals.participants_resolve checks them."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Other participants"))
        kwargs.setdefault("required", False)
        kwargs.setdefault(
            "help_text",
            _(
                "Staff IDs of up to 4 colleagues who worked on the case with you, "
                "separated by commas, spaces or new lines."
            ),
        )
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 2, "cols": 40}))
        super().__init__(**kwargs)

    def clean(self, value):
        return staff_ids_parse(super().clean(value))


class CategoryChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return "— " * (obj.depth - 1) + obj.name


def category_field(**kwargs) -> CategoryChoiceField:
    return CategoryChoiceField(
        label=_("Category"), queryset=CaseCategory.objects.get_tree(), **kwargs
    )


class TreeTextField(forms.CharField):
    """The structured text format of a case tree, parsed and validated on clean()."""

    widget = forms.Textarea(
        attrs={"rows": 18, "cols": 100, "class": "tree-text", "spellcheck": "false"}
    )

    def clean(self, value):
        value = super().clean(value)
        try:
            return parse_tree_text(value)
        except TreeError as exc:
            raise forms.ValidationError(exc.messages) from None


class TextCaseForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    category = category_field()
    suggested_level = forms.TypedChoiceField(
        label=_("Suggested level"), choices=LEVEL_CHOICES, coerce=int
    )
    background = forms.CharField(
        label=_("Background"), widget=forms.Textarea(attrs={"rows": 3, "cols": 100})
    )
    tree = TreeTextField(label=_("Dialogue tree"))
    reason = forms.CharField(
        label=_("Why this case is worth learning"),
        widget=forms.Textarea(attrs={"rows": 2, "cols": 100}),
    )
    participants = ParticipantsField()


class VoiceCaseForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    category = category_field()
    suggested_level = forms.TypedChoiceField(
        label=_("Suggested level"), choices=LEVEL_CHOICES, coerce=int
    )
    audio = forms.FileField(label=_("Recording (MP3, WAV, OGG or M4A)"))
    premise = forms.ChoiceField(label=_("Premise"), choices=Case.Premise.choices)
    emotion_grade = forms.TypedChoiceField(
        label=_("Emotional-problem grade"), choices=LEVEL_CHOICES, coerce=int
    )
    background = forms.CharField(
        label=_("Background"), required=False, widget=forms.Textarea(attrs={"rows": 3, "cols": 100})
    )
    transcript = forms.CharField(
        label=_("Transcript and notes"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8, "cols": 100}),
    )
    reason = forms.CharField(
        label=_("Why this case is worth learning"),
        widget=forms.Textarea(attrs={"rows": 2, "cols": 100}),
    )
    participants = ParticipantsField()


class TextRevisionForm(forms.Form):
    base_version = forms.IntegerField(widget=forms.HiddenInput)
    title = forms.CharField(label=_("Title"), max_length=200)
    category = category_field()
    background = forms.CharField(
        label=_("Background"), widget=forms.Textarea(attrs={"rows": 3, "cols": 100})
    )
    tree = TreeTextField(label=_("Dialogue tree"))
    reason = forms.CharField(
        label=_("Reason for the revision"), widget=forms.Textarea(attrs={"rows": 2, "cols": 100})
    )
    participants = ParticipantsField()


class VoiceRevisionForm(forms.Form):
    base_version = forms.IntegerField(widget=forms.HiddenInput)
    title = forms.CharField(label=_("Title"), max_length=200)
    category = category_field()
    audio = forms.FileField(label=_("New recording (optional)"), required=False)
    premise = forms.ChoiceField(label=_("Premise"), choices=Case.Premise.choices)
    emotion_grade = forms.TypedChoiceField(
        label=_("Emotional-problem grade"), choices=LEVEL_CHOICES, coerce=int
    )
    background = forms.CharField(
        label=_("Background"), required=False, widget=forms.Textarea(attrs={"rows": 3, "cols": 100})
    )
    transcript = forms.CharField(
        label=_("Transcript and notes"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8, "cols": 100}),
    )
    reason = forms.CharField(
        label=_("Reason for the revision"), widget=forms.Textarea(attrs={"rows": 2, "cols": 100})
    )
    participants = ParticipantsField()


class RatingForm(forms.Form):
    value = forms.ChoiceField(
        label=_("Your rating"), choices=CaseRating.Value.choices, widget=forms.RadioSelect
    )


# --- the catalogue and direct maintenance (case maintainers) --------------------------------


def _reason_field(label=None):
    return forms.CharField(
        label=label or _("Reason for the change"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 100}),
        help_text=_("Kept in the case's history with your name."),
    )


class _Grading(forms.Form):
    level = forms.TypedChoiceField(label=_("Level"), choices=LEVEL_CHOICES, coerce=int)
    split = forms.ChoiceField(label=_("Set"), choices=Case.Split.choices)


class MaintainTextForm(_Grading):
    title = forms.CharField(label=_("Title"), max_length=200)
    category = category_field()
    background = forms.CharField(
        label=_("Background"), widget=forms.Textarea(attrs={"rows": 3, "cols": 100})
    )
    tree = TreeTextField(label=_("Dialogue tree"))
    reason = _reason_field()


class MaintainVoiceForm(_Grading):
    title = forms.CharField(label=_("Title"), max_length=200)
    category = category_field()
    audio = forms.FileField(label=_("Recording (MP3, WAV, OGG or M4A)"))
    premise = forms.ChoiceField(label=_("Premise"), choices=Case.Premise.choices)
    emotion_grade = forms.TypedChoiceField(
        label=_("Emotional-problem grade"), choices=LEVEL_CHOICES, coerce=int
    )
    background = forms.CharField(
        label=_("Background"), required=False, widget=forms.Textarea(attrs={"rows": 3, "cols": 100})
    )
    transcript = forms.CharField(
        label=_("Transcript and notes"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8, "cols": 100}),
    )
    reason = _reason_field()


class MaintainTextRevisionForm(MaintainTextForm):
    base_version = forms.IntegerField(widget=forms.HiddenInput)


class MaintainVoiceRevisionForm(MaintainVoiceForm):
    base_version = forms.IntegerField(widget=forms.HiddenInput)
    audio = forms.FileField(label=_("New recording (optional)"), required=False)


class CompetencyTagsForm(forms.Form):
    """The competency items a case tests (the exam blueprint)."""

    competencies = forms.ModelMultipleChoiceField(
        label=_("Competency items this case tests"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        queryset=None,
        help_text=_(
            "Exams share their cases among the items of the candidate's position by its Q-sort "
            "weights; these tags say which items this case counts for."
        ),
    )

    def __init__(self, *args, **kwargs):
        from competency.models import CompetencyItem

        super().__init__(*args, **kwargs)
        self.fields["competencies"].queryset = CompetencyItem.objects.select_related("module")


class RetireForm(forms.Form):
    reason = _reason_field(_("Why retire it"))


class CallSuggestionForm(forms.Form):
    call_ref = forms.CharField(
        label=_("Call reference"),
        max_length=100,
        help_text=_(
            "The call's reference in the call-recording system (never a customer's number)."
        ),
    )
    reason = forms.CharField(
        label=_("Why this call would make a good voice case"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 80}),
    )


class ReflectionForm(forms.Form):
    text = forms.CharField(
        label=_("Your reflection"),
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 80}),
        help_text=_(
            "What you took from this call. A moderator approves it before colleagues see it."
        ),
    )


class CommentaryForm(forms.Form):
    text = forms.CharField(
        label=_("Trainer's commentary"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 8, "cols": 100}),
    )


class CitationsForm(forms.Form):
    """The KB entries a case cites, as entry ids separated by spaces or commas (empty: none)."""

    entries = forms.CharField(
        label=_("Cited knowledge-base entries"),
        required=False,
        max_length=1000,
        help_text=_(
            "Entry ids separated by spaces or commas (the number in the entry's "
            "address). When a cited entry changes, the case is flagged for review."
        ),
    )

    def clean_entries(self) -> list[int]:
        words = self.cleaned_data["entries"].replace("，", ",").replace(",", " ").split()
        if not all(word.isdigit() and len(word) <= 10 for word in words):
            raise forms.ValidationError(_("Use entry ids (whole numbers) only."))
        return sorted({int(word) for word in words})
