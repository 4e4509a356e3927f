"""The home page with every role panel at once: its queries do not grow with what waits."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.tests.factories import UserFactory
from curriculum.tests import test_dashboard as training_rows
from knowledgebase.tests.factories import EntryFactory
from points.tests import test_dashboard as operations_rows
from promotion.tests import test_dashboard as hr_rows
from review.tests.test_experts import revision

pytestmark = pytest.mark.django_db


def rows(n: int) -> None:
    for _ in range(n):
        revision(EntryFactory())
    hr_rows.month_of_rows(n)
    operations_rows.waiting_rows(n)
    training_rows.month_of_rows(n)


def test_home_queries_do_not_grow_with_the_dashboards_rows(client, django_assert_num_queries):
    admin = UserFactory(staff_id="ROOT01", is_superuser=True, is_staff=True)
    client.force_login(admin)
    rows(1)
    client.get(reverse("home"))  # warms the cached settings rows
    with CaptureQueriesContext(connection) as first:
        response = client.get(reverse("home"))
    assert response.status_code == 200
    for panel in ("panel-review", "panel-training", "panel-rosters", "panel-operations"):
        assert f'id="{panel}"' in response.content.decode()
    rows(4)
    with django_assert_num_queries(len(first.captured_queries)):
        response = client.get(reverse("home"))
    assert "5 proposals are waiting for your vote" in response.content.decode()
