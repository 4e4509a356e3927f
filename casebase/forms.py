from django import forms
from django.utils.translation import gettext_lazy as _

from casebase.models import LEVEL_CHOICES, Case, CaseCategory, CaseRating
from casebase.tree import TreeError, parse_tree_text


class OutstandingField(forms.BooleanField):
    """An approving member's "outstanding" flag: True when ticked, else None (the review
    engine keeps only given values in the vote's extra data)."""

    def __init__(self, **kwargs):
        super().__init__(label=_("Outstanding case (each participant gets the outstanding-case points)"), required=False, **kwargs)

    def clean(self, value):
        return True if super().clean(value) else None


class CaseGradingForm(forms.Form):
    """What an approving committee member decides for a new case (review vote_form)."""

    level = forms.TypedChoiceField(label=_("Level"), choices=LEVEL_CHOICES, coerce=int)
    split = forms.ChoiceField(label=_("Set"), choices=Case.Split.choices)
    points = forms.IntegerField(
        label=_("Points for the proposer"), required=False, min_value=0,
        help_text=_("Within the point rule's range; empty pays the rule's default."),
    )
    outstanding = OutstandingField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:  # shown to the approver: which set each level is short of
            from casebase.selectors import split_shortfall_text

            self.fields["split"].help_text = split_shortfall_text()


class CaseRevisionVoteForm(forms.Form):
    """What an approving committee member may decide for a case revision (review vote_form)."""

    points = forms.IntegerField(
        label=_("Points for the proposer"), required=False, min_value=0,
        help_text=_("Within the point rule's range; empty pays the rule's default."),
    )
    outstanding = OutstandingField()


class ParticipantsField(forms.CharField):
    """Staff IDs of the colleagues who worked on the case with the proposer, split into a
    list; casebase.services.participants_resolve checks them."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Other participants"))
        kwargs.setdefault("required", False)
        kwargs.setdefault("help_text", _("Staff IDs of up to 4 colleagues who worked on the case with you, "
                                         "separated by commas, spaces or new lines."))
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 2, "cols": 40}))
        super().__init__(**kwargs)

    def clean(self, value):
        from casebase.services import staff_ids_split

        return staff_ids_split(super().clean(value))


class CategoryChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return "— " * (obj.depth - 1) + obj.name


def category_field(**kwargs) -> CategoryChoiceField:
    return CategoryChoiceField(label=_("Category"), queryset=CaseCategory.get_tree(), **kwargs)


class TreeTextField(forms.CharField):
    """The structured text format of a case tree, parsed and validated on clean()."""

    widget = forms.Textarea(attrs={"rows": 18, "cols": 100, "class": "tree-text", "spellcheck": "false"})

    def clean(self, value):
        value = super().clean(value)
        try:
            return parse_tree_text(value)
        except TreeError as exc:
            raise forms.ValidationError(exc.messages) from None


class TextCaseForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    category = category_field()
    suggested_level = forms.TypedChoiceField(label=_("Suggested level"), choices=LEVEL_CHOICES, coerce=int)
    background = forms.CharField(label=_("Background"), widget=forms.Textarea(attrs={"rows": 3, "cols": 100}))
    tree = TreeTextField(label=_("Dialogue tree"))
    reason = forms.CharField(label=_("Why this case is worth learning"), widget=forms.Textarea(attrs={"rows": 2, "cols": 100}))
    participants = ParticipantsField()


class VoiceCaseForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    category = category_field()
    suggested_level = forms.TypedChoiceField(label=_("Suggested level"), choices=LEVEL_CHOICES, coerce=int)
    audio = forms.FileField(label=_("Recording (MP3, WAV, OGG or M4A)"))
    premise = forms.ChoiceField(label=_("Premise"), choices=Case.Premise.choices)
    emotion_grade = forms.TypedChoiceField(label=_("Emotional-problem grade"), choices=LEVEL_CHOICES, coerce=int)
    background = forms.CharField(label=_("Background"), required=False, widget=forms.Textarea(attrs={"rows": 3, "cols": 100}))
    transcript = forms.CharField(label=_("Transcript and notes"), required=False,
                                 widget=forms.Textarea(attrs={"rows": 8, "cols": 100}))
    reason = forms.CharField(label=_("Why this case is worth learning"), widget=forms.Textarea(attrs={"rows": 2, "cols": 100}))
    participants = ParticipantsField()


class TextRevisionForm(forms.Form):
    base_version = forms.IntegerField(widget=forms.HiddenInput)
    title = forms.CharField(label=_("Title"), max_length=200)
    category = category_field()
    background = forms.CharField(label=_("Background"), widget=forms.Textarea(attrs={"rows": 3, "cols": 100}))
    tree = TreeTextField(label=_("Dialogue tree"))
    reason = forms.CharField(label=_("Reason for the revision"), widget=forms.Textarea(attrs={"rows": 2, "cols": 100}))
    participants = ParticipantsField()


class VoiceRevisionForm(forms.Form):
    base_version = forms.IntegerField(widget=forms.HiddenInput)
    title = forms.CharField(label=_("Title"), max_length=200)
    category = category_field()
    audio = forms.FileField(label=_("New recording (optional)"), required=False)
    premise = forms.ChoiceField(label=_("Premise"), choices=Case.Premise.choices)
    emotion_grade = forms.TypedChoiceField(label=_("Emotional-problem grade"), choices=LEVEL_CHOICES, coerce=int)
    background = forms.CharField(label=_("Background"), required=False, widget=forms.Textarea(attrs={"rows": 3, "cols": 100}))
    transcript = forms.CharField(label=_("Transcript and notes"), required=False,
                                 widget=forms.Textarea(attrs={"rows": 8, "cols": 100}))
    reason = forms.CharField(label=_("Reason for the revision"), widget=forms.Textarea(attrs={"rows": 2, "cols": 100}))
    participants = ParticipantsField()


class RatingForm(forms.Form):
    value = forms.ChoiceField(label=_("Your rating"), choices=CaseRating.Value.choices, widget=forms.RadioSelect)


class StudyFilterForm(forms.Form):
    level = forms.TypedChoiceField(label=_("Level"), choices=LEVEL_CHOICES, coerce=int, required=False)
    category = category_field(required=False)
