"""The ladder's bounds have one home (accounts.levels): every field, form and check that
names a level reads them there, so the ladder cannot be 0–5 in one place and 0–4 in another."""

import pytest
from django.core.exceptions import ValidationError

from accounts import levels
from accounts.filters import EmployeeFilter


def test_the_ladder_runs_from_0_to_5():
    assert list(levels.LEVELS) == [0, 1, 2, 3, 4, 5]
    assert list(levels.CASE_LEVELS) == [1, 2, 3, 4, 5]


@pytest.mark.parametrize("value, ok", [(-1, False), (0, True), (5, True), (6, False)])
def test_every_level_field_accepts_exactly_the_ladder(value, ok):
    from accounts.models import User
    from promotion.models import Level, LevelRequirement
    from review.models import ReviewSettings

    fields = [
        Level._meta.get_field("number"),
        LevelRequirement._meta.get_field("apprentice_from_level"),
        User._meta.get_field("level"),
        ReviewSettings._meta.get_field("applicant_min_level"),
    ]
    for field in fields:
        if ok:
            field.run_validators(value)
        else:
            with pytest.raises(ValidationError):
                field.run_validators(value)


def test_level_choices_everywhere_are_the_ladder():
    from accounts.models import User
    from casebase.models import LEVEL_CHOICES
    from promotion.forms import RosterFilterForm

    assert [n for n, _ in LEVEL_CHOICES] == [1, 2, 3, 4, 5]
    for form in (RosterFilterForm(), EmployeeFilter(queryset=User.objects.none()).form):
        assert [int(n) for n, _ in form.fields["level"].choices if n != ""] == [0, 1, 2, 3, 4, 5]
