"""Q-sort round services: state machine, validation, aggregation on close, publishing, audit."""

import threading
from decimal import Decimal

import pytest
from django.db import connection

from accounts.tests.factories import UserFactory
from competency import services
from competency.models import PositionCompetency, QSortRound, QSortRoundEvent, QSortSubmission
from competency.qsort import IMPORTANT, NEUTRAL, Placement
from competency.tests.factories import (
    CompetencyItemFactory,
    PositionFactory,
    make_round,
    placements_for,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager():
    return UserFactory(roles=["Training manager"])


def ids(round):
    return list(round.items.order_by("pk").values_list("pk", flat=True))


def test_creating_a_round_makes_a_draft_with_an_audit_row(manager):
    # when
    round = make_round(manager=manager, open_=False)
    # then
    assert round.status == QSortRound.Status.DRAFT
    assert round.items.count() == 4 and round.raters.count() == 1
    assert list(round.events.values_list("action", "actor")) == [("created", manager.pk)]


def test_creating_a_round_with_pile_sizes_that_do_not_add_up_fails(manager):
    with pytest.raises(services.QSortError) as exc:
        make_round(manager=manager, sizes=(2, 2, 1), open_=False)
    assert exc.value.errors["__all__"] == [
        "The pile sizes add up to 5 but the round has 4 items; they must be equal."
    ]
    assert not QSortRound.objects.exists()


def test_opening_a_draft_records_who_and_when(manager):
    round = make_round(manager=manager, open_=False)
    services.qsort_round_open(round_id=round.pk, actor=manager)
    round.refresh_from_db()
    assert round.status == QSortRound.Status.OPEN and round.opened_at is not None
    assert round.events.filter(action="opened", actor=manager).count() == 1


def test_a_round_without_raters_cannot_be_opened(manager):
    round = make_round(manager=manager, raters=[], open_=False)
    with pytest.raises(services.QSortError) as exc:
        services.qsort_round_open(round_id=round.pk, actor=manager)
    assert exc.value.message == "Invite at least one rater before opening the round."


def test_an_open_round_cannot_be_opened_again(manager):
    round = make_round(manager=manager)
    with pytest.raises(services.QSortConflict) as exc:
        services.qsort_round_open(round_id=round.pk, actor=manager)
    assert exc.value.message == "Only a draft round can be opened; this one is Open for sorting."


def test_an_invited_rater_can_submit_and_resubmit_until_the_round_closes(manager):
    # given
    rater = UserFactory()
    round = make_round(manager=manager, raters=[rater])
    a, b, c, d = ids(round)
    # when
    first, created = services.qsort_submission_save(
        round_id=round.pk, rater=rater, placements=placements_for([a, b, c, d], (1, 2, 1))
    )
    second, created_again = services.qsort_submission_save(
        round_id=round.pk, rater=rater, placements=placements_for([d, c, b, a], (1, 2, 1))
    )
    # then
    assert created and not created_again
    assert QSortSubmission.objects.get().ranking == [d, c, b, a]
    services.qsort_round_close(round_id=round.pk, actor=manager)
    with pytest.raises(services.QSortConflict) as exc:
        services.qsort_submission_save(
            round_id=round.pk, rater=rater, placements=placements_for([a, b, c, d], (1, 2, 1))
        )
    assert exc.value.message == "This Q-sort round is not open for sorting."


def test_a_user_who_is_not_invited_cannot_submit(manager):
    round = make_round(manager=manager)
    with pytest.raises(services.QSortNotInvited):
        services.qsort_submission_save(round_id=round.pk, rater=UserFactory(), placements=[])


def test_an_invalid_sort_is_refused_with_field_messages_and_nothing_is_stored(manager):
    rater = UserFactory()
    round = make_round(manager=manager, raters=[rater])
    a, b, c, d = ids(round)
    placements = [
        Placement(a, IMPORTANT, 1),
        Placement(b, IMPORTANT, 2),
        Placement(c, NEUTRAL, 1),
        Placement(d, NEUTRAL, 2),
    ]
    with pytest.raises(services.QSortError) as exc:
        services.qsort_submission_save(round_id=round.pk, rater=rater, placements=placements)
    assert exc.value.errors["important"] == [
        "The important pile must hold exactly 1 items; it holds 2."
    ]
    assert not QSortSubmission.objects.exists()


def test_closing_without_any_sort_is_refused(manager):
    round = make_round(manager=manager)
    with pytest.raises(services.QSortConflict) as exc:
        services.qsort_round_close(round_id=round.pk, actor=manager)
    assert exc.value.message == "No rater has submitted a sort yet; the round cannot be closed."


def test_closing_aggregates_every_raters_sort_into_weights_summing_to_one(manager):
    # given: two raters who agree on the top and bottom items
    r1, r2 = UserFactory(), UserFactory()
    round = make_round(manager=manager, raters=[r1, r2], n_items=4)
    a, b, c, d = ids(round)
    services.qsort_submission_save(
        round_id=round.pk, rater=r1, placements=placements_for([a, b, c, d], (1, 2, 1))
    )
    services.qsort_submission_save(
        round_id=round.pk, rater=r2, placements=placements_for([a, c, b, d], (1, 2, 1))
    )
    # when
    services.qsort_round_close(round_id=round.pk, actor=manager)
    # then
    round.refresh_from_db()
    rows = round.result_rows()
    assert round.status == QSortRound.Status.CLOSED and round.result["raters"] == 2
    assert [r["item"] for r in rows] == [
        a,
        b,
        c,
        d,
    ]  # b and c tie; dictionary (pk) order inside the tie
    assert rows[1]["weight"] == rows[2]["weight"]
    assert sum(Decimal(r["weight"]) for r in rows) == 1
    assert round.events.filter(action="closed").count() == 1


def test_publishing_writes_the_weights_into_the_position_model_and_an_audit_row(manager):
    # given: the position already has one item with indicators and one outside the round
    position = PositionFactory()
    items = CompetencyItemFactory.create_batch(4)
    outside = CompetencyItemFactory()
    PositionCompetency.objects.create(
        position=position, item=items[0], behavioural_indicators="先倾听", weight=Decimal("0.5")
    )
    PositionCompetency.objects.create(position=position, item=outside, weight=Decimal("0.5"))
    rater = UserFactory()
    round = make_round(manager=manager, raters=[rater], items=items, position=position)
    a, b, c, d = [i.pk for i in items]
    services.qsort_submission_save(
        round_id=round.pk, rater=rater, placements=placements_for([a, b, c, d], (1, 2, 1))
    )
    services.qsort_round_close(round_id=round.pk, actor=manager)
    # when
    services.qsort_round_publish(round_id=round.pk, actor=manager)
    # then
    model = {pc.item_id: pc for pc in PositionCompetency.objects.filter(position=position)}
    assert set(model) == {a, b, c, d, outside.pk}
    assert model[a].weight == Decimal("0.37500") and model[a].behavioural_indicators == "先倾听"
    assert model[b].weight == model[c].weight == Decimal("0.25000")
    assert model[d].weight == Decimal("0.12500")
    assert model[outside.pk].weight == 0
    assert sum(pc.weight for pc in model.values()) == 1
    assert all(pc.source_round_id == round.pk for pc in model.values())
    event = QSortRoundEvent.objects.get(round=round, action="published")
    assert event.actor == manager and event.details["position"] == position.code
    round.refresh_from_db()
    assert round.status == QSortRound.Status.PUBLISHED and round.published_at is not None


@pytest.mark.parametrize("status", ["draft", "open", "published"])
def test_only_a_closed_round_can_be_published(manager, status):
    round = make_round(manager=manager, open_=False)
    QSortRound.objects.filter(pk=round.pk).update(status=status)
    with pytest.raises(services.QSortConflict) as exc:
        services.qsort_round_publish(round_id=round.pk, actor=manager)
    assert exc.value.message.startswith("Only a closed round can be published")
    assert not PositionCompetency.objects.exists()


@pytest.mark.parametrize("status", ["draft", "closed", "published"])
def test_only_an_open_round_can_be_closed(manager, status):
    round = make_round(manager=manager, open_=False)
    QSortRound.objects.filter(pk=round.pk).update(status=status)
    with pytest.raises(services.QSortConflict):
        services.qsort_round_close(round_id=round.pk, actor=manager)


# serialized_rollback restores the migrations' data (groups, seeded dictionary) after the flush.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_managers_publishing_at_once_publish_exactly_once():
    # given
    manager, other = (
        UserFactory(roles=["Training manager"]),
        UserFactory(roles=["Training manager"]),
    )
    rater = UserFactory()
    round = make_round(manager=manager, raters=[rater])
    services.qsort_submission_save(
        round_id=round.pk, rater=rater, placements=placements_for(ids(round), (1, 2, 1))
    )
    services.qsort_round_close(round_id=round.pk, actor=manager)
    outcomes = []
    barrier = threading.Barrier(2)

    def publish(actor):
        try:
            barrier.wait()
            services.qsort_round_publish(round_id=round.pk, actor=actor)
            outcomes.append("ok")
        except services.QSortConflict:
            outcomes.append("refused")
        finally:
            connection.close()

    # when
    threads = [threading.Thread(target=publish, args=(u,)) for u in (manager, other)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # then
    assert sorted(outcomes) == ["ok", "refused"]
    assert QSortRoundEvent.objects.filter(round=round, action="published").count() == 1
