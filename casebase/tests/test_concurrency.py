"""Races of the case libraries against real PostgreSQL: real threads, each with its own
connection (the pattern of review/tests/test_concurrency.py)."""

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.tests.factories import UserFactory
from casebase.models import (
    Case,
    CaseEvent,
    CaseLibrarySettings,
    CaseRating,
    LevelCap,
    RetirementCandidate,
)
from casebase.services import pruning, retirement
from casebase.services.errors import CaseAlreadyRated, CaseConflict
from casebase.services.events import case_events_record
from casebase.services.pruning import case_library_prune, retirement_order
from casebase.services.retirement import _retire, retirement_decide
from casebase.services.study import case_rate
from casebase.tests.factories import CaseFactory, category
from tests.concurrency import run_at_once

pytestmark = [
    # serialized_rollback: the flush between transactional tests would drop the role groups
    # and the seeded settings row that data migrations created.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
]

NOW = timezone.datetime(2026, 6, 1, 12, tzinfo=timezone.get_current_timezone())
ALREADY_RATED = "You have already rated this case; a rating cannot be changed."


def bulk_cases(n: int, *, level: int = 1) -> list[Case]:
    cat = category()
    return Case.objects.bulk_create(
        Case(title=f"案例{i}", category=cat, level=level, created_at=NOW - timedelta(days=100 + i))
        for i in range(n)
    )


class Interleaving:
    """Forces the interleaving that emptied libraries: run A pauses inside its transaction
    right after writing its retirements/proposals (so B counts while A is still open), and run B
    pauses before choosing its cases until A has committed. With the group lock, B simply
    waits for A and recounts; without it, B acts on its stale count."""

    def __init__(self, monkeypatch):
        self.role = threading.local()
        self.paused = False
        real_record, real_order = case_events_record, retirement_order

        def record(**kwargs):
            events = real_record(**kwargs)
            if getattr(self.role, "name", "") == "A" and not self.paused:
                self.paused = True
                time.sleep(0.5)
            return events

        def order(cases, config=None):
            if getattr(self.role, "name", "") == "B":
                time.sleep(1.0)
            return real_order(cases, config)

        monkeypatch.setattr(pruning, "case_events_record", record)
        monkeypatch.setattr(pruning, "retirement_order", order)

    def run(self, name: str, fn):
        def call():
            self.role.name = name
            return fn()

        return call


@pytest.mark.parametrize("mode", ["move", "propose"])
def test_two_pruning_runs_at_once_act_on_exactly_the_excess(monkeypatch, mode):
    # given: 125 cases, cap 120
    CaseLibrarySettings.objects.filter(pk=1).update(prune_mode=mode)
    bulk_cases(125)
    bulk_cases(3, level=2)  # a library within its cap stays untouched
    race = Interleaving(monkeypatch)
    # when: a second run (another beat, a manual run, a redelivered message) overlaps the first
    results = run_at_once(
        [
            race.run("A", lambda: case_library_prune(now=NOW)),
            race.run("B", lambda: case_library_prune(now=NOW)),
        ]
    )
    # then: together they retired (or proposed) exactly the 5 over the cap, once each
    assert not [r for r in results if isinstance(r, Exception)], results
    acted = sorted(pk for r in results for pk in (r.retired if mode == "move" else r.proposed))
    assert len(acted) == 5 and len(set(acted)) == 5
    if mode == "move":
        assert Case.objects.active().filter(level=1).count() == 120
        assert CaseEvent.objects.filter(kind="retired").count() == 5
        assert not RetirementCandidate.objects.exists()
    else:
        assert Case.objects.active().filter(level=1).count() == 125
        assert RetirementCandidate.objects.filter(status="pending").count() == 5
        assert CaseEvent.objects.filter(kind="retirement_proposed").count() == 5
    assert Case.objects.active().filter(level=2).count() == 3


def test_two_experts_confirming_at_once_never_take_a_library_below_its_cap(monkeypatch):
    # given: cap 3, 5 cases, two candidates; then another case leaves, so only one is still needed
    LevelCap.objects.create(level=1, category=category(), cap=3)
    bulk_cases(5)
    case_library_prune(now=NOW)
    first, second = RetirementCandidate.objects.order_by("pk")
    other = Case.objects.active().exclude(pk__in=[first.case_id, second.case_id]).first()
    _retire(other.pk, actor=None, now=NOW, data={"by": "admin"})
    experts = [UserFactory(level=4, roles=["CSR", "Reviewer"]) for _ in range(2)]
    # and: the first expert's confirmation pauses inside its transaction
    real_retire = _retire

    def slow_retire(case_id, **kwargs):
        done = real_retire(case_id, **kwargs)
        if case_id == first.case_id:
            time.sleep(0.5)
        return done

    monkeypatch.setattr(retirement, "_retire", slow_retire)
    # when
    results = run_at_once(
        [
            lambda: retirement_decide(candidate_id=first.pk, user=experts[0], confirm=True),
            lambda: retirement_decide(candidate_id=second.pk, user=experts[1], confirm=True),
        ]
    )
    # then: one confirmed, the other refused with the exact message; the library is at its cap
    refused = [r for r in results if isinstance(r, Exception)]
    assert len(refused) == 1 and isinstance(refused[0], CaseConflict)
    assert str(refused[0]) == (
        "This library (level 1, 情绪安抚) has 3 active cases and its cap is 3: confirming "
        "would take it below the cap. Dismiss this retirement instead."
    )
    assert Case.objects.active().count() == 3
    assert sorted(RetirementCandidate.objects.values_list("status", flat=True)) == [
        "confirmed",
        "pending",
    ]


@pytest.mark.parametrize("round_number", range(3))
def test_two_first_ratings_at_once_keep_one_row_and_refuse_the_other(round_number):
    # given
    case = CaseFactory(level=1)
    csr = UserFactory(roles=["CSR"])
    # when: a double click sends two first ratings at the same moment
    results = run_at_once(
        [
            lambda: case_rate(employee=csr, case_id=case.pk, value="excellent"),
            lambda: case_rate(employee=csr, case_id=case.pk, value="poor"),
        ]
    )
    # then: one row; the other request gets the refusal, never an IntegrityError
    refused = [r for r in results if isinstance(r, Exception)]
    saved = [r for r in results if isinstance(r, CaseRating)]
    assert len(saved) == 1 and len(refused) == 1
    assert isinstance(refused[0], CaseAlreadyRated) and str(refused[0]) == ALREADY_RATED
    assert list(CaseRating.objects.values_list("value", flat=True)) == [saved[0].value]


def test_two_first_ratings_through_the_api_give_201_and_409():
    # given
    case = CaseFactory(level=1)
    csr = UserFactory(roles=["CSR"])
    clients = [APIClient(HTTP_ACCEPT_LANGUAGE="en") for _ in range(2)]
    for c in clients:
        c.force_authenticate(csr)
    url = reverse("api-cases-rating", args=[case.pk])
    # when
    responses = run_at_once(
        [
            lambda c=c, v=v: c.post(url, {"value": v}, format="json")
            for c, v in zip(clients, ["excellent", "average"], strict=True)
        ]
    )
    # then
    assert sorted(r.status_code for r in responses) == [201, 409]
    conflict = next(r for r in responses if r.status_code == 409)
    assert conflict.json() == {"detail": ALREADY_RATED, "code": "already_rated"}
    assert CaseRating.objects.filter(case=case, employee=csr).count() == 1
