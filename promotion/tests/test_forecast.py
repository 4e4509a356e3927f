"""Promotion forecast and workforce view: pace → date, bottleneck choice, the retention risk
window, remedial plans, scopes, pages, API and query counts, on small hand-made data."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import TeamFactory, UserFactory
from casebase.models import Case, CaseStudy
from casebase.services.study import case_mark_studied
from casebase.tests.factories import CaseFactory
from curriculum.tests.factories import (
    BehaviourRatingFactory,
    CompetencyItemFactory,
    CourseFactory,
    PositionCompetencyFactory,
    PositionFactory,
)
from promotion import forecast, rosters, selectors
from promotion.forecast import Pace, Scope, estimate
from promotion.models import PromotionEvent, PromotionSettings, RetentionPeriod
from promotion.selectors import ChecklistItem
from promotion.tests.factories import earn_points, make_training_cases, sit_query_test

NOW = dt.datetime(2026, 6, 15, 4, 0, tzinfo=dt.UTC)  # 12:00 in Shanghai
TODAY = dt.date(2026, 6, 15)


def item(code, done, needed, met=False):
    keys = forecast.NUMERIC.get(code, ("done", "needed"))
    return ChecklistItem(code, met, code, "", {keys[0]: done, keys[1]: needed})


# --- the rule, without the database ----------------------------------------------------------


def test_pace_gives_the_date_of_the_slowest_requirement():
    # given: 400 of 800 points at 50 a week (8 weeks), 2 of 10 cases at 4 a week (2 weeks)
    items = [item("points", 400, 800), item("training_cases", 2, 10), item("exam", 0, 0)]
    pace = Pace(days=90, points=Decimal("50"), training_cases=Decimal("4"))
    # when
    bottleneck, when, weeks = estimate(items, pace, TODAY)
    # then
    assert bottleneck.code == "points"
    assert when == TODAY + dt.timedelta(days=56)
    assert weeks == {"points": Decimal("8.0"), "training_cases": Decimal("2.0")}


def test_days_round_up():
    # 100 points at 30 a week: 3.33 weeks = 23.3 days → 24 days
    bottleneck, when, _weeks = estimate(
        [item("points", 700, 800)], Pace(days=90, points=Decimal("30")), TODAY
    )
    assert when == TODAY + dt.timedelta(days=24)


def test_no_progress_means_not_at_this_pace_and_is_the_bottleneck():
    items = [item("points", 100, 800), item("training_cases", 0, 10)]
    bottleneck, when, weeks = estimate(items, Pace(days=90, points=Decimal("10")), TODAY)
    assert when is None
    assert bottleneck.code == "training_cases"
    assert weeks["training_cases"] is None


def test_exam_is_the_bottleneck_only_when_the_counts_are_met():
    items = [
        item("points", 800, 800, met=True),
        item("training_cases", 10, 10, met=True),
        item("exam", 0, 0),
        item("query_time", 0, 0),
    ]
    bottleneck, when, _weeks = estimate(items, Pace(days=90), TODAY)
    assert bottleneck.code == "exam" and when == TODAY


def test_everything_met_has_no_bottleneck():
    bottleneck, when, _weeks = estimate([item("points", 900, 800, met=True)], Pace(days=90), TODAY)
    assert bottleneck is None and when == TODAY


def test_equal_waits_pick_the_first_in_checklist_order():
    items = [item("points", 700, 800), item("training_cases", 8, 10)]
    bottleneck, _when, _weeks = estimate(
        items, Pace(days=90, points=Decimal("50"), training_cases=Decimal("1")), TODAY
    )
    assert bottleneck.code == "points"


# --- on the database ----------------------------------------------------------------------------


@pytest.fixture
def level_one_csr(db):
    """Level 0, next level 1 (800 points, all level-1 training cases): 10 training cases, 2
    studied 10 days ago, 360 points earned 30 days ago, nothing else."""
    make_training_cases(1, count=10)
    employee = UserFactory(roles=["CSR"], staff_id="F001")
    with time_machine.travel(NOW - dt.timedelta(days=30), tick=False):
        earn_points(employee, 360, "pace")
    with time_machine.travel(NOW - dt.timedelta(days=10), tick=False):
        for case in selectors.Case.objects.training().filter(level=1)[:2]:
            case_mark_studied(employee=employee, case_id=case.pk)
    return employee


@pytest.mark.django_db
def test_forecast_from_the_last_90_days(level_one_csr):
    # when
    with time_machine.travel(NOW, tick=False):
        result = forecast.forecast_of(level_one_csr, now=NOW)
    # then: 360 points in 90 days = 28/week; 2 cases in 90 days = 0.16/week (rounded)
    assert result.pace.points == Decimal("28.00")
    assert result.pace.training_cases == Decimal("0.16")
    # points: 440 left / 28 = 15.7 weeks (110 days); cases: 8 left / 0.16 = 50 weeks (350 days)
    assert result.weeks == {"points": Decimal("15.7"), "training_cases": Decimal("50.0")}
    assert result.bottleneck.code == "training_cases"
    assert result.estimated_on == TODAY + dt.timedelta(days=350)


@pytest.mark.django_db
def test_old_work_is_outside_the_pace_window(level_one_csr):
    # 120 days later nothing happened in the last 90 days: no pace, no date
    later = NOW + dt.timedelta(days=120)
    with time_machine.travel(later, tick=False):
        result = forecast.forecast_of(level_one_csr, now=later)
    assert result.pace.points == 0 and result.estimated_on is None


@pytest.mark.django_db
def test_a_shorter_pace_window_is_a_setting(level_one_csr):
    PromotionSettings.objects.filter(pk=1).update(pace_days=14)
    with time_machine.travel(NOW, tick=False):
        result = forecast.forecast_of(level_one_csr, now=NOW)
    # the points (30 days ago) fall outside 14 days; the studies (10 days ago) do not: 2×7/14 =
    # 1/week
    assert result.pace.points == 0 and result.pace.training_cases == Decimal("1.00")
    assert result.bottleneck.code == "points" and result.estimated_on is None


@pytest.mark.django_db
def test_bulk_checklists_equal_the_one_employee_checklist(level_one_csr):
    # given: employees in different states
    other = UserFactory(roles=["CSR"], level=2)
    earn_points(other, 120, "x")
    top = UserFactory(roles=["CSR"], level=5)
    people = [level_one_csr, other, top]
    # when
    bulk = selectors.promotion_checklists(people)
    # then
    for person in people:
        single = selectors.promotion_checklist(person)
        assert [(i.code, i.met, i.detail, i.evidence) for i in bulk[person.pk]] == [
            (i.code, i.met, i.detail, i.evidence) for i in single
        ]
    assert bulk[top.pk] == []


@pytest.mark.django_db
def test_forecast_queries_do_not_grow_with_the_number_of_employees(level_one_csr):
    few = [level_one_csr] + UserFactory.create_batch(2, roles=["CSR"])
    many = few + UserFactory.create_batch(8, roles=["CSR"], level=1)
    forecast.forecasts(few, now=NOW)  # settings rows into the cache
    with CaptureQueriesContext(connection) as small:
        forecast.forecasts(few, now=NOW)
    with CaptureQueriesContext(connection) as large:
        forecast.forecasts(many, now=NOW)
    assert len(large) == len(small) <= 12


# --- retention risk and plans -------------------------------------------------------------------


def _period(employee, *, due_in_days, level=2, points_task=200, now=NOW):
    promotion = PromotionEvent.objects.create(
        employee=employee,
        kind="promoted",
        from_level=level - 1,
        to_level=level,
        at=now - dt.timedelta(days=340),
        backfilled=True,
    )
    due = now + dt.timedelta(days=due_in_days)
    return RetentionPeriod.objects.create(
        employee=employee,
        promotion=promotion,
        level=level,
        starts_at=promotion.at,
        retest_opens_at=due - dt.timedelta(days=30),
        due_at=due,
        points_task=points_task,
        remind_at=due - dt.timedelta(days=14),
        status=RetentionPeriod.Status.RETEST_OPEN,
    )


@pytest.mark.django_db
@pytest.mark.parametrize(("due_in", "at_risk"), [(29, True), (30, False), (31, False)])
def test_risk_window_is_fewer_than_n_days_left(due_in, at_risk):
    employee = UserFactory(roles=["CSR"], level=2)
    _period(employee, due_in_days=due_in)
    rows = forecast.retention_risks(Scope(everyone=True), now=NOW)
    assert bool(rows) is at_risk


@pytest.mark.django_db
def test_nothing_missing_is_no_risk():
    employee = UserFactory(roles=["CSR"], level=2)
    period = _period(employee, due_in_days=10)
    with time_machine.travel(period.starts_at + dt.timedelta(days=1), tick=False):
        earn_points(employee, 200, "kept")
    sit_query_test(employee, total_seconds=110, start=NOW - dt.timedelta(days=2))
    assert forecast.retention_risks(Scope(everyone=True), now=NOW) == []


@pytest.mark.django_db
def test_risk_names_what_is_missing_and_plans_cases_and_courses():
    # given: a level-2 period due in 10 days, 50 of 200 points, no query-time result;
    # 5 level-2 training cases of which 2 studied; an empathy gap with one course
    position = PositionFactory()
    empathy = CompetencyItemFactory(code="empathy", name="共情")
    PositionCompetencyFactory(
        position=position, item=empathy, weight=Decimal("0.5"), target_score=5
    )
    employee = UserFactory(roles=["CSR"], level=2, position=position)
    leader = UserFactory(roles=["Team leader", "CSR"], centre=employee.centre, team=employee.team)
    BehaviourRatingFactory(employee=employee, rater=leader, item=empathy, score=2)
    course = CourseFactory(code="EMP", title="共情沟通", items=[empathy])
    cases = make_training_cases(2, count=5)
    for case in cases[:2]:
        case_mark_studied(employee=employee, case_id=case.pk)
    period = _period(employee, due_in_days=10)
    with time_machine.travel(period.starts_at + dt.timedelta(days=1), tick=False):
        earn_points(employee, 50, "some")
    # when
    [row] = forecast.retention_risks(Scope(team_id=employee.team_id), now=NOW)
    # then
    assert row.days_left == 10
    assert row.missing == ["points 50 / 200", "query-time result"]
    assert row.plan.cases_left == 3 and row.plan.courses == [course]
    assert row.plan.text() == "study 3 level-2 training cases not studied yet; courses: 共情沟通"


@pytest.mark.django_db
def test_risks_of_another_team_are_not_in_scope():
    employee = UserFactory(roles=["CSR"], level=2)
    _period(employee, due_in_days=5)
    assert forecast.retention_risks(Scope(team_id=TeamFactory().pk), now=NOW) == []


@pytest.mark.django_db
def test_due_retest_roster_carries_the_plan_with_bounded_queries():
    # given: three employees due for re-test within the month, with different studies
    make_training_cases(2, count=4)
    people = UserFactory.create_batch(3, roles=["CSR"], level=2)
    for n, person in enumerate(people):
        _period(person, due_in_days=10 + n)
    filters = rosters.RosterFilters(event=rosters.Event.DUE_RETEST)
    # when
    with CaptureQueriesContext(connection) as queries:
        rows = list(rosters.roster_rows(filters))
    # then
    assert [row[-1] for row in rows] == ["study 4 level-2 training cases not studied yet"] * 3
    assert "Remedial plan" in rosters.roster_headers(rosters.Event.DUE_RETEST)
    more = UserFactory.create_batch(5, roles=["CSR"], level=2)
    for n, person in enumerate(more):
        _period(person, due_in_days=20 + n)
    with CaptureQueriesContext(connection) as again:
        assert len(list(rosters.roster_rows(filters))) == 8
    assert len(again) == len(queries)


@pytest.mark.django_db
def test_the_roster_plans_count_each_rows_own_level_and_equal_the_plans_read_per_employee():
    # given: four level-2 training cases; beside them a level-3 training case, a level-2 test
    # case and a level-2 case moved to the history library, which never count for a level-2 plan
    level_two = make_training_cases(2, count=4)
    [level_three] = make_training_cases(3, count=1)
    test_case = CaseFactory(level=2, split="test")
    history = CaseFactory(level=2, split="training")
    Case.objects.filter(pk=history.pk).update(status=Case.Status.HISTORY)
    position = PositionFactory()
    empathy = CompetencyItemFactory(code="empathy", name="共情")
    listening = CompetencyItemFactory(code="listening", name="倾听")
    for it in (empathy, listening):
        PositionCompetencyFactory(position=position, item=it, weight=Decimal("0.5"), target_score=5)
    CourseFactory(code="EMP", title="共情沟通", items=[empathy])
    CourseFactory(code="LIS", title="积极倾听", items=[listening])
    rater = UserFactory(roles=["Team leader", "CSR"])
    first, second, third, fourth, fifth = UserFactory.create_batch(5, roles=["CSR"], level=2)
    for person, gap_item in ((first, empathy), (third, listening), (fourth, listening)):
        person.position = position
        person.save(update_fields=["position"])
        BehaviourRatingFactory(employee=person, rater=rater, item=gap_item, score=1)
    studied = {
        first: [*level_two[:2], level_three, test_case],  # two count
        third: [level_two[0], history],  # one counts
        fourth: level_two[2:],  # two count, as for the first, with another course
    }
    for person, cases in studied.items():
        for case in cases:
            CaseStudy.objects.create(employee=person, case=case)
    everyone = (first, second, third, fourth, fifth)
    for n, person in enumerate(everyone):
        _period(person, due_in_days=10 + n)
    # when
    rows = list(rosters.roster_rows(rosters.RosterFilters(event=rosters.Event.DUE_RETEST)))
    # then: known answers — equal numbers of cases left with other courses are other plans
    assert [row[-1] for row in rows] == [
        "study 2 level-2 training cases not studied yet; courses: 共情沟通",
        "study 4 level-2 training cases not studied yet",
        "study 3 level-2 training cases not studied yet; courses: 积极倾听",
        "study 2 level-2 training cases not studied yet; courses: 积极倾听",
        "study 4 level-2 training cases not studied yet",
    ]
    # and the same as the plans read per employee (the forecast page's way)
    plans = forecast.remedial_plans([(p, 2) for p in everyone])
    assert [row[-1] for row in rows] == [plans[(p.pk, 2)].text() for p in everyone]


# --- team and centre numbers ------------------------------------------------------------------


@pytest.mark.django_db
def test_level_distribution_and_moves_per_month():
    # given: one team; A promoted 0→1 in May; B promoted 1→2 in April and demoted 2→1 in
    # June; C hired in May at level 0
    team = TeamFactory()
    a = UserFactory(
        roles=["CSR"], team=team, centre=team.centre, level=1, hire_date=dt.date(2025, 1, 1)
    )
    b = UserFactory(roles=["CSR"], team=team, centre=team.centre, level=1)
    UserFactory(
        roles=["CSR"], team=team, centre=team.centre, level=0, hire_date=dt.date(2026, 5, 20)
    )
    at = lambda y, m, d: timezone.make_aware(dt.datetime(y, m, d, 10))  # noqa: E731
    PromotionEvent.objects.create(
        employee=a, kind="promoted", from_level=0, to_level=1, at=at(2026, 5, 3)
    )
    PromotionEvent.objects.create(
        employee=b, kind="promoted", from_level=1, to_level=2, at=at(2026, 4, 3)
    )
    PromotionEvent.objects.create(
        employee=b, kind="demoted", from_level=2, to_level=1, at=at(2026, 6, 3)
    )
    scope = Scope(team_id=team.pk)
    # when
    levels = {m.month: m.counts for m in forecast.level_distribution(scope, months=4, now=NOW)}
    moves = {
        m.month: (m.promoted, m.demoted) for m in forecast.monthly_moves(scope, months=4, now=NOW)
    }
    # then
    assert levels == {
        dt.date(2026, 3, 1): [1, 1, 0, 0, 0, 0],
        dt.date(2026, 4, 1): [1, 0, 1, 0, 0, 0],
        dt.date(2026, 5, 1): [1, 1, 1, 0, 0, 0],
        dt.date(2026, 6, 1): [1, 2, 0, 0, 0, 0],
    }
    assert moves == {
        dt.date(2026, 3, 1): (0, 0),
        dt.date(2026, 4, 1): (1, 0),
        dt.date(2026, 5, 1): (1, 0),
        dt.date(2026, 6, 1): (0, 1),
    }


@pytest.mark.django_db
def test_retests_due_within_the_horizon():
    employee = UserFactory(roles=["CSR"], level=2)
    soon = _period(employee, due_in_days=40)  # window opens in 10 days
    later = UserFactory(roles=["CSR"], level=2)
    _period(later, due_in_days=120)  # window opens in 90 days
    assert list(forecast.retests_due(Scope(everyone=True), now=NOW)) == [soon]


# --- scopes, pages and API --------------------------------------------------------------------


@pytest.mark.django_db
def test_scopes_per_role(hr, ops_manager, team_leader, csr):
    assert forecast.workforce_scope(hr) == Scope(everyone=True)
    assert forecast.workforce_scope(ops_manager) == Scope(centre_id=ops_manager.centre_id)
    assert forecast.workforce_scope(team_leader) == Scope(team_id=team_leader.team_id)
    assert forecast.workforce_scope(csr) is None


@pytest.mark.django_db
def test_team_leader_cannot_ask_for_another_team(team_leader):
    scope = forecast.workforce_scope(team_leader)
    assert forecast.narrow(scope, team_id=TeamFactory().pk) is None
    assert forecast.narrow(scope, team_id=team_leader.team_id) == Scope(team_id=team_leader.team_id)


@pytest.mark.django_db
def test_workforce_page_per_role(client, hr, team_leader, csr):
    employee = UserFactory(roles=["CSR"], level=2, team=team_leader.team, centre=team_leader.centre)
    _period(employee, due_in_days=5, now=timezone.now())
    client.force_login(hr)
    page = client.get(reverse("promotion:workforce"))
    assert (
        page.status_code == 200
        and b"<svg" in page.content
        and employee.staff_id.encode() in page.content
    )
    client.force_login(team_leader)
    assert client.get(reverse("promotion:workforce")).status_code == 200
    assert client.get(reverse("promotion:workforce"), {"team": TeamFactory().pk}).status_code == 403
    assert client.get(reverse("promotion:workforce"), {"team": "x"}).status_code == 400
    client.force_login(csr)
    assert client.get(reverse("promotion:workforce")).status_code == 403
    assert client.post(reverse("promotion:workforce")).status_code in (403, 405)


@pytest.mark.django_db
def test_workforce_page_queries_are_bounded(client, hr):
    team = TeamFactory()
    _period(
        UserFactory(roles=["CSR"], level=2, team=team, centre=team.centre),
        due_in_days=2,
        now=timezone.now(),
    )
    client.force_login(hr)
    client.get(reverse("promotion:workforce"))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("promotion:workforce"))
    for n in range(6):
        person = UserFactory(roles=["CSR"], level=2, team=team, centre=team.centre)
        _period(person, due_in_days=3 + n, now=timezone.now())
    client.get(
        reverse("promotion:workforce")
    )  # the permission cache, renewed after the new accounts
    with CaptureQueriesContext(connection) as many:
        page = client.get(reverse("promotion:workforce"))
    assert len(page.context["numbers"].risks) == 7
    assert len(many) == len(few)


@pytest.mark.django_db
def test_my_level_shows_my_forecast(client, level_one_csr):
    client.force_login(level_one_csr)
    page = client.get(reverse("promotion:my_level"))
    assert page.status_code == 200
    assert page.context["forecast"].bottleneck is not None


@pytest.mark.django_db
def test_api_forecast_me_and_workforce(api, level_one_csr, hr, csr):
    api.force_authenticate(level_one_csr)
    body = api.get(reverse("api-promotion-forecast-me")).json()
    assert body["next_level"] == 1 and body["bottleneck"] in ("points", "training_cases")
    api.force_authenticate(csr)
    assert api.get(reverse("api-promotion-workforce")).status_code == 403
    api.force_authenticate(hr)
    body = api.get(reverse("api-promotion-workforce")).json()
    assert body["headcount"] >= 2 and len(body["levels"]) == forecast.MONTHS
    assert api.get(reverse("api-promotion-workforce"), {"team": "x"}).status_code == 400
    assert api.post(reverse("api-promotion-workforce")).status_code == 405


def test_checklist_progress_with_known_answers():
    from promotion.charts import checklist_progress
    from promotion.selectors import ChecklistItem

    items = [
        ChecklistItem("points", False, "Points", "360 / 800", {"points": 360, "needed": 800}),
        ChecklistItem("training_cases", False, "Cases", "2 / 10", {"studied": 2, "needed": 10}),
        ChecklistItem("apprentices", True, "Apprentices", "3 / 3", {"apprentices": 3, "needed": 3}),
        ChecklistItem("exam", False, "Exam", "not passed"),
        ChecklistItem("query_time", True, "Query time", "level 2"),
        ChecklistItem("points", False, "Over", "9 / 0", {"points": 9, "needed": 0}),
    ]
    assert [share for _item, share in checklist_progress(items)] == [0.45, 0.2, 1.0, 0.0, 1.0, 1.0]


@pytest.mark.django_db
def test_my_level_draws_the_progress_chart_with_the_bottleneck_outlined(client, level_one_csr):
    client.force_login(level_one_csr)
    with time_machine.travel(NOW, tick=False):
        page = client.get(reverse("promotion:my_level"), HTTP_ACCEPT_LANGUAGE="en")
    chart = page.context["forecast_chart"]
    bars = [s for s in chart.shapes if s["kind"] == "rect" and "bar" in s["cls"].split()]
    # points 360 / 800 = 45 % and training cases 2 / 10 = 20 % of the 260-pixel track
    assert [(s["cls"], s["width"]) for s in bars][:2] == [("bar", 117.0), ("bar flagged", 52.0)]
    html = page.content.decode()
    assert 'id="forecast-chart"' in html and "<rect" in html
