import io

import pytest

from points import selectors
from points.models import PointsEntry, QCGroup, RationalisationProposal, VolunteerSheet

pytestmark = pytest.mark.django_db


def load_demo():
    import accounts.demo
    import knowledgebase.demo
    import points.demo
    import review.demo

    for module in (accounts.demo, knowledgebase.demo, review.demo, points.demo):
        module.load(stdout=io.StringIO())


def test_demo_loads_twice_with_differing_balances_a_judged_proposal_a_group_and_a_sheet():
    # when
    load_demo()
    entries = PointsEntry.objects.count()
    load_demo()
    # then: idempotent
    assert PointsEntry.objects.count() == entries > 100
    assert RationalisationProposal.objects.count() == 3
    assert RationalisationProposal.objects.filter(status="feasible", amount=120).count() == 1
    assert QCGroup.objects.count() == 1 and VolunteerSheet.objects.count() == 2
    pending = VolunteerSheet.objects.get(status="pending")
    assert pending.total_points == 1200 and not pending.rows.filter(entry__isnull=False).exists()
    from accounts.models import Centre

    board = [
        u.balance for u in selectors.leaderboard(centre=Centre.objects.get(code="hubei-10086"))
    ]
    assert len(board) >= 10 and len(set(board)) > 5
