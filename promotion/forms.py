from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from accounts.levels import CASE_LEVELS, level_choices
from accounts.models import Centre, Team
from config.validators import filter_date
from config.widgets import IsoDateInput
from promotion.models import Medal
from promotion.rosters import Event, RosterFilters

EVENT_CHOICES = [
    (Event.PROMOTED, _("Promoted")),
    (Event.DEMOTED, _("Demoted")),
    (Event.DUE_RETEST, _("Due for re-test")),
    (Event.CURRENT_LEVEL, _("Current level")),
]


class StaffIdField(forms.CharField):
    """A staff ID that must belong to an active employee; cleans to the User."""

    def clean(self, value):
        value = (super().clean(value) or "").strip().upper()
        user = get_user_model().objects.filter(staff_id=value, is_active=True).first()
        if user is None:
            raise forms.ValidationError(_("Unknown staff ID: %(id)s.") % {"id": value})
        return user


class MentorshipForm(forms.Form):
    mentor = StaffIdField(label=_("Mentor's staff ID"), max_length=20)
    apprentice = StaffIdField(label=_("Apprentice's staff ID"), max_length=20)


class PromoteForm(forms.Form):
    employee = StaffIdField(label=_("Staff ID"), max_length=20)


class MedalAwardForm(forms.Form):
    medal = forms.ModelChoiceField(label=_("Medal"), queryset=Medal.objects.all())
    employee = StaffIdField(label=_("Staff ID"), max_length=20)
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))


class RosterFilterForm(forms.Form):
    event = forms.ChoiceField(label=_("Event"), choices=EVENT_CHOICES, required=False)
    centre = forms.ModelChoiceField(
        label=_("Centre"),
        queryset=Centre.objects.all(),
        required=False,
        empty_label=_("All centres"),
    )
    team = forms.ModelChoiceField(
        label=_("Team"),
        queryset=Team.objects.select_related("centre"),
        required=False,
        empty_label=_("All teams"),
    )
    date_from = forms.DateField(
        label=_("From"), required=False, widget=IsoDateInput(), validators=[filter_date]
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=IsoDateInput(), validators=[filter_date]
    )
    level = forms.TypedChoiceField(
        label=_("Level"),
        coerce=int,
        required=False,
        empty_value=None,
        choices=[("", _("All levels"))] + level_choices(),
    )

    def filters(self) -> RosterFilters:
        """The cleaned filters (call after is_valid(); the promoted roster by default)."""
        data = self.cleaned_data
        return RosterFilters(
            event=data.get("event") or Event.PROMOTED,
            centre_id=data["centre"].pk if data.get("centre") else None,
            team_id=data["team"].pk if data.get("team") else None,
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            level=data.get("level"),
        )


class ExamAttemptFilterForm(forms.Form):
    staff_id = forms.CharField(label=_("Staff ID"), max_length=20, required=False)
    level = forms.TypedChoiceField(
        label=_("Level"),
        coerce=int,
        required=False,
        empty_value=None,
        choices=[("", _("All levels"))] + [(n, str(n)) for n in CASE_LEVELS],
    )


class ItemStatsFilterForm(forms.Form):
    """Filters of the item statistics page and API (bad values: a field error, never a 500)."""

    level = forms.TypedChoiceField(
        label=_("Level"),
        coerce=int,
        required=False,
        empty_value=None,
        choices=[("", _("All levels"))] + [(n, str(n)) for n in CASE_LEVELS],
    )
    by = forms.ChoiceField(
        label=_("Rows"),
        required=False,
        choices=[("case", _("per test case")), ("question", _("per question"))],
    )
    flagged = forms.BooleanField(label=_("Flagged only"), required=False)
    sort = forms.ChoiceField(
        label=_("Sort by"),
        required=False,
        choices=[
            ("flags", _("flags")),
            ("level", _("level")),
            ("difficulty", _("difficulty")),
            ("discrimination", _("discrimination")),
            ("exposure", _("exposure")),
            ("responses", _("answers")),
        ],
    )

    def filters(self) -> dict:
        data = self.cleaned_data
        return {
            "level": data.get("level"),
            "by": data.get("by") or "case",
            "flagged_only": bool(data.get("flagged")),
            "sort": data.get("sort") or "flags",
        }


class ItemMoveForm(forms.Form):
    action = forms.ChoiceField(
        choices=[(a, a) for a in ("level_down", "level_up", "training", "retire")]
    )


class WorkforceFilterForm(forms.Form):
    """The workforce page's scope: a centre or a team (checked against the viewer's scope by
    promotion.forecast.narrow)."""

    centre = forms.ModelChoiceField(
        label=_("Centre"),
        queryset=Centre.objects.all(),
        required=False,
        empty_label=_("All centres"),
    )
    team = forms.ModelChoiceField(
        label=_("Team"),
        queryset=Team.objects.select_related("centre"),
        required=False,
        empty_label=_("All teams"),
    )


class BlueprintFilterForm(forms.Form):
    """Which position's exam blueprint to show (default: the first with weights)."""

    position = forms.ModelChoiceField(label=_("Position"), queryset=None, required=False)

    def __init__(self, *args, **kwargs):
        from accounts.models import Position

        super().__init__(*args, **kwargs)
        self.fields["position"].queryset = Position.objects.select_related("family")

    def chosen_position(self):
        """The chosen position, else the first position with competency weights, else None."""
        from accounts.models import Position

        chosen = self.cleaned_data.get("position") if self.is_valid() else None
        return (
            chosen
            or Position.objects.filter(competencies__weight__gt=0)
            .distinct()
            .order_by("family__code", "code")
            .first()
        )
