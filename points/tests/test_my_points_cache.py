""" "My points" renders the history and chart once per change of the employee's ledger: a
reload reads almost nothing, and any entry written for them — by a committee decision, a
manager's correction, a reversal — shows at their next visit, not minutes later."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from points import services
from points.models import PointsEntry
from points.tests.factories import PointsEntryFactory

pytestmark = pytest.mark.django_db
URL = reverse("points:my_points")


def balance(response) -> str:
    html = response.content.decode()
    start = html.index('id="balance" class="big-number">') + len('id="balance" class="big-number">')
    return html[start : html.index("<", start)]


def test_a_reload_reads_no_ledger_row_and_shows_the_same_page(client, csr):
    PointsEntryFactory(employee=csr, amount=5)
    client.force_login(csr)
    first = client.get(URL)
    with CaptureQueriesContext(connection) as queries:
        again = client.get(URL)
    assert balance(first) == balance(again) == "5"
    assert not [q for q in queries if "points_pointsentry" in q["sql"]]


def test_points_awarded_by_a_decision_show_at_the_next_visit(client, csr):
    PointsEntryFactory(employee=csr, amount=5)
    client.force_login(csr)
    assert balance(client.get(URL)) == "5"
    services.points_award(employee=csr, rule_code="committee_case_review", source="r:1")
    awarded = PointsEntry.objects.get(source="r:1").amount
    assert balance(client.get(URL)) == str(5 + awarded)


def test_a_reversal_by_a_manager_shows_at_the_next_visit(client, csr, ops_manager):
    entry = PointsEntryFactory(employee=csr, amount=5)
    client.force_login(csr)
    assert balance(client.get(URL)) == "5"
    services.points_reverse(entry_id=entry.pk, by=ops_manager, reason="重复计分")
    assert balance(client.get(URL)) == "0"


def test_another_employees_entry_does_not_show_and_each_filter_is_its_own_page(client, csr):
    from accounts.tests.factories import UserFactory

    other = UserFactory(roles=["CSR"])
    PointsEntryFactory(employee=csr, amount=5)
    client.force_login(csr)
    assert balance(client.get(URL)) == "5"
    PointsEntryFactory(employee=other, amount=50)
    assert balance(client.get(URL)) == "5"
    filtered = client.get(URL, {"date_to": "2000-01-01"})
    assert "No entries." in filtered.content.decode() or "暂无" in filtered.content.decode()


def test_the_page_follows_the_language(client, csr):
    PointsEntryFactory(employee=csr, amount=5)
    client.force_login(csr)
    client.cookies.load({"django_language": "en"})
    english = client.get(URL).content.decode()
    client.cookies.load({"django_language": "zh-hans"})
    chinese = client.get(URL).content.decode()
    assert "Balance over time" in english and "Balance over time" not in chinese
