"""Web pages: dictionary, position model, Q-sort manager pages and the rater page."""

import pytest
from django.urls import reverse

from accounts.tests.factories import UserFactory
from competency import services
from competency.models import CompetencyItem, PositionCompetency, QSortRound, QSortSubmission
from competency.tests.factories import (
    CompetencyItemFactory,
    PositionFactory,
    as_post_data,
    make_round,
    placements_for,
)

pytestmark = pytest.mark.django_db

MANAGER_PAGES = ["competency:round_list", "competency:round_create"]


def item_ids(round):
    return list(round.items.order_by("pk").values_list("pk", flat=True))


@pytest.fixture
def published_round(training_manager):
    rater = UserFactory()
    round = make_round(manager=training_manager, raters=[rater])
    services.qsort_submission_save(
        round_id=round.pk, rater=rater, placements=placements_for(item_ids(round), (1, 2, 1))
    )
    services.qsort_round_close(round_id=round.pk, actor=training_manager)
    services.qsort_round_publish(round_id=round.pk, actor=training_manager)
    return round


# --- everyone ------------------------------------------------------------------------------------


def test_the_dictionary_lists_the_seeded_items_for_any_employee(client, csr):
    client.force_login(csr)
    response = client.get(reverse("competency:dictionary"))
    assert response.status_code == 200
    content = response.content.decode()
    for name in [
        "服务认知",
        "客户导向",
        "关键时刻",
        "关键话术",
        "关键信息",
        "人员管理",
        "任务管理",
    ]:
        assert name in content


def test_the_dictionary_filters_by_module_and_ksao(client, csr):
    client.force_login(csr)
    response = client.get(reverse("competency:dictionary"), {"module": "marketing", "ksao": "K"})
    names = [item.name for item in response.context["page"]]
    assert names == ["营销流程", "关键信息"]


def test_the_dictionary_needs_a_login(client):
    response = client.get(reverse("competency:dictionary"))
    assert response.status_code == 302


def test_the_dictionary_query_count_does_not_grow_with_items(
    client, csr, django_assert_max_num_queries
):
    client.force_login(csr)
    CompetencyItemFactory.create_batch(20)
    with django_assert_max_num_queries(12):
        assert client.get(reverse("competency:dictionary")).status_code == 200


def test_the_position_model_page_shows_weights_indicators_and_a_chart(client, csr, published_round):
    PositionCompetency.objects.filter(position=published_round.position).update(
        behavioural_indicators="主动倾听"
    )
    client.force_login(csr)
    response = client.get(
        reverse("competency:position_model", args=[published_round.position.code])
    )
    assert response.status_code == 200
    content = response.content.decode()
    assert "<svg" in content and "主动倾听" in content
    assert "0.37500" in content
    assert response.context["total_weight"] == 1


def test_an_unknown_position_is_a_404(client, csr):
    client.force_login(csr)
    assert client.get(reverse("competency:position_model", args=["nope"])).status_code == 404


# --- manager pages -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "role_fixture, expected",
    [("csr", 403), ("reviewer", 403), ("hr", 403), ("training_manager", 200)],
)
@pytest.mark.parametrize("url_name", MANAGER_PAGES)
def test_round_management_pages_are_for_training_managers(
    client, request, role_fixture, expected, url_name
):
    client.force_login(request.getfixturevalue(role_fixture))
    assert client.get(reverse(url_name)).status_code == expected


def test_round_detail_is_403_for_a_csr_and_404_for_an_unknown_round(
    client, csr, training_manager, published_round
):
    client.force_login(csr)
    assert (
        client.get(reverse("competency:round_detail", args=[published_round.pk])).status_code == 403
    )
    client.force_login(training_manager)
    assert client.get(reverse("competency:round_detail", args=[99999])).status_code == 404


def test_round_list_query_count_is_bounded(client, training_manager, django_assert_max_num_queries):
    for _ in range(5):
        make_round(manager=training_manager)
    client.force_login(training_manager)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("competency:round_list"))
    assert response.status_code == 200 and len(response.context["page"]) == 5


def test_the_create_form_suggests_all_items_and_quarter_half_quarter_piles(
    client, training_manager
):
    client.force_login(training_manager)
    form = client.get(reverse("competency:round_create")).context["form"]
    assert len(form.initial["items"]) == CompetencyItem.objects.count() == 18
    assert (
        form.initial["important_count"],
        form.initial["neutral_count"],
        form.initial["unimportant_count"],
    ) == (4, 10, 4)


def test_a_manager_creates_a_draft_round_with_raters_by_staff_id(
    client, training_manager, csr, reviewer
):
    # given
    position = PositionFactory()
    items = CompetencyItem.objects.filter(module__code="service")[:4]
    client.force_login(training_manager)
    # when
    response = client.post(
        reverse("competency:round_create"),
        {
            "position": position.pk,
            "title": "热线",
            "items": [i.pk for i in items],
            "important_count": 1,
            "neutral_count": 2,
            "unimportant_count": 1,
            "max_score": 3,
            "raters": "csr001, REV001",
        },
    )
    # then
    round = QSortRound.objects.get()
    assert response.status_code == 302 and response.url == reverse(
        "competency:round_detail", args=[round.pk]
    )
    assert round.status == "draft" and set(round.raters.all()) == {csr, reviewer}


@pytest.mark.parametrize(
    "counts, raters, message",
    [
        (
            (2, 2, 1),
            "CSR001",
            "The pile sizes add up to 5 but the round has 4 items; they must be equal.",
        ),
        ((1, 2, 1), "CSR001 NOBODY", "Unknown or inactive staff IDs: NOBODY."),
    ],
)
def test_the_create_form_shows_clear_errors(client, training_manager, csr, counts, raters, message):
    client.force_login(training_manager)
    items = CompetencyItem.objects.all()[:4]
    response = client.post(
        reverse("competency:round_create"),
        {
            "position": PositionFactory().pk,
            "items": [i.pk for i in items],
            "important_count": counts[0],
            "neutral_count": counts[1],
            "unimportant_count": counts[2],
            "max_score": 3,
            "raters": raters,
        },
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not QSortRound.objects.exists()


def test_the_manager_opens_closes_and_publishes_from_the_detail_page(client, training_manager):
    # given
    rater = UserFactory()
    round = make_round(manager=training_manager, raters=[rater], open_=False)
    client.force_login(training_manager)
    # when / then
    assert client.post(reverse("competency:round_open", args=[round.pk])).status_code == 302
    services.qsort_submission_save(
        round_id=round.pk, rater=rater, placements=placements_for(item_ids(round), (1, 2, 1))
    )
    client.post(reverse("competency:round_close", args=[round.pk]))
    detail = client.get(reverse("competency:round_detail", args=[round.pk]))
    assert detail.status_code == 200 and 'id="round-result"' in detail.content.decode()
    assert detail.content.decode().count("<svg") == 2
    client.post(reverse("competency:round_publish", args=[round.pk]))
    round.refresh_from_db()
    assert round.status == "published"
    assert PositionCompetency.objects.filter(position=round.position).count() == 4


def test_a_refused_transition_is_shown_as_an_error_message(client, training_manager):
    round = make_round(manager=training_manager)
    client.force_login(training_manager)
    response = client.post(reverse("competency:round_close", args=[round.pk]), follow=True)
    assert (
        "No rater has submitted a sort yet; the round cannot be closed."
        in response.content.decode()
    )


@pytest.mark.parametrize("action", ["round_open", "round_close", "round_publish"])
def test_transitions_are_post_only_for_managers(client, training_manager, csr, action):
    round = make_round(manager=training_manager, open_=False)
    client.force_login(training_manager)
    assert client.get(reverse(f"competency:{action}", args=[round.pk])).status_code == 405
    assert client.post(reverse(f"competency:{action}", args=[99999])).status_code == 404
    client.force_login(csr)
    assert client.post(reverse(f"competency:{action}", args=[round.pk])).status_code == 403


# --- rater page ----------------------------------------------------------------------------------


def test_an_invited_rater_sees_the_sort_page_and_the_invitation(client, training_manager, csr):
    round = make_round(manager=training_manager, raters=[csr])
    client.force_login(csr)
    page = client.get(reverse("competency:round_sort", args=[round.pk]))
    assert page.status_code == 200 and 'id="qsort-form"' in page.content.decode()
    dictionary = client.get(reverse("competency:dictionary")).content.decode()
    assert 'id="panel-qsort-invitations"' in dictionary
    invitations = client.get(reverse("competency:my_invitations"))
    assert [r.pk for r in invitations.context["page"]] == [round.pk]


def test_a_rater_submits_a_valid_sort_through_the_page(client, training_manager, csr):
    round = make_round(manager=training_manager, raters=[csr])
    order = item_ids(round)[::-1]
    client.force_login(csr)
    response = client.post(
        reverse("competency:round_sort", args=[round.pk]),
        as_post_data(placements_for(order, (1, 2, 1))),
    )
    assert response.status_code == 302
    assert QSortSubmission.objects.get(rater=csr).ranking == order


def test_an_invalid_sort_on_the_page_is_shown_as_form_errors(client, training_manager, csr):
    round = make_round(manager=training_manager, raters=[csr])
    placements = placements_for(item_ids(round), (2, 1, 1))  # two items in the important pile
    client.force_login(csr)
    response = client.post(
        reverse("competency:round_sort", args=[round.pk]), as_post_data(placements)
    )
    assert response.status_code == 200
    assert (
        "The important pile must hold exactly 1 items; it holds 2."
        in response.context["form"].non_field_errors()
    )
    assert not QSortSubmission.objects.exists()


def test_a_user_who_is_not_invited_gets_403_on_the_sort_page(client, training_manager, csr):
    round = make_round(manager=training_manager)
    client.force_login(csr)
    assert client.get(reverse("competency:round_sort", args=[round.pk])).status_code == 403
    assert client.post(reverse("competency:round_sort", args=[round.pk]), {}).status_code == 403


def test_a_draft_or_unknown_round_is_404_on_the_sort_page(client, training_manager, csr):
    draft = make_round(manager=training_manager, raters=[csr], open_=False)
    client.force_login(csr)
    assert client.get(reverse("competency:round_sort", args=[draft.pk])).status_code == 404
    assert client.get(reverse("competency:round_sort", args=[99999])).status_code == 404


def test_a_closed_round_shows_no_form(client, training_manager, csr, published_round):
    published_round.raters.add(csr)
    client.force_login(csr)
    response = client.get(reverse("competency:round_sort", args=[published_round.pk]))
    assert response.status_code == 200 and 'id="qsort-form"' not in response.content.decode()


def test_navigation_shows_the_competency_model_to_everyone_and_rounds_to_managers(
    client, csr, training_manager
):
    client.force_login(csr)
    urls = {i["url"] for i in client.get(reverse("home")).context["nav_items"]}
    assert reverse("competency:dictionary") in urls and reverse("competency:round_list") not in urls
    client.force_login(training_manager)
    urls = {i["url"] for i in client.get(reverse("home")).context["nav_items"]}
    assert reverse("competency:round_list") in urls
