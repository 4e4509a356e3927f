"""The Q-sort round page speaks of a Q-sort: an open round is open for sorting (not 审核中, a
proposal under review), its creation is not a "submission time", and the column scores shown
are the ones the chart uses."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from competency.models import QSortRound, QSortRoundEvent
from competency.tests.factories import make_round

pytestmark = pytest.mark.django_db


def test_an_open_round_and_its_creation_have_words_of_their_own():
    round = make_round(n_items=4)
    with translation.override("en"):
        assert round.get_status_display() == "Open for sorting"
        assert round.events.get(action="created").get_action_display() == "Round created"
    with translation.override("zh-hans"):
        assert round.get_status_display() != "审核中"
        assert round.events.get(action="created").get_action_display() != "提交时间"
    assert round.status == QSortRound.Status.OPEN and QSortRoundEvent.Action.CREATED == "created"


def test_the_page_shows_the_column_scores_the_distribution_uses(training_manager):
    # given twelve items: ±3 was asked for (the default) but ±2 is the widest with no empty column
    round = make_round(n_items=12, sizes=(3, 6, 3), manager=training_manager)
    assert round.max_score == 3
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(training_manager)
    content = client.get(reverse("competency:round_detail", args=[round.pk])).content.decode()
    assert '<dd id="score-range">−2 … +2' in content
    assert "up to ±3 was asked for" in content
    assert "Open for sorting" in content and "Round created" in content
