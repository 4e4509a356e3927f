"""REST endpoints under /api/competency/."""

import io
from decimal import Decimal

import pytest
from django.core.management import call_command

from accounts.tests.factories import UserFactory
from competency import services
from competency.models import PositionCompetency, QSortSubmission
from competency.tests.factories import make_round, placements_for

pytestmark = pytest.mark.django_db


def item_ids(round):
    return list(round.items.order_by("pk").values_list("pk", flat=True))


def body(placements):
    return {"placements": [{"item": p.item, "pile": p.pile, "rank": p.rank} for p in placements]}


def test_items_list_filters_by_module_and_ksao(api, csr, django_assert_max_num_queries):
    api.force_authenticate(csr)
    with django_assert_max_num_queries(4):
        everything = api.get("/api/competency/items/").json()
    assert everything["count"] == 18
    service_attitude = api.get("/api/competency/items/", {"module": "service", "ksao": "A"}).json()[
        "results"
    ]
    assert [i["code"] for i in service_attitude] == [
        "service-cognition",
        "stress-resistance",
        "customer-orientation",
    ]
    assert service_attitude[0] == {
        **service_attitude[0],
        "name": "服务认知",
        "name_en": "Service cognition",
        "kind": "self_concept",
        "module": "service",
    }


def test_items_list_rejects_an_unknown_ksao_section(api, csr):
    api.force_authenticate(csr)
    response = api.get("/api/competency/items/", {"ksao": "O"})
    assert response.status_code == 400 and "ksao" in response.json()["fields"]


def test_items_list_needs_authentication_and_is_read_only(api, csr):
    assert api.get("/api/competency/items/").status_code in (401, 403)
    api.force_authenticate(csr)
    assert api.post("/api/competency/items/", {}).status_code == 405


def test_position_model_detail_lists_weights_and_indicators(api, csr, training_manager):
    # given: the demo publishes a Q-sort for hotline-csr
    call_command("demo", force=True, stdout=io.StringIO())
    api.force_authenticate(csr)
    # when
    response = api.get("/api/competency/positions/hotline-csr/model/")
    # then
    assert response.status_code == 200
    data = response.json()
    assert data["code"] == "hotline-csr" and data["family"] == "hotline"
    assert len(data["competencies"]) == 18
    assert sum(Decimal(c["weight"]) for c in data["competencies"]) == 1
    assert data["competencies"][0]["item"]["code"] == "service-cognition"
    assert (
        data["competencies"][0]["behavioural_indicators"][0]
        == "把解决客户问题视为本职工作,不推诿、不敷衍"
    )


def test_position_model_detail_is_404_for_an_unknown_position_and_405_for_post(api, csr):
    api.force_authenticate(csr)
    assert api.get("/api/competency/positions/nope/model/").status_code == 404
    assert api.post("/api/competency/positions/hotline-csr/model/", {}).status_code == 405


def test_a_rater_creates_then_updates_a_submission(api, training_manager, csr):
    round = make_round(manager=training_manager, raters=[csr])
    ids = item_ids(round)
    api.force_authenticate(csr)
    url = f"/api/competency/qsort/rounds/{round.pk}/submission/"
    created = api.post(url, body(placements_for(ids, (1, 2, 1))), format="json")
    assert created.status_code == 201 and created.json()["ranking"] == ids
    updated = api.post(url, body(placements_for(ids[::-1], (1, 2, 1))), format="json")
    assert updated.status_code == 200 and updated.json()["ranking"] == ids[::-1]
    assert QSortSubmission.objects.count() == 1


@pytest.mark.parametrize(
    "mutate, field, message",
    [
        (lambda ps: ps[:-1], "placements", "has not been put into a pile."),
        (lambda ps: ps + ps[:1], "placements", "is placed more than once."),
        (
            lambda ps: [{**p, "rank": 1} for p in ps],
            "neutral",
            "Order the neutral pile strictly: ranks must be 1 to 2, each used once.",
        ),
        (
            lambda ps: [{**p, "pile": "important"} if p["pile"] == "neutral" else p for p in ps],
            "important",
            "The important pile must hold exactly 1 items; it holds 3.",
        ),
    ],
)
def test_an_invalid_submission_is_a_400_with_field_messages(
    api, training_manager, csr, mutate, field, message
):
    round = make_round(manager=training_manager, raters=[csr])
    api.force_authenticate(csr)
    placements = mutate(body(placements_for(item_ids(round), (1, 2, 1)))["placements"])
    response = api.post(
        f"/api/competency/qsort/rounds/{round.pk}/submission/",
        {"placements": placements},
        format="json",
    )
    assert response.status_code == 400
    assert any(message in m for m in response.json()["fields"][field])
    assert not QSortSubmission.objects.exists()


def test_a_malformed_submission_is_a_400(api, training_manager, csr):
    round = make_round(manager=training_manager, raters=[csr])
    api.force_authenticate(csr)
    response = api.post(
        f"/api/competency/qsort/rounds/{round.pk}/submission/",
        {"placements": [{"item": "x", "pile": "maybe", "rank": 0}]},
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()["fields"]) == {
        "placements.0.item",
        "placements.0.pile",
        "placements.0.rank",
    }


def test_submission_is_403_for_a_user_who_is_not_invited_404_for_unknown_and_405_for_get(
    api, training_manager, csr
):
    round = make_round(manager=training_manager)
    api.force_authenticate(csr)
    url = f"/api/competency/qsort/rounds/{round.pk}/submission/"
    response = api.post(url, body(placements_for(item_ids(round), (1, 2, 1))), format="json")
    assert response.status_code == 403
    assert response.json()["detail"] == "You are not a rater of this Q-sort round."
    assert (
        api.post("/api/competency/qsort/rounds/99999/submission/", {}, format="json").status_code
        == 404
    )
    assert api.get(url).status_code == 405


def test_submission_to_a_closed_round_is_a_409(api, training_manager, csr):
    round = make_round(manager=training_manager, raters=[csr])
    services.qsort_submission_save(
        round_id=round.pk, rater=csr, placements=placements_for(item_ids(round), (1, 2, 1))
    )
    services.qsort_round_close(round_id=round.pk, actor=training_manager)
    api.force_authenticate(csr)
    response = api.post(
        f"/api/competency/qsort/rounds/{round.pk}/submission/",
        body(placements_for(item_ids(round), (1, 2, 1))),
        format="json",
    )
    assert response.status_code == 409
    assert response.json() == {
        "detail": "This Q-sort round is not open for sorting.",
        "code": "conflict",
    }


def test_round_results_are_for_managers(api, training_manager, csr):
    rater = UserFactory()
    round = make_round(manager=training_manager, raters=[rater])
    url = f"/api/competency/qsort/rounds/{round.pk}/results/"
    api.force_authenticate(training_manager)
    assert api.get(url).status_code == 400  # not closed yet
    services.qsort_submission_save(
        round_id=round.pk, rater=rater, placements=placements_for(item_ids(round), (1, 2, 1))
    )
    services.qsort_round_close(round_id=round.pk, actor=training_manager)
    response = api.get(url)
    assert response.status_code == 200
    data = response.json()
    assert data["raters"] == 1 and data["columns"] == [1, 2, 1]
    assert [r["item"]["id"] for r in data["rows"]] == item_ids(round)
    assert [r["weight"] for r in data["rows"]] == ["0.37500", "0.25000", "0.25000", "0.12500"]
    assert api.get("/api/competency/qsort/rounds/99999/results/").status_code == 404
    assert api.post(url, {}).status_code == 405
    api.force_authenticate(csr)
    assert api.get(url).status_code == 403


def test_publishing_via_service_is_visible_in_the_position_model_api(api, training_manager, csr):
    rater = UserFactory()
    round = make_round(manager=training_manager, raters=[rater])
    services.qsort_submission_save(
        round_id=round.pk, rater=rater, placements=placements_for(item_ids(round), (1, 2, 1))
    )
    services.qsort_round_close(round_id=round.pk, actor=training_manager)
    services.qsort_round_publish(round_id=round.pk, actor=training_manager)
    api.force_authenticate(csr)
    data = api.get(f"/api/competency/positions/{round.position.code}/model/").json()
    assert [c["weight"] for c in data["competencies"]] == [
        "0.37500",
        "0.25000",
        "0.25000",
        "0.12500",
    ]
    assert PositionCompetency.objects.filter(position=round.position).count() == 4
