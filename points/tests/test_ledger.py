import threading
from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, connection, transaction
from django.utils import timezone, translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.tests.factories import UserFactory
from points import selectors, services
from points.models import AmountInvalid, PointRule, PointsEntry, PointsEvent
from points.tests.factories import PointsEntryFactory, rule

pytestmark = pytest.mark.django_db


def test_rules_are_seeded_with_the_domain_defaults():
    # given / when
    rules = {
        r.code: (r.min_amount, r.max_amount, r.default_amount) for r in PointRule.objects.all()
    }
    # then
    assert rules["case_created"] == (20, 50, 30)
    assert rules["case_revised"] == (5, 20, 10)
    assert rules["quality_case_participant"] == (5, 10, 5)
    assert rules["quality_case_outstanding"] == (60, 60, 60)
    assert rules["kb_revision_accepted"] == (2, 5, 3)
    assert rules["committee_kb_review"] == (5, 5, 5)
    assert rules["committee_case_review"] == (20, 20, 20)
    assert rules["mentor_level_up"] == (200, 200, 200)
    assert rules["rationalisation_reasonable"] == (30, 100, 50)
    assert rules["rationalisation_feasible"] == (60, 200, 100)
    assert {"qc_topic_completed", "volunteer_sheet", "manual_correction"} <= set(rules)


def test_award_without_amount_pays_the_rules_default(csr):
    # when
    entry = services.points_award(
        employee=csr, rule_code="kb_revision_accepted", source="kb-revision:1:proposer"
    )
    # then
    assert (
        entry.amount == 3 and entry.rule.code == "kb_revision_accepted" and entry.granted_by is None
    )
    assert selectors.points_balance(csr) == 3


@pytest.mark.parametrize("amount", [20, 21, 49, 50])
def test_amount_inside_the_range_is_paid(csr, amount):
    entry = services.points_award(
        employee=csr, rule_code="case_created", source="c:1", amount=amount
    )
    assert entry.amount == amount


@pytest.mark.parametrize("amount", [19, 51, -20])
def test_amount_outside_the_range_is_refused_with_an_exact_message(csr, amount):
    # when / then
    with pytest.raises(AmountInvalid) as exc:
        services.points_award(employee=csr, rule_code="case_created", source="c:1", amount=amount)
    assert exc.value.messages == [
        f"The amount for “创建案例被采纳” must be within 20–50; {amount} is outside."
    ]
    assert not PointsEntry.objects.exists()


@settings(
    max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None
)
@given(amount=st.integers(min_value=-500, max_value=500))
def test_a_range_rule_accepts_exactly_the_amounts_between_its_bounds(amount):
    # given
    reasonable = rule("rationalisation_reasonable")
    # when / then
    if 30 <= amount <= 100:
        assert reasonable.resolve_amount(amount) == amount
    else:
        with pytest.raises(AmountInvalid):
            reasonable.resolve_amount(amount)


def test_unknown_and_inactive_rules_pay_nothing(csr):
    with pytest.raises(services.PointsError, match="Unknown point rule “nope”."):
        services.points_award(employee=csr, rule_code="nope", source="x:1")
    PointRule.objects.filter(code="committee_kb_review").update(active=False)
    with pytest.raises(services.PointsError, match="is not active"):
        services.points_award(employee=csr, rule_code="committee_kb_review", source="x:2")
    assert not PointsEntry.objects.exists()


def test_rule_without_default_needs_an_amount(csr):
    with pytest.raises(AmountInvalid) as exc:
        services.points_award(employee=csr, rule_code="qc_topic_completed", source="qc:1:1")
    assert exc.value.messages == ["Choose an amount for “QC课题完成”."]


def test_the_same_source_pays_once_and_returns_the_existing_row(csr):
    # given
    first = services.points_award(
        employee=csr, rule_code="committee_kb_review", source="review:7:1"
    )
    # when: a retried task / double click
    second = services.points_award(
        employee=csr, rule_code="committee_kb_review", source="review:7:1"
    )
    # then
    assert second.pk == first.pk
    assert PointsEntry.objects.count() == 1 and selectors.points_balance(csr) == 5


def test_a_source_used_for_another_employee_is_refused(csr):
    services.points_award(employee=csr, rule_code="committee_kb_review", source="review:7:1")
    other = UserFactory()
    with pytest.raises(services.PointsConflict, match="already used for another employee"):
        services.points_award(employee=other, rule_code="committee_kb_review", source="review:7:1")


def test_the_database_refuses_a_second_row_with_the_same_source(csr):
    PointsEntryFactory(employee=csr, source="dup")
    with pytest.raises(IntegrityError), transaction.atomic():
        PointsEntryFactory(employee=csr, source="dup")


def test_entries_cannot_be_edited_or_deleted(csr):
    # given
    entry = PointsEntryFactory(employee=csr, amount=10)
    # when / then
    entry.amount = 1000
    with pytest.raises(TypeError, match="append-only"):
        entry.save()
    with pytest.raises(TypeError, match="append-only"):
        entry.delete()
    with pytest.raises(TypeError, match="append-only"):
        PointsEntry.objects.filter(pk=entry.pk).update(amount=1000)
    with pytest.raises(TypeError, match="append-only"):
        PointsEntry.objects.filter(pk=entry.pk).delete()
    assert PointsEntry.objects.get(pk=entry.pk).amount == 10


def test_reversal_is_a_new_opposite_row_and_cannot_happen_twice(csr, training_manager):
    # given
    entry = services.points_award(employee=csr, rule_code="case_created", source="c:1", amount=40)
    # when
    reversal = services.points_reverse(entry_id=entry.pk, by=training_manager, reason="重复计分")
    # then
    assert (
        reversal.amount == -40
        and reversal.source == f"reversal:{entry.pk}"
        and reversal.reverses == entry
    )
    assert selectors.points_balance(csr) == 0 and PointsEntry.objects.count() == 2
    assert PointsEvent.objects.filter(kind="entry_reversed", actor=training_manager).count() == 1
    with pytest.raises(services.PointsConflict) as exc:
        services.points_reverse(entry_id=entry.pk, by=training_manager, reason="again")
    assert exc.value.messages == ["This entry has already been reversed."]
    with pytest.raises(services.PointsError, match="A reversal cannot be reversed"):
        services.points_reverse(entry_id=reversal.pk, by=training_manager, reason="again")
    assert PointsEntry.objects.count() == 2


def test_only_correctors_may_reverse_or_correct(csr):
    entry = PointsEntryFactory(employee=csr)
    with pytest.raises(PermissionDenied):
        services.points_reverse(entry_id=entry.pk, by=csr, reason="x")
    with pytest.raises(PermissionDenied):
        services.points_correct(employee=csr, amount=100, by=csr, reason="x")


def test_manual_correction_with_the_same_form_token_pays_once(csr, ops_manager):
    first = services.points_correct(
        employee=csr, amount=-15, by=ops_manager, reason="扣分", token="abc"
    )
    second = services.points_correct(
        employee=csr, amount=-15, by=ops_manager, reason="扣分", token="abc"
    )
    assert first.pk == second.pk and selectors.points_balance(csr) == -15
    assert PointsEvent.objects.filter(kind="manual_correction").count() == 1


def test_balance_since_counts_only_later_entries(csr):
    # given
    with time_machine.travel("2026-01-10 09:00 +0800", tick=False):
        services.points_award(employee=csr, rule_code="committee_kb_review", source="a")
    with time_machine.travel("2026-03-10 09:00 +0800", tick=False):
        services.points_award(employee=csr, rule_code="committee_case_review", source="b")
        now = timezone.now()
    # then
    assert selectors.points_balance(csr) == 25
    assert selectors.points_balance(csr, since=now - timedelta(days=30)) == 20


def test_cumulative_series_sums_per_local_day(csr):
    # given: 23:30 and 00:30 Shanghai time fall on two local days
    with time_machine.travel("2026-01-10 23:30 +0800", tick=False):
        services.points_award(employee=csr, rule_code="committee_kb_review", source="a")
    with time_machine.travel("2026-01-11 00:30 +0800", tick=False):
        services.points_award(employee=csr, rule_code="committee_case_review", source="b")
        services.points_award(employee=csr, rule_code="kb_revision_accepted", source="c")
    # when
    series = selectors.cumulative_series(csr)
    # then
    assert [(d.isoformat(), v) for d, v in series] == [("2026-01-10", 5), ("2026-01-11", 28)]


def test_leaderboard_ranks_the_centres_employees_by_balance_in_one_query(django_assert_num_queries):
    # given
    a, b, c = UserFactory(), UserFactory(), UserFactory()
    b.centre = a.centre
    b.save()
    outsider = UserFactory()  # another centre
    for user, amount in [(a, 30), (b, 50), (outsider, 500)]:
        PointsEntryFactory(employee=user, amount=amount)
    PointsEntryFactory(employee=b, amount=-5)
    # when
    with django_assert_num_queries(1):
        rows = [(u.staff_id, u.balance) for u in selectors.leaderboard(centre=a.centre)]
    # then
    assert rows == [(b.staff_id, 45), (a.staff_id, 30)]
    assert c.staff_id not in dict(rows)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_awards_for_the_same_source_pay_exactly_once():
    # given
    employee = UserFactory()
    barrier = threading.Barrier(6)
    results, errors = [], []

    def award():
        try:
            with translation.override("en"):
                barrier.wait()
                results.append(
                    services.points_award(
                        employee=employee, rule_code="committee_case_review", source="review:99:1"
                    ).pk
                )
        except Exception as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    # when
    threads = [threading.Thread(target=award) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # then
    assert errors == []
    assert len(results) == 6 and len(set(results)) == 1
    assert PointsEntry.objects.filter(source="review:99:1").count() == 1
    assert selectors.points_balance(employee) == 20
