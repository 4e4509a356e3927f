import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

import pytest
import time_machine
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st
from rest_framework.test import APIClient

from accounts.tests.factories import UserFactory
from curriculum import gaps, services
from curriculum.gaps import gap_rows
from curriculum.models import BehaviourRating, ImprovementPlanItem
from curriculum.tests.factories import (
    BehaviourRatingFactory,
    CompetencyItemFactory,
    CourseFactory,
    EnrolmentFactory,
    PositionCompetencyFactory,
    PositionFactory,
)

D = dt.date


def pc(code, weight, target=4):
    item = SimpleNamespace(code=code, pk=code, name=code)
    return SimpleNamespace(item=item, item_id=code, weight=Decimal(weight), target_score=target)


def rating(code, phase, score, day, pk=1):
    return SimpleNamespace(
        item_id=code,
        phase=phase,
        score=score,
        observed_on=day,
        created_at=dt.datetime(2026, 1, 1),
        pk=pk,
    )


# --- pure calculation ------------------------------------------------------------------------


def test_gap_rows_weight_the_gap_and_sort_largest_first():
    rows = gap_rows(
        [pc("a", "0.10"), pc("b", "0.40"), pc("c", "0.20", target=5)],
        [
            rating("a", "before", 1, D(2026, 1, 1)),
            rating("b", "before", 3, D(2026, 1, 1)),
            rating("c", "before", 2, D(2026, 1, 1)),
        ],
    )
    assert [(r.item.code, r.gap, r.weighted_gap) for r in rows] == [
        ("c", 3, Decimal("0.6000")),
        ("b", 1, Decimal("0.4000")),
        ("a", 3, Decimal("0.3000")),
    ]


def test_before_after_improvement_and_gap_from_the_latest_rating():
    rows = gap_rows(
        [pc("a", "0.5")],
        [
            rating("a", "before", 2, D(2026, 1, 1), 1),
            rating("a", "after", 4, D(2026, 3, 1), 2),
            rating("a", "before", 1, D(2025, 6, 1), 3),
        ],
    )
    row = rows[0]
    assert (row.before, row.after, row.improvement, row.latest, row.gap) == (2, 4, 2, 4, 0)


def test_a_newer_before_rating_for_the_next_training_becomes_the_latest():
    rows = gap_rows(
        [pc("a", "0.5")],
        [rating("a", "after", 4, D(2026, 3, 1)), rating("a", "before", 3, D(2026, 5, 1))],
    )
    assert rows[0].latest == 3 and rows[0].gap == 1 and rows[0].improvement == 1


def test_missing_ratings_give_no_gap_and_sort_last():
    rows = gap_rows(
        [pc("unrated", "0.9"), pc("rated", "0.1")], [rating("rated", "before", 3, D(2026, 1, 1))]
    )
    assert [r.item.code for r in rows] == ["rated", "unrated"]
    unrated = rows[1]
    assert (
        unrated.before,
        unrated.after,
        unrated.latest,
        unrated.gap,
        unrated.weighted_gap,
        unrated.improvement,
    ) == (None, None, None, None, None, None)


def test_only_before_rating_has_no_improvement():
    row = gap_rows([pc("a", "0.3")], [rating("a", "before", 2, D(2026, 1, 1))])[0]
    assert row.improvement is None and row.gap == 2


@pytest.mark.parametrize("score, target, gap", [(5, 4, 0), (4, 4, 0), (3, 4, 1), (1, 5, 4)])
def test_gap_is_never_negative(score, target, gap):
    row = gap_rows([pc("a", "0.25", target)], [rating("a", "after", score, D(2026, 1, 1))])[0]
    assert row.gap == gap
    assert row.weighted_gap == Decimal("0.25") * gap


@given(
    weight=st.decimals(min_value=0, max_value=1, places=5),
    target=st.integers(1, 5),
    score=st.integers(1, 5),
)
def test_weighted_gap_stays_within_weight_times_four(weight, target, score):
    row = gap_rows([pc("a", weight, target)], [rating("a", "before", score, D(2026, 1, 1))])[0]
    assert 0 <= row.gap <= 4
    assert (
        Decimal(0)
        <= row.weighted_gap
        <= (weight * 4).quantize(Decimal("0.0001")) + Decimal("0.0001")
    )


@pytest.mark.parametrize("reverse", [False, True])
def test_the_latest_of_each_phase_counts_in_whatever_order_the_ratings_come(reverse):
    # Ratings come from the database in no particular order (a roster reads thousands).
    ratings = [
        rating("a", "before", 2, D(2025, 1, 1), 1),
        rating("a", "before", 3, D(2025, 6, 1), 2),
        rating("a", "after", 5, D(2025, 9, 1), 3),
        rating("a", "after", 4, D(2026, 2, 1), 4),
        rating("a", "before", 1, D(2026, 1, 1), 5),
    ]
    row = gap_rows([pc("a", "0.5")], ratings[::-1] if reverse else ratings)[0]
    assert (row.before, row.after, row.latest) == (1, 4, 4)


def test_same_day_ratings_are_ordered_by_when_they_were_written_then_by_row():
    later = SimpleNamespace(**{**vars(rating("a", "before", 2, D(2026, 1, 1), 1))})
    later.created_at = dt.datetime(2026, 1, 2)
    rows = gap_rows([pc("a", "0.5")], [later, rating("a", "before", 4, D(2026, 1, 1), 9)])
    assert rows[0].before == 2  # written a day later, despite the smaller row number
    rows = gap_rows(
        [pc("a", "0.5")],
        [rating("a", "before", 4, D(2026, 1, 1), 9), rating("a", "before", 3, D(2026, 1, 1), 2)],
    )
    assert rows[0].before == 4  # same day and moment: the later row


def test_equal_weighted_gaps_put_the_heavier_item_first_then_the_code():
    rows = gap_rows(
        [pc("b", "0.2"), pc("a", "0.4"), pc("d", "0.4"), pc("c", "0.4")],
        [
            rating("b", "before", 2, D(2026, 1, 1)),  # 0.2 × 2 = 0.4
            rating("a", "before", 3, D(2026, 1, 1)),  # 0.4 × 1 = 0.4
            rating("d", "before", 3, D(2026, 1, 1)),
            rating("c", "before", 3, D(2026, 1, 1)),
        ],
    )
    assert [r.item.code for r in rows] == ["a", "c", "d", "b"]
    assert {r.weighted_gap for r in rows} == {Decimal("0.4")}


def test_zero_weight_items_sort_after_weighted_gaps():
    rows = gap_rows(
        [pc("zero", "0", 5), pc("small", "0.01", 4)],
        [rating("zero", "before", 1, D(2026, 1, 1)), rating("small", "before", 3, D(2026, 1, 1))],
    )
    assert [r.item.code for r in rows] == ["small", "zero"]
    assert rows[1].weighted_gap == 0


# --- with the database -------------------------------------------------------------------------


@pytest.fixture
def model(db):
    """An employee with a 3-item position model and a team leader of their team."""
    position = PositionFactory()
    items = {
        code: CompetencyItemFactory(code=code, name=code)
        for code in ("empathy", "products", "selling")
    }
    PositionCompetencyFactory(
        position=position, item=items["empathy"], weight=Decimal("0.5"), target_score=5
    )
    PositionCompetencyFactory(
        position=position, item=items["products"], weight=Decimal("0.3"), target_score=4
    )
    PositionCompetencyFactory(
        position=position, item=items["selling"], weight=Decimal("0.2"), target_score=4
    )
    employee = UserFactory(roles=["CSR"], position=position)
    leader = UserFactory(roles=["Team leader", "CSR"], centre=employee.centre, team=employee.team)
    return SimpleNamespace(employee=employee, leader=leader, items=items)


@pytest.mark.django_db
def test_learning_advice_targets_largest_weighted_gaps_and_skips_completed_courses(model):
    # given: empathy gap 3 × 0.5 = 1.5, products gap 1 × 0.3 = 0.3, selling gap 0
    for code, score in [("empathy", 2), ("products", 3), ("selling", 4)]:
        BehaviourRatingFactory(
            employee=model.employee, rater=model.leader, item=model.items[code], score=score
        )
    empathy_course = CourseFactory(code="EMP", items=[model.items["empathy"]])
    priority_empathy = CourseFactory(code="EMP2", is_priority=True, items=[model.items["empathy"]])
    products_course = CourseFactory(code="PRD", items=[model.items["products"]])
    CourseFactory(code="SEL", items=[model.items["selling"]])
    done = CourseFactory(code="DONE", items=[model.items["empathy"]])
    services.enrolment_complete(
        enrolment=EnrolmentFactory(employee=model.employee, course=done), actor=model.leader
    )
    # when
    analysis = gaps.gap_analysis(employee=model.employee)
    # then
    assert [r.item.code for r in analysis.rows] == ["empathy", "products", "selling"]
    assert [a.course for a in analysis.advice] == [
        priority_empathy,
        empathy_course,
        products_course,
    ]


@pytest.mark.django_db
def test_many_employees_analysed_at_once_equal_each_analysed_alone(model):
    # given: the employee with before and after ratings, a course in progress and one done;
    # a colleague of the same position with other ratings and no enrolments
    colleague = UserFactory(roles=["CSR"], position=model.employee.position)
    for who, code, phase, score, day in [
        (model.employee, "empathy", "before", 1, D(2026, 1, 5)),
        (model.employee, "empathy", "after", 2, D(2026, 3, 5)),
        (model.employee, "products", "before", 3, D(2026, 2, 1)),
        (colleague, "selling", "before", 1, D(2026, 2, 1)),
        (colleague, "empathy", "after", 4, D(2026, 2, 9)),
    ]:
        BehaviourRatingFactory(
            employee=who,
            rater=model.leader,
            item=model.items[code],
            phase=phase,
            score=score,
            observed_on=day,
        )
    going = CourseFactory(code="EMP", items=[model.items["empathy"]])
    done = CourseFactory(code="PRD", items=[model.items["products"]])
    CourseFactory(code="SEL", items=[model.items["selling"], model.items["empathy"]])
    EnrolmentFactory(employee=model.employee, course=going)
    services.enrolment_complete(
        enrolment=EnrolmentFactory(employee=model.employee, course=done), actor=model.leader
    )

    def shape(analysis):
        return (
            [(r.item.code, r.before, r.after, r.latest, r.weighted_gap) for r in analysis.rows],
            [(a.course.code, [i.code for i in a.items], a.in_progress) for a in analysis.advice],
        )

    # when
    many = gaps.gap_analyses([model.employee, colleague])
    # then: the same rows and advice as one by one, with known answers for the employee
    advised = gaps.advice_of_many([model.employee, colleague])
    for who in (model.employee, colleague):
        assert shape(many[who.pk]) == shape(gaps.gap_analysis(employee=who))
        # the roster's advice without rows (advice_of_many) is the same advice
        assert advised[who.pk] == many[who.pk].advice
    assert shape(many[model.employee.pk]) == (
        [
            ("empathy", 1, 2, 2, Decimal("1.5000")),
            ("products", 3, None, 3, Decimal("0.3000")),
            ("selling", None, None, None, None),
        ],
        [("EMP", ["empathy"], True), ("SEL", ["empathy"], False)],
    )


@pytest.mark.django_db
def test_no_advice_when_every_gap_is_zero(model):
    for code in model.items:
        BehaviourRatingFactory(
            employee=model.employee, rater=model.leader, item=model.items[code], score=5
        )
    CourseFactory(items=list(model.items.values()))
    assert gaps.gap_analysis(employee=model.employee).advice == []


@pytest.mark.django_db
def test_employee_without_position_has_an_empty_analysis(csr):
    analysis = gaps.gap_analysis(employee=csr)
    assert analysis.rows == [] and analysis.advice == []


@pytest.mark.django_db
@time_machine.travel(dt.datetime(2026, 5, 10, 9, tzinfo=dt.UTC), tick=False)
def test_team_leader_rates_a_team_member(model):
    rating = services.behaviour_rating_create(
        rater=model.leader,
        employee=model.employee,
        item=model.items["empathy"],
        phase="before",
        score=2,
        observed_on=D(2026, 5, 10),
        note="语气生硬",
    )
    assert (rating.score, rating.phase, rating.rater) == (2, "before", model.leader)


@pytest.mark.django_db
@time_machine.travel(dt.datetime(2026, 5, 10, 9, tzinfo=dt.UTC), tick=False)
@pytest.mark.parametrize(
    "change, message",
    [
        ("other_team", "You can rate only members of your own team."),
        ("self", "You cannot rate yourself."),
        ("foreign_item", "This item is not in the employee's position competency model."),
        ("future", "The observation date cannot be in the future."),
        ("score", "Give a score from 1 to 5."),
    ],
)
def test_rating_rules(model, change, message):
    kwargs = {
        "rater": model.leader,
        "employee": model.employee,
        "item": model.items["empathy"],
        "phase": "before",
        "score": 3,
        "observed_on": D(2026, 5, 10),
    }
    if change == "other_team":
        kwargs["employee"] = UserFactory(roles=["CSR"], position=model.employee.position)
    elif change == "self":
        kwargs["employee"] = model.leader
    elif change == "foreign_item":
        kwargs["item"] = CompetencyItemFactory()
    elif change == "future":
        kwargs["observed_on"] = D(2026, 5, 11)
    else:
        kwargs["score"] = 6
    with pytest.raises(services.CurriculumError, match=message.replace("(", r"\(")):
        services.behaviour_rating_create(**kwargs)
    assert not BehaviourRating.objects.exists()


@pytest.mark.django_db
def test_rate_page_saves_a_rating_and_shows_form_errors(client, model):
    client.force_login(model.leader)
    url = reverse("curriculum:rate_employee", args=[model.employee.pk])
    ok = client.post(
        url,
        {
            "item": model.items["selling"].pk,
            "phase": "after",
            "score": 4,
            "observed_on": "2026-01-05",
        },
    )
    assert ok.status_code == 302
    bad = client.post(
        url,
        {
            "item": model.items["selling"].pk,
            "phase": "after",
            "score": 4,
            "observed_on": "2999-01-05",
        },
    )
    assert bad.status_code == 400
    assert "The observation date cannot be in the future." in bad.content.decode()
    assert BehaviourRating.objects.count() == 1


@pytest.mark.django_db
def test_rate_page_is_403_for_a_member_of_another_team(client, model):
    client.force_login(model.leader)
    stranger = UserFactory(roles=["CSR"])
    assert client.get(reverse("curriculum:rate_employee", args=[stranger.pk])).status_code == 403


@pytest.mark.django_db
def test_api_rating_create_and_field_errors(model):
    api = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    api.force_authenticate(model.leader)
    payload = {
        "employee": model.employee.pk,
        "item": model.items["products"].pk,
        "phase": "before",
        "score": 3,
        "observed_on": "2026-01-05",
    }
    assert api.post("/api/curriculum/ratings/", payload, format="json").status_code == 201
    bad = api.post(
        "/api/curriculum/ratings/", payload | {"score": 9, "phase": "during"}, format="json"
    )
    assert bad.status_code == 400 and set(bad.json()["fields"]) == {"score", "phase"}
    foreign = api.post(
        "/api/curriculum/ratings/", payload | {"item": CompetencyItemFactory().pk}, format="json"
    )
    assert foreign.json()["fields"] == {
        "item": ["This item is not in the employee's position competency model."]
    }


@pytest.mark.django_db
def test_gap_page_shows_the_table_and_team_leader_adds_plan_item(client, model):
    BehaviourRatingFactory(
        employee=model.employee, rater=model.leader, item=model.items["empathy"], score=2
    )
    course = CourseFactory(title="同理心课程", items=[model.items["empathy"]])
    client.force_login(model.leader)
    url = reverse("curriculum:employee_gaps", args=[model.employee.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert [a.course for a in page.context["analysis"].advice] == [course]
    assert "同理心课程" in page.content.decode()
    response = client.post(url, {"action": "学习同理心课程", "course": course.pk})
    assert response.status_code == 302
    assert ImprovementPlanItem.objects.get(employee=model.employee).course == course


@pytest.mark.django_db
def test_employee_cannot_post_plan_items_on_own_gap_page(client, model):
    client.force_login(model.employee)
    assert client.get(reverse("curriculum:my_gaps")).status_code == 200
    assert client.post(reverse("curriculum:my_gaps"), {"action": "x"}).status_code == 403


# --- the roster's advice without rows --------------------------------------------------------


_ITEM_CODES = ["a", "b", "c", "d", "e"]


@given(
    model=st.lists(
        st.tuples(
            st.sampled_from(_ITEM_CODES),
            st.sampled_from(["0", "0.05", "0.1", "0.2", "0.25", "0.4"]),
            st.integers(1, 5),
        ),
        max_size=5,
        unique_by=lambda one: one[0],
    ),
    ratings=st.lists(
        st.tuples(
            st.sampled_from(_ITEM_CODES),
            st.sampled_from(["before", "after"]),
            st.integers(1, 5),
            st.integers(0, 3),
            st.integers(1, 50),
        ),
        max_size=8,
    ),
    exams=st.dictionaries(st.sampled_from(_ITEM_CODES), st.integers(1, 5), max_size=3),
    courses=st.lists(
        st.tuples(
            st.lists(st.sampled_from(_ITEM_CODES), min_size=1, max_size=3, unique=True),
            st.booleans(),
            st.sampled_from([None, "enrolled", "completed"]),
        ),
        max_size=5,
    ),
)
def test_the_advice_without_rows_is_the_advice_of_the_rows(model, ratings, exams, courses):
    # The re-test roster advises thousands of employees through _advice_ranks / _advice_for
    # (advice_of_many); the pages through the rows (advice_from). Both must advise alike.
    targets = gaps._targets([pc(code, weight, target) for code, weight, target in model])
    rated = [
        rating(code, phase, score, D(2026, 1, 1) + dt.timedelta(days=day), pk)
        for code, phase, score, day, pk in ratings
    ]
    evidence = {
        code: gaps.ExamEvidence(
            level=level,
            percent=Decimal(level * 20),
            correct=level,
            total=5,
            at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
            attempt_id=1,
        )
        for code, level in exams.items()
    }
    offered = [
        (
            SimpleNamespace(pk=n, code=f"C{n}", is_priority=priority),
            [(i, SimpleNamespace(pk=i)) for i in items],
        )
        for n, (items, priority, _status) in enumerate(courses)
    ]
    enrolments = {n: status for n, (_items, _priority, status) in enumerate(courses) if status}
    rows = gaps._gap_rows(targets, rated, evidence)
    rank = gaps._advice_ranks(targets, rated, evidence)
    by_rows = gaps.advice_from(rows, courses=offered, enrolments=enrolments)
    assert gaps._advice_for(rank, courses=offered, enrolments=enrolments) == by_rows
    # the index advice_of_many makes once for all its employees changes nothing
    index = gaps._course_index(offered)
    assert gaps._advice_for(rank, courses=offered, enrolments=enrolments, index=index) == by_rows


def test_equal_weighted_gaps_advise_the_heavier_items_in_both_paths():
    # 0.1 × 4 = 0.2 × 2 = 0.4 × 1: the three heaviest of four equal gaps are advised, by weight
    # then code, whether through the rows (pages) or without them (the re-test roster).
    targets = gaps._targets(
        [pc("a", "0.1", 5), pc("b", "0.2", 3), pc("c", "0.4", 2), pc("d", "0.4", 2)]
    )
    rated = [rating(code, "before", 1, D(2026, 1, 1)) for code in "abcd"]
    offered = [
        (SimpleNamespace(pk=code, code=f"C-{code}", is_priority=False), [(code, code)])
        for code in "abcd"
    ]
    expected = ["C-c", "C-d", "C-b"]
    by_rows = gaps.advice_from(gaps._gap_rows(targets, rated, None), courses=offered, enrolments={})
    rank = gaps._advice_ranks(targets, rated, None)
    without_rows = gaps._advice_for(rank, courses=offered, enrolments={})
    assert [a.course.code for a in by_rows] == expected
    assert [a.course.code for a in without_rows] == expected
