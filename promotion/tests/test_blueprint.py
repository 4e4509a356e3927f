"""The exam blueprint: apportionment, the draw following the candidate's position weights,
its fallback, the per-competency result and who sees the blueprint."""

import random
from collections import Counter
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.navigation import navigation_for
from casebase.models import Case
from casebase.questions import public_question
from competency.models import PositionCompetency
from competency.tests.factories import CompetencyItemFactory, PositionFactory
from promotion import selectors
from promotion.blueprint import apportion
from promotion.models import PromotionSettings
from promotion.services.exams import exam_start, exam_submit
from promotion.tests.factories import correct_answers, make_test_cases, make_training_cases

D = Decimal


# --- apportionment (pure) -------------------------------------------------------------------


def test_apportion_whole_quotas_are_given_exactly():
    assert apportion(10, {"a": D("0.5"), "b": D("0.3"), "c": D("0.2")}) == {"a": 5, "b": 3, "c": 2}


def test_apportion_gives_the_places_left_to_the_largest_remainders_ties_to_the_heavier_item():
    # quotas 4.4, 3.5, 2.1 → 4, 3, 2 and one place left: the largest remainder (b, .5)
    assert apportion(10, {"a": D("0.44"), "b": D("0.35"), "c": D("0.21")}) == {
        "a": 4,
        "b": 4,
        "c": 2,
    }
    # quotas 3.5, 3.5, 3 → one place left, equal remainders: the heavier, then the first listed
    assert apportion(10, {"a": D("0.35"), "b": D("0.35"), "c": D("0.30")}) == {
        "a": 4,
        "b": 3,
        "c": 3,
    }


def test_apportion_gives_one_place_to_every_item_above_the_floor_and_none_below_its_share():
    weights = {"a": D("0.90"), "b": D("0.06"), "c": D("0.04")}
    # b (0.6 of a place) is above the 5 % floor: one place; c (0.4) is not: by share only → 0
    assert apportion(10, weights, D("0.05")) == {"a": 9, "b": 1, "c": 0}
    # with no floor every weighted item gets one
    assert apportion(10, weights, D("0")) == {"a": 8, "b": 1, "c": 1}


def test_apportion_with_more_items_above_the_floor_than_places_gives_the_heaviest_one_each():
    assert apportion(2, {"a": D("0.3"), "b": D("0.4"), "c": D("0.3")}, D("0.05")) == {
        "a": 1,
        "b": 1,
        "c": 0,
    }


def test_apportion_without_weights_or_places_gives_nothing():
    assert apportion(10, {"a": D("0"), "b": D("0")}) == {"a": 0, "b": 0}
    assert apportion(0, {"a": D("1")}) == {"a": 0}
    assert apportion(10, {}) == {}


@pytest.mark.parametrize("seed", range(40))
def test_apportion_always_sums_to_the_total_and_follows_the_weights(seed):
    rng = random.Random(seed)
    weights = {i: D(rng.randint(0, 1000)) / 1000 for i in range(rng.randint(1, 12))}
    total = rng.randint(1, 20)
    floor = D(rng.randint(0, 50)) / 100
    counts = apportion(total, weights, floor)
    if any(w > 0 for w in weights.values()):
        assert sum(counts.values()) == total
    weighted = sum(weights.values())
    guaranteed = [k for k, w in weights.items() if w > floor]
    for key, weight in weights.items():
        if weight <= 0:
            assert counts[key] == 0
        elif len(guaranteed) < total:
            # never more than one place away from the item's proportional share (after the
            # places given to light items above the floor)
            assert counts[key] <= total * weight / weighted + 1
            if weight > floor:
                assert counts[key] >= 1


# --- the draw ---------------------------------------------------------------------------------


@pytest.fixture
def model(csr):
    """csr holds a position weighting items A 0.6, B 0.3, C 0.1 (a published Q-sort result)."""
    position = PositionFactory()
    items = {name: CompetencyItemFactory(name=f"能力{name}") for name in "ABC"}
    for name, weight in (("A", "0.6"), ("B", "0.3"), ("C", "0.1")):
        PositionCompetency.objects.create(position=position, item=items[name], weight=D(weight))
    csr.position = position
    csr.save(update_fields=["position"])
    return position, items


def tag(cases, item):
    for case in cases:
        case.competencies.add(item)
    return cases


def drawn_per_item(attempt, items) -> dict[str, int]:
    tags = Counter()
    for case in Case.objects.filter(pk__in=attempt.case_ids).prefetch_related("competencies"):
        for item in case.competencies.all():
            tags[item.name] += 1
    return {name: tags[item.name] for name, item in items.items()}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_draw_follows_the_position_weights(csr, model, seed):
    _position, items = model
    # given: plenty of tagged level-1 test cases per item, and untagged ones
    tag(make_test_cases(1, 8), items["A"])
    tag(make_test_cases(1, 5), items["B"])
    tag(make_test_cases(1, 3), items["C"])
    make_test_cases(1, 10)
    # when: the 10-case exam starts
    attempt = exam_start(employee=csr, level=1, rng=random.Random(seed))
    # then: 6 / 3 / 1 cases (10 × 0.6 / 0.3 / 0.1), no untagged one
    assert selectors.exam_plan(csr.position_id, 10) == {
        items["A"].pk: 6,
        items["B"].pk: 3,
        items["C"].pk: 1,
    }
    assert drawn_per_item(attempt, items) == {"A": 6, "B": 3, "C": 1}
    assert len(attempt.case_ids) == 10 == len(set(attempt.case_ids))


def test_within_an_item_the_least_drawn_cases_come_first_and_training_cases_never(csr, model):
    _position, items = model
    fresh = tag(make_test_cases(1, 6), items["A"])
    worn = tag(make_test_cases(1, 3), items["A"])
    Case.objects.filter(pk__in=[c.pk for c in worn]).update(exam_uses=5)
    tag(make_training_cases(1, 6), items["A"])  # tagged, but training cases
    tag(make_test_cases(1, 4), items["B"])
    tag(make_test_cases(1, 2), items["C"])
    attempt = exam_start(employee=csr, level=1, rng=random.Random(7))
    drawn = set(attempt.case_ids)
    assert {c.pk for c in fresh} <= drawn and not drawn & {c.pk for c in worn}
    assert Case.objects.filter(pk__in=drawn, split="training").count() == 0


def test_places_an_item_cannot_fill_fall_back_to_the_ordinary_draw(csr, model):
    _position, items = model
    # given: A plans 6 places but has 2 tagged test cases, B 1 of its 3, C none
    a = tag(make_test_cases(1, 2), items["A"])
    b = tag(make_test_cases(1, 1), items["B"])
    untagged = make_test_cases(1, 10)
    attempt = exam_start(employee=csr, level=1, rng=random.Random(5))
    # then: all tagged cases, the rest from the untagged pool: still a 10-case exam, no repeat
    drawn = set(attempt.case_ids)
    assert {c.pk for c in a + b} <= drawn
    assert len(drawn & {c.pk for c in untagged}) == 7 and len(attempt.case_ids) == 10


def test_without_a_position_the_draw_is_the_ordinary_one(csr):
    # the same seed draws the same cases as before the blueprint (no plan, no reordering)
    cases = make_test_cases(1, 14)
    item = CompetencyItemFactory()
    tag(cases[:3], item)
    assert selectors.exam_plan(None, 10) == {}
    attempt = exam_start(employee=csr, level=1, rng=random.Random(11))
    from casebase.selectors import test_cases_for_exam

    Case.objects.filter(pk__in=attempt.case_ids).update(exam_uses=0)
    assert attempt.case_ids == sorted(c.pk for c in test_cases_for_exam(1, 10, random.Random(11)))


# --- the per-competency result ------------------------------------------------------------------


def test_the_result_per_competency_item_uses_the_tags_of_the_draw(csr, model):
    _position, items = model
    tag(make_test_cases(1, 7), items["A"])
    tag(make_test_cases(1, 3), items["B"])
    attempt = exam_start(employee=csr, level=1, rng=random.Random(2))
    # while open: no per-item result, and the tags are not sent to the examinee
    assert selectors.competency_scores(attempt) == []
    assert all("competency_ids" not in q for q in attempt.public_questions())
    assert all("competency_ids" not in public_question(q) for q in attempt.questions)
    # when: only the questions about A are answered right
    right = correct_answers(attempt)
    answers = {
        q["id"]: right[q["id"]] for q in attempt.questions if items["A"].pk in q["competency_ids"]
    }
    attempt = exam_submit(attempt_id=attempt.pk, employee=csr, answers=answers)
    scores = {
        row["item"]: (row["correct"], row["total"]) for row in selectors.competency_scores(attempt)
    }
    # then: A 21/21 (its 6 places and C's, which the ordinary draw fills with the 7th A case:
    # 7 cases × 3 questions), B 0/9 (3 cases)
    assert scores == {"能力A": (21, 21), "能力B": (0, 9)}
    # re-tagging the cases afterwards does not change the past result
    for case in Case.objects.filter(pk__in=attempt.case_ids):
        case.competencies.set([items["C"]])
    attempt.refresh_from_db()
    assert {
        row["item"]: (row["correct"], row["total"]) for row in selectors.competency_scores(attempt)
    } == scores


def test_the_result_page_and_api_show_the_per_item_score_only_after_submission(
    client, api, csr, model
):
    _position, items = model
    tag(make_test_cases(1, 10), items["A"])
    attempt = exam_start(employee=csr, level=1, rng=random.Random(4))
    client.force_login(csr)
    api.force_authenticate(csr)
    page = client.get(reverse("promotion:exam_take", args=[attempt.pk])).content.decode()
    assert 'id="competency-scores"' not in page and "competency_ids" not in page
    body = api.get(reverse("api-promotion-exam", args=[attempt.pk])).json()
    assert (
        body["competency_scores"] == []
        and '"answer"' not in str(body)
        and "competency_ids" not in str(body)
    )
    exam_submit(attempt_id=attempt.pk, employee=csr, answers=correct_answers(attempt))
    page = client.get(reverse("promotion:exam_take", args=[attempt.pk])).content.decode()
    assert 'id="competency-scores"' in page and "能力A" in page and "30 / 30" in page
    body = api.get(reverse("api-promotion-exam", args=[attempt.pk])).json()
    assert body["competency_scores"] == [
        {"item": "能力A", "code": items["A"].code, "correct": 30, "total": 30, "percent": 100.0}
    ]
    assert "answer" not in str(body["questions"])


def test_the_feedback_draws_the_result_per_item_as_bars_above_its_table(client, csr, model):
    # given: the draw of test_the_result_per_competency_item_uses_the_tags_of_the_draw, only
    # the questions about A answered right: A 21/21 = 100.0 %, B 0/9 = 0.0 %
    _position, items = model
    tag(make_test_cases(1, 7), items["A"])
    tag(make_test_cases(1, 3), items["B"])
    attempt = exam_start(employee=csr, level=1, rng=random.Random(2))
    right = correct_answers(attempt)
    answers = {
        q["id"]: right[q["id"]] for q in attempt.questions if items["A"].pk in q["competency_ids"]
    }
    exam_submit(attempt_id=attempt.pk, employee=csr, answers=answers)
    client.force_login(csr)
    html = client.get(reverse("promotion:exam_take", args=[attempt.pk])).content.decode()
    # then: the chart (curriculum.exam_items.scores_chart) above the table, a 400 px bar for A
    # and none for B on the 0–100 % axis
    section = html[html.index('id="competency-scores"') :]
    svg, table = section.index("<svg"), section.index('<table class="data">')
    chart = section[svg:table]
    assert '<rect class="bar" x="170" y="8" width="400.0"' in chart
    assert '<rect class="bar" x="170" y="30" width="0.0"' in chart
    assert ">能力A</text>" in chart and ">100.0%</text>" in chart
    assert ">能力B</text>" in chart and ">0.0%</text>" in chart
    assert "<td>能力A</td><td>21 / 21</td>" in section[table:]


# --- the blueprint page and API -------------------------------------------------------------------


def test_training_managers_see_the_blueprint_with_planned_and_available_counts(
    client, api, training_manager, model
):
    position, items = model
    tag(make_test_cases(1, 4), items["A"])
    tag(make_test_cases(2, 2), items["B"])
    tag(make_training_cases(1, 3), items["C"])  # never counted
    make_test_cases(1, 3)
    api.force_authenticate(training_manager)
    body = api.get(reverse("api-promotion-blueprint"), {"position": position.pk}).json()
    assert body["position"] == position.code and body["floor_percent"] == 5
    rows = {row["name"]: row for row in body["items"]}
    assert [row["name"] for row in body["items"]] == ["能力A", "能力B", "能力C"]
    level1 = {
        name: next(cell for cell in row["levels"] if cell["level"] == 1)
        for name, row in rows.items()
    }
    assert {name: (cell["planned"], cell["available"]) for name, cell in level1.items()} == {
        "能力A": (6, 4),
        "能力B": (3, 0),
        "能力C": (1, 0),
    }
    assert next(cell for cell in rows["能力B"]["levels"] if cell["level"] == 2)["available"] == 2
    assert next(exam for exam in body["exams"] if exam["level"] == 1) == {
        "level": 1,
        "case_count": 10,
        "untagged": 3,
    }
    client.force_login(training_manager)
    page = client.get(reverse("promotion:exam_blueprint"), {"position": position.pk})
    assert page.status_code == 200
    html = page.content.decode()
    assert "<svg" in html and 'id="blueprint"' in html and "能力A" in html
    assert any(
        entry["url"] == reverse("promotion:exam_blueprint")
        for entry in navigation_for(training_manager)
    )


def test_csrs_may_not_see_the_blueprint(client, api, csr, model):
    client.force_login(csr)
    api.force_authenticate(csr)
    assert client.get(reverse("promotion:exam_blueprint")).status_code == 403
    assert api.get(reverse("api-promotion-blueprint")).status_code == 403
    assert not any(
        entry["url"] == reverse("promotion:exam_blueprint") for entry in navigation_for(csr)
    )


def test_a_bad_position_is_a_400_with_a_field_message(client, api, training_manager):
    api.force_authenticate(training_manager)
    response = api.get(reverse("api-promotion-blueprint"), {"position": "999999"})
    assert response.status_code == 400 and "position" in response.json()["fields"]
    client.force_login(training_manager)
    assert client.get(reverse("promotion:exam_blueprint"), {"position": "x"}).status_code == 400


def test_the_floor_setting_has_a_maximum(db):
    config = PromotionSettings.current()
    config.blueprint_floor_percent = 51
    with pytest.raises(ValidationError):
        config.full_clean()
