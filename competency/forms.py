from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Position
from accounts.staff_ids import StaffIdsInvalid, staff_ids_check, staff_ids_parse
from competency import qsort
from competency.models import CompetencyItem, QSortRound

PILE_CHOICES = [
    (qsort.IMPORTANT, _("Important")),
    (qsort.NEUTRAL, _("Neutral")),
    (qsort.UNIMPORTANT, _("Unimportant")),
]


class QSortRoundCreateForm(forms.Form):
    position = forms.ModelChoiceField(
        label=_("Position"), queryset=Position.objects.select_related("family")
    )
    title = forms.CharField(label=_("Title"), max_length=200, required=False)
    items = forms.ModelMultipleChoiceField(
        label=_("Benchmark items"),
        queryset=CompetencyItem.objects.select_related("module"),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The benchmark draft: every item the raters will sort."),
    )
    important_count = forms.IntegerField(label=_("Important pile size"), min_value=0)
    neutral_count = forms.IntegerField(label=_("Neutral pile size"), min_value=0)
    unimportant_count = forms.IntegerField(label=_("Unimportant pile size"), min_value=0)
    max_score = forms.IntegerField(
        label=_("Maximum column score"),
        min_value=1,
        max_value=6,
        initial=3,
        help_text=_("Scores of the forced distribution run from -k to +k."),
    )
    raters = forms.CharField(
        label=_("Raters"),
        widget=forms.Textarea(attrs={"rows": 3, "cols": 40}),
        help_text=_("Staff IDs of the raters, separated by spaces, commas or new lines."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            all_items = list(self.fields["items"].queryset)
            self.initial.setdefault("items", all_items)
            suggested = qsort.suggest_pile_sizes(len(all_items))
            self.initial.setdefault("important_count", suggested[qsort.IMPORTANT])
            self.initial.setdefault("neutral_count", suggested[qsort.NEUTRAL])
            self.initial.setdefault("unimportant_count", suggested[qsort.UNIMPORTANT])

    def clean_raters(self):
        staff_ids = staff_ids_parse(self.cleaned_data["raters"])
        if not staff_ids:
            raise forms.ValidationError(_("Invite at least one rater."), code="required")
        try:
            users = staff_ids_check(staff_ids, field="raters")
        except StaffIdsInvalid as error:
            raise forms.ValidationError(error.message, code="invalid") from None
        return list(users.values())

    def clean(self):
        data = super().clean()
        counts = [data.get(f) for f in ("important_count", "neutral_count", "unimportant_count")]
        if data.get("items") is not None and None not in counts:
            try:
                qsort.validate_pile_sizes(
                    len(data["items"]),
                    {
                        qsort.IMPORTANT: counts[0],
                        qsort.NEUTRAL: counts[1],
                        qsort.UNIMPORTANT: counts[2],
                    },
                )
            except qsort.SortInvalid as exc:
                for field, messages in exc.errors.items():
                    for message in messages:
                        self.add_error(None if field == "__all__" else field, message)
        return data


class QSortSortForm(forms.Form):
    """One pile choice and one rank per item. The rules themselves live in qsort.validate_sort."""

    def __init__(self, *args, round: QSortRound, items, initial_placements=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.round = round
        self.items = list(items)
        placed = {p["item"]: p for p in (initial_placements or [])}
        for item in self.items:
            prev = placed.get(item.pk, {})
            self.fields[f"pile_{item.pk}"] = forms.ChoiceField(
                label=item.name, choices=[("", "—"), *PILE_CHOICES], initial=prev.get("pile", "")
            )
            self.fields[f"rank_{item.pk}"] = forms.IntegerField(
                label=_("Rank of %(item)s") % {"item": item.name},
                min_value=1,
                max_value=len(self.items),
                initial=prev.get("rank"),
            )

    def rows(self):
        """(item, pile field, rank field) per item, for the template."""
        return [(item, self[f"pile_{item.pk}"], self[f"rank_{item.pk}"]) for item in self.items]

    def placements(self) -> list[qsort.Placement]:
        return [
            qsort.Placement(
                item=item.pk,
                pile=self.cleaned_data[f"pile_{item.pk}"],
                rank=self.cleaned_data[f"rank_{item.pk}"],
            )
            for item in self.items
        ]
