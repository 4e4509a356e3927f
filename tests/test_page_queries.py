"""The pages `make bench` load-tests (accounts/management/commands/bench_pages.py), each with
the exact number of queries a warm request costs — the same whether the CSR's history, the
case's studies and ratings or the knowledge base are small or grow. A page that starts
reading per row, or loses a cache, fails here before the benchmark shows it."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.management.commands.bench_pages import _pages
from accounts.tests.factories import UserFactory
from casebase.models import CaseStudy
from casebase.services.study import case_rate
from casebase.tests.factories import CaseFactory
from curriculum.tests.conftest import learning_map  # noqa: F401 - the fixture
from knowledgebase.tests.factories import EntryFactory
from points.tests.factories import PointsEntryFactory

pytestmark = pytest.mark.django_db

# A warm request (the session, permission sets, settings rows and navigation cached): the
# user's row, then what the page itself reads.
QUERIES = {
    "healthz": 2,
    "CSR home": 4,
    "learning map": 3,  # the map is cached; the CSR's enrolments and stage completions
    "case study page": 3,  # the case; its counts and the reader's marks (contributors kept)
    "my points": 1,  # the body is rendered once per change of the ledger
    "KB page with a query": 3,  # the category choices; the search log in one statement
    "KB search API": 2,  # the search log in one statement (results from the shared cache)
}


def _grow(csr, case, n: int) -> None:
    """More of everything the pages read: the CSR's ledger, the case's studies and ratings,
    KB entries matching the benchmark's query (宽带)."""
    for _ in range(n):
        PointsEntryFactory(employee=csr, amount=5)
        other = UserFactory(roles=["CSR"])
        CaseStudy.objects.create(case=case, employee=other)
        case_rate(employee=other, case_id=case.pk, value="excellent")
        EntryFactory(title=f"宽带故障报修{other.pk}")


def _counts(client) -> dict[str, int]:
    counts = {}
    for label, url in _pages():
        client.get(url, secure=True)  # warm
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url, secure=True)
        assert response.status_code == 200, (label, response.status_code)
        counts[label] = len(captured.captured_queries)
    return counts


def test_each_benchmarked_page_costs_a_fixed_number_of_queries(
    client,
    learning_map,  # noqa: F811 - the fixture
):
    csr = UserFactory(staff_id="HB0001", roles=["CSR"], position=learning_map.position)
    case = CaseFactory(level=1)
    client.force_login(csr)
    _grow(csr, case, 1)
    assert _counts(client) == QUERIES
    _grow(csr, case, 5)
    assert _counts(client) == QUERIES
