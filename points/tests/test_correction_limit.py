"""One manager's manual corrections for one colleague are capped over any 30 days (±200 a
correction, but not +200 every day): beyond the cap another manager decides."""

import pytest
import time_machine

from accounts.tests.factories import UserFactory
from points import selectors, services
from points.models import PointsSettings

pytestmark = pytest.mark.django_db


def test_a_manager_cannot_pay_a_colleague_200_points_every_day(csr, ops_manager):
    # given two corrections that reach the default 30-day cap of 400
    with time_machine.travel("2026-06-01 09:00 +0800", tick=False):
        services.points_correct(employee=csr, amount=200, by=ops_manager, reason="补录")
    with time_machine.travel("2026-06-02 09:00 +0800", tick=False):
        services.points_correct(employee=csr, amount=200, by=ops_manager, reason="补录")
        # when a third one follows the next day: refused on the amount field, nothing paid
        with pytest.raises(
            services.PointsError, match=r"by \+400 in the last 30 days; at most \+400"
        ) as refused:
            services.points_correct(employee=csr, amount=1, by=ops_manager, reason="补录")
        assert refused.value.fields == {"amount": [refused.value.message]}
        # a deduction is not capped, and another manager decides on more points
        services.points_correct(employee=csr, amount=-50, by=ops_manager, reason="扣回")
        services.points_correct(
            employee=csr, amount=100, by=UserFactory(roles=["Operations manager"]), reason="复核"
        )
    assert selectors.points_balance(csr) == 450
    # then 30 days after the first correction the manager may correct again
    with time_machine.travel("2026-07-01 10:00 +0800", tick=False):
        services.points_correct(employee=csr, amount=200, by=ops_manager, reason="补录")
    assert selectors.points_balance(csr) == 650


def test_the_cap_is_admin_data_and_a_repeated_form_token_is_not_refused(csr, ops_manager):
    config = PointsSettings.current()
    config.correction_limit_30_days = 150
    config.save()
    first = services.points_correct(
        employee=csr, amount=150, by=ops_manager, reason="补录", token="t-1"
    )
    # the same form sent twice pays once and is not counted against the cap a second time
    assert (
        services.points_correct(
            employee=csr, amount=150, by=ops_manager, reason="补录", token="t-1"
        ).pk
        == first.pk
    )
    with pytest.raises(services.PointsError, match=r"at most \+150"):
        services.points_correct(employee=csr, amount=1, by=ops_manager, reason="补录", token="t-2")
